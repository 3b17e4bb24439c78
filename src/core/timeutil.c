/* timeutil.c - clock reads and ISO 8601 conversion (see timeutil.h). The
 * parser is a strict hand-written scanner over a length-bounded buffer (the
 * input is not NUL-terminated); the civil-date arithmetic is Howard
 * Hinnant's days_from_civil and civil_from_days, so no locale or TZ state
 * (and no glibc time-zone lock, which gmtime_r takes) is involved. HTTP
 * dates use their own English names and go through the ISO parser. */
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* A Unix time broken down in UTC. */
struct civil {
    int64_t year;
    int month, day, hour, minute, second; /* month 1..12, day 1..31 */
    int weekday;                          /* 0 = Sunday */
};

static struct civil civil_from_unix(int64_t t)
{
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    struct civil c;
    c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.year = (int64_t)yoe + era * 400 + (c.month <= 2);
    c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c.hour = (int)(secs / 3600);
    c.minute = (int)(secs / 60 % 60);
    c.second = (int)(secs % 60);
    c.weekday = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
    return c;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Read exactly n digits at s[*pos]; -1 if any is not a digit. */
static int digits(const char *s, size_t len, size_t *pos, unsigned n)
{
    int v = 0;
    if (*pos + n > len)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        char c = s[*pos + i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *pos += n;
    return v;
}

static int expect(const char *s, size_t len, size_t *pos, char c)
{
    if (*pos >= len || s[*pos] != c)
        return -1;
    (*pos)++;
    return 0;
}

int time_parse_iso(const char *s, size_t len, int64_t *out)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t p = 0;
    int y = digits(s, len, &p, 4);
    if (y < 1970 || expect(s, len, &p, '-'))
        return -1;
    int mo = digits(s, len, &p, 2);
    if (mo < 1 || mo > 12 || expect(s, len, &p, '-'))
        return -1;
    int d = digits(s, len, &p, 2);
    unsigned maxd = mdays[mo - 1] + (mo == 2 && is_leap(y));
    if (d < 1 || (unsigned)d > maxd || expect(s, len, &p, 'T'))
        return -1;
    int h = digits(s, len, &p, 2);
    if (h < 0 || h > 23 || expect(s, len, &p, ':'))
        return -1;
    int mi = digits(s, len, &p, 2);
    if (mi < 0 || mi > 59 || expect(s, len, &p, ':'))
        return -1;
    int se = digits(s, len, &p, 2);
    if (se < 0 || se > 60)
        return -1;
    if (p < len && s[p] == '.') {
        size_t start = ++p;
        while (p < len && s[p] >= '0' && s[p] <= '9' && p - start < 9)
            p++;
        if (p == start)
            return -1;
    }
    int64_t offset = 0;
    if (p < len && s[p] == 'Z') {
        p++;
    } else if (p < len && (s[p] == '+' || s[p] == '-')) {
        int sign = s[p++] == '-' ? -1 : 1;
        int oh = digits(s, len, &p, 2);
        if (oh < 0 || oh > 23 || expect(s, len, &p, ':'))
            return -1;
        int om = digits(s, len, &p, 2);
        if (om < 0 || om > 59)
            return -1;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (p != len)
        return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = days * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se) - offset;
    return 0;
}

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

void time_format(int64_t t, char *out, size_t outsz)
{
    struct civil c = civil_from_unix(t);
    if (c.year < 0 || c.year > 9999 || outsz < 21) {
        snprintf(out, outsz, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)c.year, c.month,
                 c.day, c.hour, c.minute, c.second);
        return;
    }
    /* By hand: it is on the intake's path, once per report answered. */
    int year = (int)c.year;
    char *p = put2(put2(out, year / 100), year % 100);
    *p++ = '-';
    p = put2(p, c.month);
    *p++ = '-';
    p = put2(p, c.day);
    *p++ = 'T';
    p = put2(p, c.hour);
    *p++ = ':';
    p = put2(p, c.minute);
    *p++ = ':';
    p = put2(p, c.second);
    *p++ = 'Z';
    *p = '\0';
}

void time_format_ms(int64_t ms, char *out, size_t outsz)
{
    int64_t ms_part = ms % 1000;
    if (ms_part < 0)
        ms_part += 1000;
    struct civil c = civil_from_unix((ms - ms_part) / 1000);
    snprintf(out, outsz, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)c.year, c.month,
             c.day, c.hour, c.minute, c.second, (int)ms_part);
}

static const char weekdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void time_format_http(int64_t t, char *out, size_t outsz)
{
    struct civil c = civil_from_unix(t);
    snprintf(out, outsz, "%s, %02d %s %04lld %02d:%02d:%02d GMT", weekdays[c.weekday], c.day,
             months[c.month - 1], (long long)c.year, c.hour, c.minute, c.second);
}

int time_parse_http(const char *s, int64_t *out)
{
    /* "Wed, 03 Apr 2024 16:30:00 GMT": names checked here, digits and
     * ranges by the ISO parser. */
    if (strlen(s) != 29 || strncmp(s + 3, ", ", 2) != 0 || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || strcmp(s + 25, " GMT") != 0)
        return -1;
    int wday = 0, mon = 0;
    while (wday < 7 && strncmp(s, weekdays[wday], 3) != 0)
        wday++;
    while (mon < 12 && strncmp(s + 8, months[mon], 3) != 0)
        mon++;
    if (wday == 7 || mon == 12)
        return -1;
    char iso[24];
    snprintf(iso, sizeof(iso), "%.4s-%02d-%.2sT%.8sZ", s + 12, mon + 1, s + 5, s + 17);
    return time_parse_iso(iso, strlen(iso), out);
}

int64_t time_slot(int64_t t, int64_t seconds)
{
    int64_t q = t / seconds;
    return (t % seconds != 0 && t < 0) ? q - 1 : q;
}
