/* buf.c - growable buffer and JSON string escaping (see buf.h). Growth is
 * geometric so appends are amortised O(1). */
#include "core/buf.h"
#include "core/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_steal(struct buf *b, size_t *len)
{
    if (!b->data)
        buf_append(b, "", 0);
    char *data = b->data;
    if (len)
        *len = b->len;
    buf_init(b);
    return data;
}

static void reserve(struct buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
    reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    /* Write straight into the room left; format again only if too short. */
    size_t room = b->cap - b->len;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, copy);
    va_end(copy);
    if (n > 0 && (size_t)n >= room) {
        reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    }
    if (n > 0)
        b->len += (size_t)n;
    va_end(ap);
}

void buf_put_uint(struct buf *b, uint64_t n)
{
    char digits[20];
    size_t i = sizeof(digits);
    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    buf_append(b, digits + i, sizeof(digits) - i);
}

void buf_json_str(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    reserve(b, len + 2);
    buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of bytes needing no escape */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, esc, sizeof(esc));
        }
        }
    }
    buf_append(b, s + run, len - run);
    buf_putc(b, '"');
}

void buf_json_cstr(struct buf *b, const char *s)
{
    buf_json_str(b, s, strlen(s));
}

void buf_json_cstr_or_null(struct buf *b, const char *s)
{
    if (s)
        buf_json_cstr(b, s);
    else
        buf_puts(b, "null");
}

void buf_json_key(struct buf *b, const char *key)
{
    buf_json_cstr(b, key);
    buf_putc(b, ':');
}

void buf_json_error_open(struct buf *b, const char *error, const char *detail)
{
    buf_putc(b, '{');
    buf_json_key(b, "error");
    buf_json_cstr(b, error);
    buf_putc(b, ',');
    buf_json_key(b, "detail");
    buf_json_cstr(b, detail);
}
