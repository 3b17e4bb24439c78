/* timeutil.h - the one place that reads the clock and converts times.
 *
 * Event times are Unix seconds (int64_t, UTC). Reports carry them as
 * ISO 8601 "YYYY-MM-DDTHH:MM:SSZ"; the parser also takes fractional seconds
 * and numeric offsets ("+05:30") and rejects anything else. Logic that must be
 * exact (detection, counting) takes `now` as a parameter; only the drivers
 * call time_now(). */
#ifndef DW_TIMEUTIL_H
#define DW_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, Unix seconds / milliseconds. */
int64_t time_now(void);
int64_t time_now_ms(void);
/* Monotonic clock in nanoseconds, for durations and timeouts. */
int64_t time_mono_ns(void);

/* Parse an ISO 8601 UTC timestamp of len bytes into Unix seconds.
 * Accepts "YYYY-MM-DDTHH:MM:SS" followed by optional ".fraction" and then
 * "Z" or "+HH:MM"/"-HH:MM". Years 1970..9999. Returns 0, or -1 if the text is
 * not such a timestamp (out is then untouched). */
int time_parse_iso(const char *s, size_t len, int64_t *out);

/* Format Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void time_format(int64_t t, char *out, size_t outsz);
/* Format Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void time_format_ms(int64_t ms, char *out, size_t outsz);

/* HTTP dates (RFC 9110 IMF-fixdate, "Wed, 03 Apr 2024 16:30:00 GMT", 30
 * bytes with NUL), for Last-Modified and If-Modified-Since. The parser
 * takes that form only (the weekday must be a day's name, but is not
 * checked against the date) and returns 0, or -1 (out untouched). */
void time_format_http(int64_t t, char *out, size_t outsz);
int time_parse_http(const char *s, int64_t *out);

/* The number of the period of `seconds` (> 0) that holds t, counted from
 * the epoch: floor(t / seconds), also for times before 1970 (-1 is the
 * last period before the epoch). time_slot(t, 86400) is t's UTC day. */
int64_t time_slot(int64_t t, int64_t seconds);

#endif
