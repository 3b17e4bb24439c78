/* report.c - the strict report parser and writer (see report.h).
 *
 * json_parse (core/json.h: jsmn plus a grammar and UTF-8 check) tokenises
 * the input into a fixed array on the stack and refuses anything that is
 * not RFC 8259 JSON; only then are the fields unescaped into fixed buffers
 * and validated, in document order, so the first problem is the one
 * reported. Nothing is allocated; the input is bounded by its length, never
 * by a NUL. */
#include "report/report.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "report/country.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A report has at most 11 tokens (the object, five keys, five values); the
 * margin lets small mistakes (an array value) get a precise error. */
#define TOKENS_MAX 32

/* Latest ts that rep_format can write back: 9999-12-31T23:59:59Z. */
#define TS_MAX INT64_C(253402300799)

static const char *const error_names[] = {
    [REP_OK] = "ok",
    [REP_E_JSON] = "invalid_json",
    [REP_E_NOT_OBJECT] = "not_an_object",
    [REP_E_UTF8] = "invalid_utf8",
    [REP_E_UNKNOWN_FIELD] = "unknown_field",
    [REP_E_DUPLICATE_FIELD] = "duplicate_field",
    [REP_E_FIELD_TYPE] = "invalid_type",
    [REP_E_MISSING] = "missing_field",
    [REP_E_SERVICE] = "invalid_service",
    [REP_E_COUNTRY] = "invalid_country",
    [REP_E_PROBLEM] = "invalid_problem",
    [REP_E_CLIENT] = "invalid_client",
    [REP_E_TS] = "invalid_ts",
};

/* Names are NUL-padded to a fixed width so that a lookup compares whole
 * arrays of constant size, which the compiler turns into a few loads. */
#define PROBLEM_WIDTH 16
#define FIELD_WIDTH 8

static const char problem_names[REP_PROBLEM_COUNT][PROBLEM_WIDTH] = {
    [REP_LOGIN] = "login",     [REP_MESSAGES] = "messages",
    [REP_CALLS] = "calls",     [REP_APP] = "app",
    [REP_WEBSITE] = "website", [REP_FEED] = "feed",
    [REP_CONNECTION] = "connection", [REP_OTHER] = "other",
};

enum field { F_SERVICE, F_PROBLEM, F_COUNTRY, F_CLIENT, F_TS, F_COUNT };

static const char field_names[F_COUNT][FIELD_WIDTH] = {
    [F_SERVICE] = "service", [F_PROBLEM] = "problem", [F_COUNTRY] = "country",
    [F_CLIENT] = "client",   [F_TS] = "ts",
};

/* Index of key in a table of NUL-padded names, or -1. key holds len bytes
 * (len < 0: it did not fit) and NULs up to width. Once padded, a key can
 * only collide with a name if it is that name followed by NULs, hence the
 * test of its last byte. */
static int padded_lookup(const char *table, size_t width, int count, const char *key, int len)
{
    if (len < 0 || (len > 0 && key[len - 1] == '\0'))
        return -1;
    for (int i = 0; i < count; i++)
        if (!memcmp(table + (size_t)i * width, key, width))
            return i;
    return -1;
}

static int fail(struct rep_error *err, enum rep_error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct rep_error *err, enum rep_error_code code, const char *fmt, ...)
{
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                    */

static int field_lookup(const char *s, size_t n)
{
    char key[FIELD_WIDTH] = {0};
    int len = json_unescape(s, n, key, sizeof(key));
    return padded_lookup(&field_names[0][0], sizeof(key), F_COUNT, key, len);
}

static int read_service(const char *s, size_t n, struct rep_report *out, struct rep_error *err)
{
    int len = json_unescape(s, n, out->service, REP_SERVICE_MAX);
    if (len < 0)
        return fail(err, REP_E_SERVICE, "service is longer than %d bytes", REP_SERVICE_MAX);
    if (len == 0)
        return fail(err, REP_E_SERVICE, "service must not be empty");
    int upper = 0, bad = 0;
    for (int i = 0; i < len; i++) {
        char c = out->service[i];
        if (c >= 'A' && c <= 'Z')
            upper = 1;
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   (i > 0 && (c == '.' || c == '_' || c == '-'))))
            bad = 1;
    }
    if (bad || upper) {
        char name[48];
        json_describe(name, sizeof(name), s, n);
        if (bad)
            return fail(err, REP_E_SERVICE,
                        "service \"%s\" may only use a-z, 0-9, '.', '_' and '-', "
                        "starting with a letter or digit", name);
        return fail(err, REP_E_SERVICE, "service \"%s\" must be lowercase", name);
    }
    out->service[len] = '\0';
    return 0;
}

