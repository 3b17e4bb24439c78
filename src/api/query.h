/* query.h - the values of the API's query strings: flags, counts, times
 * and steps. Each parser takes a NUL-terminated value as the HTTP layer
 * decoded it and accepts exactly its documented forms (no leading spaces,
 * signs or trailing bytes), so what is refused is refused the same way
 * everywhere. Pure functions; fuzz/fuzz_query.c checks them. */
#ifndef DW_QUERY_H
#define DW_QUERY_H

#include <stdint.h>

#define QUERY_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define QUERY_STEP_MAX (30 * 86400)          /* a month, in seconds */

/* "true"/"1" -> 1, "false"/"0" -> 0; else -1. */
int query_flag(const char *s, int *out);

/* Decimal digits for a whole number from 1 to max; else -1. */
int query_count(const char *s, int max, int *out);

/* An ISO 8601 time or Unix seconds, from 0 to QUERY_TIME_MAX; else -1. */
int query_time(const char *s, int64_t *out);

/* Seconds, bare or with a unit s, m, h or d (60, 5m, 1h, 1d), from 1 to
 * QUERY_STEP_MAX; else -1. */
int query_step(const char *s, int *out);

#endif
