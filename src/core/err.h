/* err.h - the error sentences of set-up code. Functions that can fail for
 * reasons a person must fix (a bad option, an unreadable file) take a
 * caller-owned `char *err, size_t errsz` and write one sentence into it. */
#ifndef DW_ERR_H
#define DW_ERR_H

#include <stddef.h>

/* printf into err (size errsz, always NUL-terminated). */
void err_set(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
