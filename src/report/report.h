/* report.h - one problem report: its fields, and the strict parser that
 * turns one JSON object (one NDJSON line) into it.
 *
 * The wire format is DESIGN.md's:
 *   {"service":"whatsapp","country":"IN","problem":"login",
 *    "client":"3f9a0c12d4e5b6a7","ts":"2024-04-03T16:31:07Z"}
 * `service` and `problem` are required; `country`, `client` and `ts` are
 * optional; any other field is an error (so typos are caught, not dropped).
 * The parser checks syntax only: it knows no catalog (whether the service
 * exists is the caller's question) and no clock. */
#ifndef DW_REPORT_H
#define DW_REPORT_H

#include <stddef.h>
#include <stdint.h>

#define REP_SERVICE_MAX 64 /* longest service id, bytes */
#define REP_CLIENT_MAX 64  /* longest client id, bytes */
#define REP_JSON_MAX 288   /* rep_format's output for any valid report, NUL included */

enum rep_problem {
    REP_LOGIN,
    REP_MESSAGES,
    REP_CALLS,
    REP_APP,
    REP_WEBSITE,
    REP_FEED,
    REP_CONNECTION,
    REP_OTHER,
    REP_PROBLEM_COUNT
};

struct rep_report {
    char service[REP_SERVICE_MAX + 1]; /* [a-z0-9][a-z0-9._-]*, lowercase */
    char country[3];                   /* ISO 3166-1 alpha-2, upper case; "" if absent */
    enum rep_problem problem;
    char client[REP_CLIENT_MAX + 1];   /* printable ASCII; "" if absent */
    int64_t ts;                        /* Unix seconds; -1 if absent */
};

/* What was wrong with a report: a stable machine-readable code (used as the
 * "error" field of the API's JSON errors) and a sentence for people. */
enum rep_error_code {
    REP_OK = 0,
    REP_E_JSON,          /* not well-formed JSON, or truncated */
    REP_E_NOT_OBJECT,    /* valid JSON, but not an object */
    REP_E_UTF8,          /* bytes that are not valid UTF-8 */
    REP_E_UNKNOWN_FIELD, /* a field the format does not have */
    REP_E_DUPLICATE_FIELD,
    REP_E_FIELD_TYPE,    /* a field that is not a string */
    REP_E_MISSING,       /* service or problem absent */
    REP_E_SERVICE,       /* service id with bad syntax */
    REP_E_COUNTRY,       /* not an assigned ISO 3166-1 alpha-2 code */
    REP_E_PROBLEM,       /* not one of the eight problems */
    REP_E_CLIENT,        /* client id too long or with bad characters */
    REP_E_TS,            /* ts not an ISO 8601 UTC time */
};

struct rep_error {
    enum rep_error_code code;
    char detail[160]; /* human sentence, e.g. `unknown field "contry"` */
};

/* Parse one JSON object of len bytes (no NUL needed; leading and trailing
 * JSON whitespace allowed). On success fills *out and returns 0 (err is not
 * touched); on failure fills *err and returns -1 (out is then unspecified).
 * Never allocates.
 *
 * Strict: the whole input must be valid UTF-8 and one RFC 8259 JSON value
 * (no trailing data, no NUL bytes, \u escapes must not leave a lone
 * surrogate); field names are compared after unescaping; values must be
 * strings. The first problem in document order is the one reported, with
 * grammar and UTF-8 errors before field errors. A ts must lie in 1970..9999
 * (after applying its offset). err->detail is printable ASCII: names and
 * values quoted from the input are escaped and cut. */
int rep_parse(const char *json, size_t len, struct rep_report *out, struct rep_error *err);

/* Stable code string for an error code, e.g. "invalid_country"; "unknown"
 * for a value outside the enum. */
const char *rep_error_name(enum rep_error_code code);

/* Problem names ("login", ...; "unknown" for a value outside the enum) and
 * back: rep_problem_parse takes len bytes (no NUL needed, exact lowercase
 * match) and returns the enum value, or -1 for an unknown name. */
const char *rep_problem_name(enum rep_problem p);
int rep_problem_parse(const char *s, size_t len);

/* Write a report as one JSON object (the wire format, keys in the fixed
 * order ts, service, country, problem, client; absent fields omitted; no
 * trailing newline) into out, NUL-terminated. Returns the length without the
 * NUL, or -1 if outsz is too small (REP_JSON_MAX always suffices) or r is not
 * a report rep_parse could give (problem outside the enum, ts neither -1 nor
 * in 1970..9999). What it writes parses back to an equal report. */
int rep_format(const struct rep_report *r, char *out, size_t outsz);

#endif
