/* csv.c - `timestamp,value` lines (see csv.h).
 *
 * A line is cut at its first comma outside quotes; each side is trimmed and
 * unquoted, then read as a time and a number. Times other than Unix seconds
 * are normalised into a small buffer ("T" between date and time, "Z" when
 * no zone is given) and handed to time_parse_iso, the one strict ISO 8601
 * scanner of the project. Numbers go through strtod on a NUL-terminated
 * copy, which must be consumed whole. Everything works on the given length:
 * the line need not be NUL-terminated and may contain NUL bytes. */
#include "metric/csv.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/timeutil.h"

#define UNIX_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define FIELD_MAX 64                   /* longest time or number we read */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim spaces, then one pair of surrounding quotes, then spaces inside
 * them. Returns -1 for an unbalanced quote. */
static int unwrap(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n && is_blank(*p))
        p++, n--;
    while (n && is_blank(p[n - 1]))
        n--;
    int open = n && p[0] == '"', close = n >= 2 && p[n - 1] == '"';
    if (open != close || (n == 1 && p[0] == '"'))
        return -1;
    if (open) {
        p++, n -= 2;
        while (n && is_blank(*p))
            p++, n--;
        while (n && is_blank(p[n - 1]))
            n--;
    }
    if (memchr(p, '"', n))
        return -1;
    *s = p, *len = n;
    return 0;
}

static int is_name(const char *s, size_t len)
{
    if (len == 0 || !isalpha((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.' && c != ' ')
            return 0;
    }
    return 1;
}

static int parse_unix(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    size_t i = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > UNIX_MAX)
            return -1;
    }
    if (i == 0)
        return -1;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return -1;
    }
    if (i != len)
        return -1;
    *out = v;
    return 0;
}

int csv_parse_time(const char *s, size_t len, int64_t *out)
{
    if (len < 5 || s[4] != '-')
        return parse_unix(s, len, out);
    if (len < 10 || len > FIELD_MAX - 16)
        return -1;
    char iso[FIELD_MAX];
    memcpy(iso, s, len);
    if (len == 10) {
        memcpy(iso + len, "T00:00:00", 9);
        len += 9;
    } else if (iso[10] == ' ') {
        iso[10] = 'T';
    }
    /* A zone is a final Z or a sign after the seconds ("HH:MM:SS" ends at 19). */
    int zoned = iso[len - 1] == 'Z' || (len > 19 && (memchr(iso + 19, '+', len - 19) ||
                                                     memchr(iso + 19, '-', len - 19)));
    if (!zoned)
        iso[len++] = 'Z';
    return time_parse_iso(iso, len, out);
}

static int parse_value(const char *s, size_t len, double *out)
{
    char num[FIELD_MAX];
    if (len == 0 || len >= sizeof(num))
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
            return -1;
    }
    memcpy(num, s, len);
    num[len] = '\0';
    char *end;
    double v = strtod(num, &end);
    if (end != num + len || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* The first comma outside quotes, or NULL. */
static const char *split(const char *s, size_t len)
{
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (s[i] == ',' && !quoted)
            return s + i;
    }
    return NULL;
}

int csv_parse_line(const char *line, size_t len, struct csv_row *row, char *err, size_t errsz)
{
    if (len && line[len - 1] == '\r')
        len--;
    size_t i = 0;
    while (i < len && is_blank(line[i]))
        i++;
    if (i == len)
        return CSV_BLANK;
    const char *comma = split(line, len);
    if (!comma) {
        err_set(err, errsz, "expected two fields, timestamp,value; found no comma");
        return CSV_BAD;
    }
    const char *a = line, *b = comma + 1;
    size_t alen = (size_t)(comma - line), blen = len - alen - 1;
    if (split(b, blen)) {
        err_set(err, errsz, "expected two fields, timestamp,value; found more");
        return CSV_BAD;
    }
    if (unwrap(&a, &alen) || unwrap(&b, &blen)) {
        err_set(err, errsz, "unbalanced or misplaced double quote");
        return CSV_BAD;
    }
    if (is_name(a, alen) && is_name(b, blen))
        return CSV_HEADER;
    if (csv_parse_time(a, alen, &row->t)) {
        err_set(err, errsz, "bad timestamp \"%.*s\" (want YYYY-MM-DD HH:MM:SS, ISO 8601 or Unix seconds)",
                (int)(alen > 40 ? 40 : alen), a);
        return CSV_BAD;
    }
    if (parse_value(b, blen, &row->value)) {
        err_set(err, errsz, "bad value \"%.*s\" (want a finite decimal number)",
                (int)(blen > 40 ? 40 : blen), b);
        return CSV_BAD;
    }
    row->ts_text = a, row->ts_len = alen;
    row->value_text = b, row->value_len = blen;
    return CSV_ROW;
}
