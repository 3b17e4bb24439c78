/* json.h - strict reading of JSON text, for the request bodies the API
 * takes (reports, official updates).
 *
 * jsmn (Debian libjsmn-dev) tokenises; json_parse adds what a tokenizer
 * leaves out, so that only RFC 8259 JSON in valid UTF-8 gets through: the
 * whole grammar (literals, numbers, commas, colons, escapes, no raw control
 * characters in strings, no lone surrogates, nothing after the value). The
 * caller then walks the tokens (tok[0] is the value; an object's members
 * follow as key, value, key, value ... when every value is one token) and
 * reads strings with json_unescape. Nothing is allocated. */
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

#endif
