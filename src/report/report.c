/* report.c - the strict report parser and writer (see report.h).
 *
 * jsmn tokenises the input into a fixed array on the stack, but it is a
 * tokenizer, not a validator: even in strict mode it takes bad literals
 * (`tru`, `01`, `-`), stray or missing commas and colons (`{,}`,
 * `{"a":1,}`, `{"a" "b"}`) and never looks inside strings. So a second pass
 * walks the token tree against the bytes between the tokens and checks the
 * JSON grammar itself: every byte must be whitespace, the punctuation the
 * grammar expects at that point, or part of a token whose content is checked
 * (literals, numbers, string escapes). UTF-8 is checked over the whole input
 * first. Only then are the fields unescaped into fixed buffers and
 * validated, in document order, so the first problem is the one reported.
 * Nothing is allocated; the input is bounded by its length, never by a NUL. */
#include "report/report.h"
#include "core/timeutil.h"
#include "report/country.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

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
/* Bytes: UTF-8, whitespace, literals, escapes                               */

/* Offset of the first byte that does not start a well-formed UTF-8
 * sequence (Unicode table 3-7: no overlongs, no surrogates, nothing above
 * U+10FFFF, no truncated sequence), or len if all of s is valid. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint64_t word;
        if (len - i >= sizeof(word)) { /* ASCII fast path, 8 bytes at a time */
            memcpy(&word, s + i, sizeof(word));
            if (!(word & UINT64_C(0x8080808080808080))) {
                i += sizeof(word);
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
        size_t more;                   /* continuation bytes */
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* UTF-16 surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            return i;
        }
        if (len - i <= more || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= more; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += more + 1;
    }
    return len;
}

/* Decode the (already validated) UTF-8 sequence at s[*i]. */
static uint32_t utf8_next(const char *s, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    if (u[0] < 0x80) {
        *i += 1;
        return u[0];
    }
    if (u[0] < 0xE0) {
        *i += 2;
        return (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    }
    if (u[0] < 0xF0) {
        *i += 3;
        return (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    }
    *i += 4;
    return (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
           (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
}

/* Encode a code point (not a surrogate, at most U+10FFFF) as UTF-8 into
 * out[4]; returns the number of bytes. */
static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && is_ws(s[i]))
        i++;
    return i;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether s[0..n) is exactly true, false, null or an RFC 8259 number
 * (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?). */
static int literal_ok(const char *s, size_t n)
{
    if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "null", 4)))
        return 1;
    if (n == 5 && !memcmp(s, "false", 5))
        return 1;
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && is_digit(s[i]))
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        size_t from = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == from)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t from = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == from)
            return 0;
    }
    return i == n;
}

/* Value of four hex digits, or -1. */
static int hex4(const char *s)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        int c = (unsigned char)s[k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Decode the escape at s[*i] (a backslash) within a string that ends at
 * end: one of \" \\ \/ \b \f \n \r \t \uXXXX, a surrogate pair as two \u
 * escapes. On success stores the code point, moves *i past the escape and
 * returns NULL; otherwise leaves *i and returns what is wrong. */
static const char *unescape_one(const char *s, size_t end, size_t *i, uint32_t *cp)
{
    size_t p = *i + 1;
    if (p >= end)
        return "backslash at the end of a string";
    switch (s[p]) {
    case '"': *cp = '"'; break;
    case '\\': *cp = '\\'; break;
    case '/': *cp = '/'; break;
    case 'b': *cp = '\b'; break;
    case 'f': *cp = '\f'; break;
    case 'n': *cp = '\n'; break;
    case 'r': *cp = '\r'; break;
    case 't': *cp = '\t'; break;
    case 'u': {
        int hi = end - p > 4 ? hex4(s + p + 1) : -1;
        if (hi < 0)
            return "\\u must be followed by four hex digits";
        p += 5;
        if (hi >= 0xDC00 && hi <= 0xDFFF)
            return "lone low surrogate in a \\u escape";
        if (hi < 0xD800 || hi > 0xDBFF) {
            *cp = (uint32_t)hi;
            *i = p;
            return NULL;
        }
        int lo = end - p > 5 && s[p] == '\\' && s[p + 1] == 'u' ? hex4(s + p + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return "high surrogate not followed by a low surrogate";
        *cp = 0x10000 + ((uint32_t)(hi - 0xD800) << 10) + (uint32_t)(lo - 0xDC00);
        *i = p + 6;
        return NULL;
    }
    default:
        return "invalid escape sequence";
    }
    *i = p + 1;
    return NULL;
}

/* Unescape the validated string content s[0..n) into out, at most cap
 * bytes, no NUL added. Returns the length, or -1 if it does not fit. */
static int unescape(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            if (o == cap)
                return -1;
            out[o++] = s[i++];
            continue;
        }
        uint32_t cp;
        char enc[4];
        if (unescape_one(s, n, &i, &cp))
            return -1;
        size_t k = utf8_put(cp, enc);
        if (cap - o < k)
            return -1;
        memcpy(out + o, enc, k);
        o += k;
    }
    return (int)o;
}

