/* json.h - strict reading of JSON text, for the request bodies the API
 * takes (reports, official updates, subscriptions, silences).
 *
 * jsmn (Debian libjsmn-dev) tokenises; json_parse adds what a tokenizer
 * leaves out, so that only RFC 8259 JSON in valid UTF-8 gets through: the
 * whole grammar (literals, numbers, commas, colons, escapes, no raw control
 * characters in strings, no lone surrogates, nothing after the value). The
 * caller then walks the tokens (tok[0] is the value; an object's members
 * follow as key, value, key, value ... when every value is one token) and
 * reads strings with json_unescape. json_read_object does the walk for a
 * request body of known fields. Only json_string_dup allocates. */
#ifndef DW_CORE_JSON_H
#define DW_CORE_JSON_H

#include <stddef.h>

#define JSMN_HEADER
#include <jsmn.h>

enum json_error {
    JSON_E_UTF8 = 1,  /* bytes that are not valid UTF-8 */
    JSON_E_SYNTAX,    /* not one well-formed JSON value (or empty, or truncated) */
    JSON_E_TOO_MANY,  /* more tokens than the caller's array holds */
};

/* Check that json[0..len) is valid UTF-8 holding exactly one JSON value
 * (whitespace around it allowed) and tokenise it into tok[cap]. Returns the
 * number of tokens of the value (a lone number or literal is one
 * JSMN_PRIMITIVE token), or -JSON_E_... with a sentence in detail (for
 * JSON_E_TOO_MANY detail is left to the caller, who knows what it expects):
 * "invalid UTF-8 at byte 22", "malformed JSON at byte 7: expected ':'". */
int json_parse(const char *json, size_t len, jsmntok_t *tok, unsigned cap, char *detail,
               size_t detsz);

/* The index of the token after the value at tok[i] and everything inside
 * it (tokens from json_parse, ntok of them). */
int json_next(const jsmntok_t *tok, int ntok, int i);

/* Offset of the first byte that does not start a well-formed UTF-8
 * sequence, or len if all of s[0..len) is valid. */
size_t json_utf8_invalid_at(const char *s, size_t len);

/* Unescape the content s[0..n) of a string token that json_parse accepted
 * into out, at most cap bytes, no NUL added. Returns the length, or -1 if it
 * does not fit. */
int json_unescape(const char *s, size_t n, char *out, size_t cap);

/* Render the content of an accepted string token for an error sentence:
 * printable ASCII as is, quote and backslash escaped, every other character
 * as \uXXXX, cut with "..." to fit out (outsz >= 4). Returns out. */
const char *json_describe(char *out, size_t outsz, const char *s, size_t n);

/* Read a request body that must be one JSON object whose keys are among
 * names[0..n), each at most once: tokenise it into tok[cap] and set
 * values[k] to the index of the value token of names[k] (-1 when absent).
 * Returns the number of tokens, or -1 with an error code ("invalid_utf8",
 * "invalid_json", "not_an_object", "too_large", "unknown_field",
 * "duplicate_field") and a sentence in detail. */
int json_read_object(const char *json, size_t len, jsmntok_t *tok, unsigned cap,
                     const char *const *names, int n, int *values, const char **code,
                     char *detail, size_t detsz);

/* The unescaped content of the string token t as a new NUL-terminated
 * string (the caller frees it) and its length in *len (it may hold NUL
 * bytes from \u0000, which callers that want text refuse). */
char *json_string_dup(const char *json, const jsmntok_t *t, size_t *len);

#endif
