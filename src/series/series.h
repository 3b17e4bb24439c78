/* series.h - in-memory report counts per (service, country) and minute.
 *
 * For every service, and every (service, country) that has reports, a ring
 * of per-minute counts (the recent past, `minutes` long) and a ring of
 * per-hour counts (the weeks the baseline needs, `hours` long). Each point
 * holds the number of reports, the number of counted votes (distinct
 * clients: the vote guard lets one report per client and service through per
 * window) and the counted votes per problem. Counts saturate at UINT32_MAX.
 *
 * Each ring holds a window of `len` minutes (hours) that ends at the newest
 * minute (hour) any report of that series has had: older data is overwritten
 * in place, and a late report for a time already out of the window is
 * dropped from that ring (it is still on disk). What a query returns is thus
 * exactly the reports whose time is inside the window now, whatever order
 * they came in. A report far in the future moves the window with it.
 *
 * Memory is fixed per series: 48 bytes per slot plus a 64-byte header, so
 * (minutes + hours) * 48 + 64 bytes; with the defaults (1440 minutes, 840
 * hours) 109,504 bytes (~107 KiB). A total series per service is allocated
 * by series_new, a (service, country) series on its first report, and there
 * are at most max_series of the latter (beyond it only the service totals
 * count; one warning is logged). The lookup table adds 8 bytes per
 * (service, country) pair, 5,408 bytes per service. In all:
 * (services + series_active()) * series bytes + services * 5,408.
 *
 * Writers and readers may be on different threads: one read-write lock,
 * preferring writers, guards the table. No clock is read; event times are
 * passed in. Negative times are fine (minute = floor(ts / 60)). */
#ifndef DW_SERIES_H
#define DW_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

#define SERIES_ALL_COUNTRIES (-1)

struct series_config {
    size_t services;     /* catalog size: totals are kept for each; <= INT_MAX */
    size_t max_series;   /* cap on (service, country) series; 0 keeps totals only */
    int minutes;         /* minute ring length, >= 1 */
    int hours;           /* hour ring length, >= 1 */
};

/* One point of a series: counts over [t, t + step). */
struct series_point {
    int64_t t;
    uint32_t reports;                     /* all stored reports */
    uint32_t clients;                     /* counted votes = distinct clients */
    uint32_t problems[REP_PROBLEM_COUNT]; /* counted votes per problem */
};

struct series;

/* Make the table for cfg (copied; cfg need not outlive the call), with an
 * empty total series for each of cfg->services services. Returns NULL if a
 * ring length is below 1 or services exceeds INT_MAX. The caller frees the
 * table with series_free(). */
struct series *series_new(const struct series_config *cfg);
/* Free the table and all its series; s may be NULL. No other thread may be
 * using s. */
void series_free(struct series *s);

/* Add one report at event time ts (Unix seconds) to the service total and to
 * the (service, country) series, creating the latter on its first report if
 * fewer than max_series exist. Every report adds 1 to `reports`; a counted
 * one (counted != 0, the client's vote for this window) also adds 1 to
 * `clients` and to problems[problem]. Minute and hour rings are updated
 * independently: a report can be too late for the minute ring but still land
 * in the hour ring. service is a catalog index in [0, services) and problem an
 * enum rep_problem: a report with either out of range is ignored. country is
 * a country.h index; one outside [0, COUNTRY_SLOTS) counts in the service
 * total only. Never allocates after the first report of a series. */
void series_add(struct series *s, int service, int country, int problem, int counted, int64_t ts);

/* Fill out[0..n) with the points of the buckets [t, t + step) that start at
 * `from` rounded down to a multiple of step and begin before `to` (so the
 * points cover [from, to) entirely), for one country or SERIES_ALL_COUNTRIES;
 * out[i].t is the start of bucket i. step is in seconds, a positive multiple
 * of 60.
 *  - step a multiple of 3600: sums of hour-ring slots;
 *  - otherwise: sums of minute-ring slots. A minute older than the minute
 *    window counts 0 (an hour slot cannot be split into minutes): query older
 *    ranges with an hourly step.
 * Times outside a ring's window and times without reports count 0, as does
 * every point of a country that has no series (never reported, or beyond the
 * cap). Returns the number of points written, min(n, number of buckets), 0
 * if to <= from; or -1 for a bad step, a service out of range or a country
 * that is neither SERIES_ALL_COUNTRIES nor in [0, COUNTRY_SLOTS). Work, with
 * the read lock held, is O(n + ring length) whatever the range. A `from` so
 * low that its bucket start would not fit in an int64_t is raised to the
 * first bucket that does. */
long series_query(struct series *s, int service, int country, int64_t from, int64_t to,
                  int step, struct series_point *out, size_t n);

/* Fill out[0..n) with n consecutive buckets of `minutes` minutes that end
 * at `end` rounded up to a minute: out[n - 1] covers [end - minutes * 60,
 * end), out[i].t is the start of bucket i. Sums of minute-ring slots, so the
 * buckets need not start on the hour ("the last 24 hours up to now, hour by
 * hour"); minutes older than the minute window count 0. Returns n, or -1 for
 * minutes < 1 or a service or country out of range (as series_query). Work,
 * with the read lock held, is O(n * minutes) at most, nothing for a series
 * with no report in the range. */
long series_recent(struct series *s, int service, int country, int64_t end, int minutes,
                   struct series_point *out, size_t n);

/* Countries that have a series for this service, in increasing index order:
 * writes up to n country indexes into out and returns how many there are in
 * all (0 for a service out of range). */
size_t series_countries(struct series *s, int service, int *out, size_t n);

/* Number of per-country series in use, at most max_series (for /metrics and
 * tests). */
size_t series_active(struct series *s);

#endif