static int read_problem(const char *s, size_t n, struct rep_report *out, struct rep_error *err)
{
    char key[PROBLEM_WIDTH] = {0};
    int len = json_unescape(s, n, key, sizeof(key));
    int p = padded_lookup(&problem_names[0][0], sizeof(key), REP_PROBLEM_COUNT, key, len);
    if (p < 0)
        return fail(err, REP_E_PROBLEM, "problem must be one of login, messages, calls, app, "
                                        "website, feed, connection, other");
    out->problem = (enum rep_problem)p;
    return 0;
}

static int read_country(const char *s, size_t n, struct rep_report *out, struct rep_error *err)
{
    char code[2];
    int index = json_unescape(s, n, code, sizeof(code)) == 2 ? country_index(code) : -1;
    if (index < 0) {
        char name[48];
        return fail(err, REP_E_COUNTRY, "country \"%s\" is not an ISO 3166-1 alpha-2 code",
                    json_describe(name, sizeof(name), s, n));
    }
    country_code(index, out->country);
    return 0;
}

static int read_client(const char *s, size_t n, struct rep_report *out, struct rep_error *err)
{
    int len = json_unescape(s, n, out->client, REP_CLIENT_MAX);
    int ok = len > 0;
    for (int i = 0; i < len && ok; i++)
        ok = out->client[i] >= 0x21 && out->client[i] <= 0x7E;
    if (!ok)
        return fail(err, REP_E_CLIENT,
                    "client must be 1 to %d printable ASCII characters without spaces",
                    REP_CLIENT_MAX);
    out->client[len] = '\0';
    return 0;
}

static int read_ts(const char *s, size_t n, struct rep_report *out, struct rep_error *err)
{
    char text[sizeof("YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+HH:MM")];
    int len = json_unescape(s, n, text, sizeof(text));
    int64_t ts;
    if (len < 0 || time_parse_iso(text, (size_t)len, &ts) < 0 || ts < 0 || ts > TS_MAX) {
        char shown[48];
        return fail(err, REP_E_TS,
                    "ts \"%s\" is not an ISO 8601 time from 1970 to 9999 like "
                    "2024-04-03T16:31:07Z", json_describe(shown, sizeof(shown), s, n));
    }
    out->ts = ts;
    return 0;
}

static int (*const readers[F_COUNT])(const char *, size_t, struct rep_report *,
                                     struct rep_error *) = {
    [F_SERVICE] = read_service, [F_PROBLEM] = read_problem, [F_COUNTRY] = read_country,
    [F_CLIENT] = read_client,   [F_TS] = read_ts,
};

/* ------------------------------------------------------------------------ */
/* API                                                                       */

