/* query.c - query string values (see query.h). Numbers are read digit by
 * digit with an overflow bound, not with strtol, which would take leading
 * spaces and signs. */
#include "api/query.h"

#include <string.h>

#include "core/timeutil.h"

/* The decimal digits at *s as a number up to max: advances *s; -1 if there
 * is no digit or the number exceeds max. */
static int64_t digits(const char **s, int64_t max)
{
    const char *p = *s;
    int64_t v = 0;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > max)
            return -1;
    }
    *s = p;
    return v;
}

int query_flag(const char *s, int *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

int query_count(const char *s, int max, int *out)
{
    int64_t v = digits(&s, max);
    if (v < 1 || *s)
        return -1;
    *out = (int)v;
    return 0;
}

int query_time(const char *s, int64_t *out)
{
    int64_t t;
    if (time_parse_iso(s, strlen(s), &t) == 0) {
        if (t < 0 || t > QUERY_TIME_MAX)
            return -1;
        *out = t;
        return 0;
    }
    t = digits(&s, QUERY_TIME_MAX);
    if (t < 0 || *s)
        return -1;
    *out = t;
    return 0;
}

int query_step(const char *s, int *out)
{
    int64_t v = digits(&s, QUERY_STEP_MAX);
    int64_t unit = 1;
    switch (*s) {
    case 'd':
        unit = 86400;
        s++;
        break;
    case 'h':
        unit = 3600;
        s++;
        break;
    case 'm':
        unit = 60;
        s++;
        break;
    case 's':
        s++;
        break;
    }
    if (v < 1 || *s || v > QUERY_STEP_MAX / unit)
        return -1;
    *out = (int)(v * unit);
    return 0;
}
