/* json.c - strict JSON reading on top of jsmn (see json.h).
 *
 * jsmn tokenises the input into the caller's token array, but it is a
 * tokenizer, not a validator: even in strict mode it takes bad literals
 * (`tru`, `01`, `-`), stray or missing commas and colons (`{,}`,
 * `{"a":1,}`, `{"a" "b"}`) and never looks inside strings. So a second pass
 * walks the token tree against the bytes between the tokens and checks the
 * JSON grammar itself: every byte must be whitespace, the punctuation the
 * grammar expects at that point, or part of a token whose content is checked
 * (literals, numbers, string escapes). UTF-8 is checked over the whole input
 * first. Nothing is allocated; the input is bounded by its length, never by
 * a NUL. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "core/json.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Bytes: UTF-8, whitespace, literals, escapes                               */

/* Unicode table 3-7: no overlongs, no surrogates, nothing above U+10FFFF,
 * no truncated sequence. */
size_t json_utf8_invalid_at(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
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

int json_unescape(const char *s, size_t n, char *out, size_t cap)
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

const char *json_describe(char *out, size_t outsz, const char *s, size_t n)
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
static int tokenize(const char *json, size_t len, jsmntok_t *tok, unsigned cap, char *detail,
                    size_t detsz)
{
    jsmn_parser parser;
    jsmn_init(&parser);
    int n = jsmn_parse(&parser, json, len, tok, cap);
    if (n < 0 && (parser.toknext == 0 || tok[0].end == -1)) {
        if (n == JSMN_ERROR_NOMEM)
            return -JSON_E_TOO_MANY;
        const char *nul = memchr(json, '\0', len);
        if (n == JSMN_ERROR_PART && !nul)
            snprintf(detail, detsz, "truncated JSON: the input ends inside a value");
        else if (n == JSMN_ERROR_PART)
            snprintf(detail, detsz, "malformed JSON at byte %zu: NUL character",
                     (size_t)(nul - json));
        else
            snprintf(detail, detsz, "malformed JSON at byte %u: unexpected character",
                     parser.pos);
        return -JSON_E_SYNTAX;
    }
    int ntok = n < 0 ? (int)parser.toknext : n;
    struct walk w = {.js = json, .len = len, .tok = tok, .ntok = ntok};
    if (walk_value(&w) == 0) {
        w.pos = skip_ws(json, len, w.pos);
        if (w.pos == len)
            return w.next;
        walk_fail(&w, w.pos, "unexpected data after the JSON value");
    }
    snprintf(detail, detsz, "malformed JSON at byte %zu: %s", w.pos, w.why);
    return -JSON_E_SYNTAX;
}

int json_next(const jsmntok_t *tok, int ntok, int i)
{
    int members = tok[i].type == JSMN_OBJECT ? 2 * tok[i].size
                  : tok[i].type == JSMN_ARRAY ? tok[i].size
                                              : 0;
    for (i++; members-- > 0 && i < ntok;)
        i = json_next(tok, ntok, i);
    return i;
}

int json_parse(const char *json, size_t len, jsmntok_t *tok, unsigned cap, char *detail,
               size_t detsz)
{
    if (len > INT_MAX) {
        snprintf(detail, detsz, "the JSON text is too large");
        return -JSON_E_SYNTAX;
    }
    size_t bad = json_utf8_invalid_at(json, len);
    if (bad < len) {
        snprintf(detail, detsz, "invalid UTF-8 at byte %zu", bad);
        return -JSON_E_UTF8;
    }
    size_t first = skip_ws(json, len, 0);
    if (first == len) {
        snprintf(detail, detsz, "empty input: expected a JSON object");
        return -JSON_E_SYNTAX;
    }
    if (json[first] == '{' || json[first] == '[' || json[first] == '"')
        return tokenize(json, len, tok, cap, detail, detsz);
    /* A lone literal: jsmn's strict mode would call "5" truncated. */
    size_t end = len;
    while (is_ws(json[end - 1]))
        end--;
    if (!literal_ok(json + first, end - first)) {
        snprintf(detail, detsz, "malformed JSON at byte %zu: invalid value", first);
        return -JSON_E_SYNTAX;
    }
    if (cap == 0)
        return -JSON_E_TOO_MANY;
    tok[0] = (jsmntok_t){.type = JSMN_PRIMITIVE, .start = (int)first, .end = (int)end};
    return 1;
}