int rep_parse(const char *json, size_t len, struct rep_report *out, struct rep_error *err)
{
    jsmntok_t tok[TOKENS_MAX];
    char detail[sizeof(err->detail)];
    int ntok = json_parse(json, len, tok, sizeof(tok) / sizeof(tok[0]), detail, sizeof(detail));
    if (ntok == -JSON_E_TOO_MANY)
        return fail(err, REP_E_JSON, "too many JSON values (a report has five string fields)");
    if (ntok < 0)
        return fail(err, ntok == -JSON_E_UTF8 ? REP_E_UTF8 : REP_E_JSON, "%s", detail);
    if (tok[0].type != JSMN_OBJECT)
        return fail(err, REP_E_NOT_OBJECT, "a report must be a JSON object");

    /* Every value before a failure is a string (one token), so the members
     * are the pairs (1,2), (3,4), ... */
    unsigned seen = 0;
    out->country[0] = '\0';
    out->client[0] = '\0';
    out->ts = -1;
    for (int k = 0, i = 1; k < tok[0].size; k++, i += 2) {
        const jsmntok_t *key = &tok[i], *val = &tok[i + 1];
        const char *ks = json + key->start;
        size_t kn = (size_t)(key->end - key->start);
        int f = field_lookup(ks, kn);
        if (f < 0) {
            char name[48];
            return fail(err, REP_E_UNKNOWN_FIELD, "unknown field \"%s\"",
                        json_describe(name, sizeof(name), ks, kn));
        }
        if (seen & 1u << f)
            return fail(err, REP_E_DUPLICATE_FIELD, "duplicate field \"%s\"", field_names[f]);
        seen |= 1u << f;
        if (val->type != JSMN_STRING)
            return fail(err, REP_E_FIELD_TYPE, "field \"%s\" must be a string", field_names[f]);
        if (readers[f](json + val->start, (size_t)(val->end - val->start), out, err) < 0)
            return -1;
    }
    for (int f = F_SERVICE; f <= F_PROBLEM; f++)
        if (!(seen & 1u << f))
            return fail(err, REP_E_MISSING, "missing field \"%s\"", field_names[f]);
    return 0;
}

const char *rep_error_name(enum rep_error_code code)
{
    if ((unsigned)code >= sizeof(error_names) / sizeof(error_names[0]))
        return "unknown";
    return error_names[code];
}

const char *rep_problem_name(enum rep_problem p)
{
    if ((unsigned)p >= REP_PROBLEM_COUNT)
        return "unknown";
    return problem_names[p];
}

int rep_problem_parse(const char *s, size_t len)
{
    char key[PROBLEM_WIDTH] = {0};
    if (len > sizeof(key))
        return -1;
    memcpy(key, s, len);
    return padded_lookup(&problem_names[0][0], sizeof(key), REP_PROBLEM_COUNT, key, (int)len);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

/* Bounded writer: counts what it would write, stores what fits. */
struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len < o->cap && n <= o->cap - o->len)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* `"key":"value"` with the value JSON-escaped, preceded by a comma unless
 * it is the first member. */
static void put_member(struct out *o, const char *key, const char *val, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(o, o->len > 1 ? ",\"" : "\"", o->len > 1 ? 2 : 1);
    put(o, key, strlen(key));
    put(o, "\":\"", 3);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)val[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(o, esc, sizeof(esc));
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(o, esc, sizeof(esc));
        } else {
            put(o, val + i, 1);
        }
    }
    put(o, "\"", 1);
}

int rep_format(const struct rep_report *r, char *out, size_t outsz)
{
    if ((unsigned)r->problem >= REP_PROBLEM_COUNT || (r->ts != -1 && (r->ts < 0 || r->ts > TS_MAX)))
        return -1;
    struct out o = {.buf = out, .cap = outsz};
    put(&o, "{", 1);
    if (r->ts != -1) {
        char ts[sizeof("YYYY-MM-DDTHH:MM:SSZ")];
        time_format(r->ts, ts, sizeof(ts));
        put_member(&o, "ts", ts, sizeof(ts) - 1);
    }
    put_member(&o, "service", r->service, strnlen(r->service, sizeof(r->service)));
    if (r->country[0])
        put_member(&o, "country", r->country, strnlen(r->country, sizeof(r->country)));
    const char *problem = problem_names[r->problem];
    put_member(&o, "problem", problem, strlen(problem));
    if (r->client[0])
        put_member(&o, "client", r->client, strnlen(r->client, sizeof(r->client)));
    put(&o, "}", 1);
    if (o.len >= outsz)
        return -1;
    out[o.len] = '\0';
    return (int)o.len;
}
