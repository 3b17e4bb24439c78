/* csv.h - one line of a `timestamp,value` CSV, parsed.
 *
 * A line holds two fields separated by a comma. Each field may have spaces
 * or tabs around it and may be wrapped in double quotes ("" inside quotes
 * is not supported: neither a time nor a number contains a quote). A
 * trailing '\r' (CRLF files) is ignored. Timestamps are
 *   - ISO 8601 dates and times, "T" or a space between them, with optional
 *     fractional seconds and an optional "Z" or "+HH:MM"/"-HH:MM" (none
 *     means UTC): "2015-02-26 21:42:53", "2015-02-26T21:42:53.5Z";
 *   - a date alone, "2015-02-26" (midnight UTC);
 *   - Unix seconds, "1424986973" (a fraction is dropped).
 * Fractions of a second are dropped. Values are decimal numbers as strtod
 * reads them (sign, fraction, exponent), finite; hex, inf and nan are
 * refused. A header is any line whose two fields are names (letters,
 * digits, '_', '-', '.', spaces; not a number), e.g. "timestamp,value". */
#ifndef DW_CSV_H
#define DW_CSV_H

#include <stddef.h>
#include <stdint.h>

enum csv_kind {
    CSV_ROW = 0,    /* a data row, in *row */
    CSV_BLANK = 1,  /* an empty line or only spaces */
    CSV_HEADER = 2, /* two names, e.g. "timestamp,value" */
    CSV_BAD = -1,   /* anything else; err says why */
};

struct csv_row {
    int64_t t;              /* Unix seconds, UTC */
    double value;
    const char *ts_text;    /* the timestamp as written, unquoted and trimmed; */
    size_t ts_len;          /* points into the line (not NUL-terminated) */
    const char *value_text; /* the value, likewise */
    size_t value_len;
};

/* Parse the len bytes at line (without its '\n'; a final '\r' is
 * dropped). Returns a csv_kind; CSV_BAD writes one sentence into err (size
 * errsz) and leaves *row in an unspecified state. The text pointers of *row
 * point into line. */
int csv_parse_line(const char *line, size_t len, struct csv_row *row, char *err, size_t errsz);

/* Parse a timestamp of len bytes in one of the forms above into Unix
 * seconds. Returns 0, or -1 when it is none of them (out untouched). */
int csv_parse_time(const char *s, size_t len, int64_t *out);

#endif
