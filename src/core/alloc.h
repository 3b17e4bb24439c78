/* alloc.h - allocation in one place: every allocation of downwatch goes
 * through these wrappers, which abort with a message on out-of-memory, so
 * callers never carry an OOM branch they could not test anyway. */
#ifndef DW_ALLOC_H
#define DW_ALLOC_H

#include <stddef.h>

/* Like malloc/calloc/realloc/strdup, but never return NULL: on failure they
 * print a message to stderr and abort(). The caller owns the result and
 * releases it with free(). */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Zeroed like xcalloc, and aligned to a cache line (64 bytes): for arrays
 * of structs declared _Alignas(64), written by different threads. */
void *xcalloc_lines(size_t count, size_t size);

#endif
