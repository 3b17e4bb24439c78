/* series.h - in-memory report counts per (service, country) and minute.
 *
 * For every service, and every (service, country) that has reports, a ring
 * of per-minute counts (the recent past, `minutes` long) and a ring of
 * per-hour counts (the weeks the baseline needs, `hours` long). Each point
 * holds the number of reports, the number of counted votes (distinct
 * clients: the vote guard lets one report per client and service through per
 * window) and the counted votes per problem. Rings are tagged by their
 * minute/hour number, so old data is overwritten in place and a late report
 * for a time already gone from the ring is dropped from memory (it is still
 * on disk). Memory is fixed per series; the number of per-country series is
 * capped by max_series (beyond it only the service totals are kept).
 *
 * Writers and readers may be on different threads: a read-write lock guards
 * the table. No clock is read; event times are passed in. */
#ifndef DW_SERIES_H
#define DW_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

#define SERIES_ALL_COUNTRIES (-1)

struct series_config {
    size_t services;     /* catalog size: totals are kept for each */
    size_t max_series;   /* cap on (service, country) series */
    int minutes;         /* minute ring length */
    int hours;           /* hour ring length */
};

/* One point of a series: counts over [t, t + step). */
struct series_point {
    int64_t t;
    uint32_t reports;                     /* all stored reports */
    uint32_t clients;                     /* counted votes = distinct clients */
    uint32_t problems[REP_PROBLEM_COUNT]; /* counted votes per problem */
};

struct series;

struct series *series_new(const struct series_config *cfg);
void series_free(struct series *s);

/* Add one report at event time ts. country is a country.h index. */
void series_add(struct series *s, int service, int country, int problem, int counted, int64_t ts);

/* Fill out[0..n) with points from `from` (rounded down to step) in steps of
 * `step` seconds (a multiple of 60; the hour ring is used when step is a
 * multiple of 3600 or the range is older than the minute ring), for one
 * country or SERIES_ALL_COUNTRIES. Returns the number of points written
 * (min of n and the range length), or -1 for a bad step. */
long series_query(struct series *s, int service, int country, int64_t from, int64_t to,
                  int step, struct series_point *out, size_t n);

/* Countries that have a series for this service: writes up to n country
 * indexes into out and returns how many there are in all. */
size_t series_countries(struct series *s, int service, int *out, size_t n);

/* Number of per-country series in use (for /metrics and tests). */
size_t series_active(struct series *s);

#endif
