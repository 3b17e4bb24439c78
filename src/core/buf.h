/* buf.h - a growable byte buffer and a small JSON writer on top of it.
 *
 * Every JSON document downwatch sends is written with these calls, so the
 * escaping rules live in one place: strings are escaped per RFC 8259 (quotes,
 * backslash, control characters as \u00XX), bytes >= 0x80 are copied as they
 * are (callers only pass validated UTF-8). The buffer is always
 * NUL-terminated so it can be logged or compared as a C string. */
#ifndef DW_BUF_H
#define DW_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data;  /* NUL-terminated; owned by the buffer */
    size_t len;  /* bytes used, not counting the terminating NUL */
    size_t cap;  /* bytes allocated */
};

/* Initialise an empty buffer; no allocation until the first append. */
void buf_init(struct buf *b);
/* Release the memory; the buffer may be reused after buf_init(). */
void buf_free(struct buf *b);
/* Forget the contents, keep the memory. */
void buf_reset(struct buf *b);
/* Hand the data to the caller (who frees it) and leave the buffer empty. */
char *buf_steal(struct buf *b, size_t *len);

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
/* printf-style append. */
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append n in decimal (no printf on hot paths). */
void buf_put_uint(struct buf *b, uint64_t n);

/* JSON pieces. buf_json_str writes a quoted, escaped string of len bytes;
 * buf_json_cstr the same for a C string. */
void buf_json_str(struct buf *b, const char *s, size_t len);
void buf_json_cstr(struct buf *b, const char *s);
/* buf_json_cstr, or null when s is NULL. */
void buf_json_cstr_or_null(struct buf *b, const char *s);
/* Write `"key":` (key escaped). */
void buf_json_key(struct buf *b, const char *key);
/* Write the API's error object, {"error":"<code>","detail":"<sentence>"},
 * without the closing brace, so callers may add fields before it. */
void buf_json_error_open(struct buf *b, const char *error, const char *detail);

#endif