/* Render the validated string content s[0..n) for an error detail: printable
 * ASCII as is, quote and backslash escaped, every other character as \uXXXX,
 * cut with "..." to fit out (outsz >= 4). Returns out. */
static const char *describe(char *out, size_t outsz, const char *s, size_t n)
{
    size_t o = 0, room = outsz - sizeof("...");
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        if (s[i] != '\\')
            cp = utf8_next(s, &i);
        else if (unescape_one(s, n, &i, &cp))
            break;
        char piece[16];
        int k;
        if (cp == '"' || cp == '\\')
            k = snprintf(piece, sizeof(piece), "\\%c", (char)cp);
        else if (cp >= 0x20 && cp < 0x7F)
            k = snprintf(piece, sizeof(piece), "%c", (char)cp);
        else if (cp < 0x10000)
            k = snprintf(piece, sizeof(piece), "\\u%04X", (unsigned)cp);
        else
            k = snprintf(piece, sizeof(piece), "\\u%04X\\u%04X",
                         (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                         (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
        if ((size_t)k > room - o) {
            memcpy(out + o, "...", sizeof("..."));
            return out;
        }
        memcpy(out + o, piece, (size_t)k);
        o += (size_t)k;
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------------------ */
/* Grammar: the walk over jsmn's tokens                                      */

struct walk {
    const char *js;
    size_t len;
    const jsmntok_t *tok;
    int ntok;
    int next;        /* next token to visit */
    size_t pos;      /* next byte to account for */
    const char *why; /* on failure: what was wrong at pos */
};

static int walk_fail(struct walk *w, size_t at, const char *why)
{
    w->pos = at;
    w->why = why;
    return -1;
}

/* Skip whitespace, then require the byte c; why says what was expected. */
static int walk_expect(struct walk *w, char c, const char *why)
{
    w->pos = skip_ws(w->js, w->len, w->pos);
    if (w->pos < w->len && w->js[w->pos] == c) {
        w->pos++;
        return 0;
    }
    return walk_fail(w, w->pos, why);
}

/* The string token t must start (with its quote) at w->pos; checks its
 * escapes and that it holds no raw control character. */
static int walk_string(struct walk *w, const jsmntok_t *t)
{
    if ((size_t)t->start != w->pos + 1)
        return walk_fail(w, w->pos, "expected a string");
    size_t end = (size_t)t->end;
    for (size_t i = (size_t)t->start; i < end;) {
        unsigned char c = (unsigned char)w->js[i];
        if (c == '\\') {
            uint32_t cp;
            const char *why = unescape_one(w->js, end, &i, &cp);
            if (why)
                return walk_fail(w, i, why);
        } else if (c < 0x20) {
            return walk_fail(w, i, "control character in a string (must be escaped)");
        } else {
            i++;
        }
    }
    w->pos = end + 1;
    return 0;
}

/* Check the value that starts at w->pos (after whitespace) against the
 * next token, recursively, and leave w->pos just after it. */
static int walk_value(struct walk *w)
{
    w->pos = skip_ws(w->js, w->len, w->pos);
    if (w->next >= w->ntok)
        return walk_fail(w, w->pos, "expected a value");
    const jsmntok_t *t = &w->tok[w->next++];
    if (t->type == JSMN_STRING)
        return walk_string(w, t);
    if ((size_t)t->start != w->pos)
        return walk_fail(w, w->pos, "expected a value");
    if (t->type == JSMN_PRIMITIVE) {
        if (!literal_ok(w->js + t->start, (size_t)(t->end - t->start)))
            return walk_fail(w, w->pos, "invalid number or literal");
        w->pos = (size_t)t->end;
        return 0;
    }
    /* An object or an array: its members, separated by commas. */
    w->pos++;
    for (int k = 0; k < t->size; k++) {
        if (k > 0 && walk_expect(w, ',', "expected ','") < 0)
            return -1;
        if (t->type == JSMN_OBJECT) {
            w->pos = skip_ws(w->js, w->len, w->pos);
            if (w->next >= w->ntok || w->tok[w->next].type != JSMN_STRING)
                return walk_fail(w, w->pos, "expected a string key");
            if (walk_string(w, &w->tok[w->next++]) < 0 ||
                walk_expect(w, ':', "expected ':'") < 0)
                return -1;
        }
        if (walk_value(w) < 0)
            return -1;
    }
    /* With every member in place, this bracket is the one jsmn matched. */
    return t->type == JSMN_OBJECT ? walk_expect(w, '}', "expected '}'")
                                  : walk_expect(w, ']', "expected ']'");
}

/* Tokenise json with jsmn into tok[cap] and check the grammar; on success
 * tok[0] is the top-level value. jsmn carries on after the first value, so
 * once that is closed, whatever jsmn dislikes later is trailing data. */
static int tokenize(const char *json, size_t len, jsmntok_t *tok, unsigned cap,
                    struct rep_error *err)
{
    jsmn_parser parser;
    jsmn_init(&parser);
    int n = jsmn_parse(&parser, json, len, tok, cap);
    if (n < 0 && (parser.toknext == 0 || tok[0].end == -1)) {
        if (n == JSMN_ERROR_NOMEM)
            return fail(err, REP_E_JSON, "too many JSON values (a report has five string fields)");
        const char *nul = memchr(json, '\0', len);
        if (n == JSMN_ERROR_PART && !nul)
            return fail(err, REP_E_JSON, "truncated JSON: the input ends inside a value");
        if (n == JSMN_ERROR_PART)
            return fail(err, REP_E_JSON, "malformed JSON at byte %zu: NUL character",
                        (size_t)(nul - json));
        return fail(err, REP_E_JSON, "malformed JSON at byte %u: unexpected character",
                    parser.pos);
    }
    struct walk w = {.js = json, .len = len, .tok = tok, .ntok = n < 0 ? (int)parser.toknext : n};
    if (walk_value(&w) == 0) {
        w.pos = skip_ws(json, len, w.pos);
        if (w.pos == len)
            return 0;
        walk_fail(&w, w.pos, "unexpected data after the JSON value");
    }
    return fail(err, REP_E_JSON, "malformed JSON at byte %zu: %s", w.pos, w.why);
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                    */

static int field_lookup(const char *s, size_t n)
{
    char key[FIELD_WIDTH] = {0};
    int len = unescape(s, n, key, sizeof(key));
    return padded_lookup(&field_names[0][0], sizeof(key), F_COUNT, key, len);
}

static int read_service(const char *s, size_t n, struct rep_report *out, struct rep_error *err)
{
    int len = unescape(s, n, out->service, REP_SERVICE_MAX);
    if (len < 0)
        return fail(err, REP_E_SERVICE, "service is longer than %d bytes", REP_SERVICE_MAX);
    if (len == 0)
        return fail(err, REP_E_SERVICE, "service must not be empty");
    int upper = 0, bad = 0;
    for (int i = 0; i < len; i++) {
        char c = out->service[i];
        if (c >= 'A' && c <= 'Z')
            upper = 1;
        else if (!((c >= 'a' && c <= 'z') || is_digit(c) ||
                   (i > 0 && (c == '.' || c == '_' || c == '-'))))
            bad = 1;
    }
    if (bad || upper) {
        char name[48];
        describe(name, sizeof(name), s, n);
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
    int len = unescape(s, n, key, sizeof(key));
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
    int index = unescape(s, n, code, sizeof(code)) == 2 ? country_index(code) : -1;
    if (index < 0) {
        char name[48];
        return fail(err, REP_E_COUNTRY, "country \"%s\" is not an ISO 3166-1 alpha-2 code",
                    describe(name, sizeof(name), s, n));
    }
    country_code(index, out->country);
    return 0;
}

static int read_client(const char *s, size_t n, struct rep_report *out, struct rep_error *err)
{
    int len = unescape(s, n, out->client, REP_CLIENT_MAX);
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
    int len = unescape(s, n, text, sizeof(text));
    int64_t ts;
    if (len < 0 || time_parse_iso(text, (size_t)len, &ts) < 0 || ts < 0 || ts > TS_MAX) {
        char shown[48];
        return fail(err, REP_E_TS,
                    "ts \"%s\" is not an ISO 8601 time from 1970 to 9999 like "
                    "2024-04-03T16:31:07Z", describe(shown, sizeof(shown), s, n));
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
    if (len > INT_MAX)
        return fail(err, REP_E_JSON, "report is too large");
    size_t bad = utf8_invalid_at((const unsigned char *)json, len);
    if (bad < len)
        return fail(err, REP_E_UTF8, "invalid UTF-8 at byte %zu", bad);
    size_t first = skip_ws(json, len, 0);
    if (first == len)
        return fail(err, REP_E_JSON, "empty input: expected a JSON object");
    if (json[first] != '{' && json[first] != '[' && json[first] != '"') {
        /* A lone literal: jsmn's strict mode would call "5" truncated. */
        size_t end = len;
        while (is_ws(json[end - 1]))
            end--;
        if (!literal_ok(json + first, end - first))
            return fail(err, REP_E_JSON, "malformed JSON at byte %zu: invalid value", first);
        return fail(err, REP_E_NOT_OBJECT, "a report must be a JSON object");
    }

    jsmntok_t tok[TOKENS_MAX];
    if (tokenize(json, len, tok, sizeof(tok) / sizeof(tok[0]), err) < 0)
        return -1;
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
                        describe(name, sizeof(name), ks, kn));
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
