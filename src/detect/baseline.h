/* baseline.h - what normal looks like for one count series: the expected
 * rate for any minute of the week, and how much counts scatter around it.
 *
 * The series is observed in time order, one observation per step (a minute
 * for report counts, whatever the data's step for `downwatch series`).
 * Observations are summed into hours; each finished hour updates
 *   - an hour-of-day profile (24 slots, an exponential moving average over
 *     days: it is usable after one day of history), and
 *   - an hour-of-week profile (168 slots, averaged over weeks), which takes
 *     over from the daily one as weeks accumulate (weight n / (n + 2) after
 *     n weeks), so weekday and weekend can differ;
 *   - a recent level ratio (observed / profile over the last hours), which
 *     follows growth, decline and drift faster than the profiles do.
 * The expected rate at a time is interpolated between the centres of the
 * neighbouring hour slots, so it follows the daily curve smoothly. A slot
 * never seen falls back on the series' overall level.
 *
 * Robustness: once a day of history exists, an observation far above the
 * expectation (beyond 4 standard deviations) is cut down to that bound
 * before it is learned, and the caller passes `anomalous` for steps inside
 * an incident, which are learned as if they had been exactly as expected. So
 * outages, brigades and blips do not poison the baseline.
 *
 * Scatter: counts vary more than Poisson (bursty minutes, drifting level,
 * an imperfect profile). The variance of a window of w minutes is modelled
 * as m + m^2 / k (negative binomial, m its expected count); 1/k is estimated
 * from the residuals at one step, at five minutes and at one hour (the
 * scatter of a long window is smaller, relative to its mean, than a single
 * minute's, but bursts last a few minutes: a window inside one is no calmer
 * than a minute), shrunk towards a prior while little data exists,
 * interpolated between the scales on a log scale, and raised while the
 * profile slot behind the expectation has been seen only a few times (a
 * prior on the profile's own error, 0.15 / times seen, that gives way as
 * the hourly residuals, which measure that error, cover a few days).
 *
 * Memory: about one kilobyte per series, fixed; nothing is allocated. The
 * clock is never read: times are passed in (Unix seconds). */
#ifndef DW_BASELINE_H
#define DW_BASELINE_H

#include <stdint.h>

#define BASE_WEEK_SLOTS 168
#define BASE_DAY_SLOTS 24

struct base {
    float week[BASE_WEEK_SLOTS];       /* per-minute rate, by hour of week */
    float day[BASE_DAY_SLOTS];         /* per-minute rate, by hour of day */
    uint8_t week_seen[BASE_WEEK_SLOTS]; /* weeks learned per slot (saturates) */
    uint8_t day_seen[BASE_DAY_SLOTS];  /* days learned per slot (saturates) */
    float level;                       /* per-minute rate of the last hours */
    float mean;                        /* mean of the hour-of-day profile */
    float ratio;                       /* recent observed / profile */
    float step_num, step_den;          /* 1/k estimator at one step */
    float block_num, block_den;        /* 1/k estimator at five minutes */
    float hour_num, hour_den;          /* 1/k estimator at one hour */
    int64_t hour;                      /* hour being summed (t / 3600) */
    float hour_sum;                    /* counts learned in it */
    float hour_expected;               /* their expectation */
    float hour_profile;                /* the same without the level ratio */
    float hour_minutes;                /* minutes observed in it */
    float step;                        /* minutes per observation */
    int64_t block;                     /* five-minute block being summed */
    float block_sum, block_expected, block_minutes;
    int block_tainted;                 /* it had an anomalous step */
    uint32_t hours_seen;               /* hours learned in all */
};

/* An empty baseline: no history, expected rate 0. */
void base_init(struct base *b);

/* Learn `count` observed over [t, t + minutes). Observations must come in
 * time order (one that starts before the hour being summed is ignored).
 * anomalous != 0 learns the expectation instead of the count. */
void base_observe(struct base *b, int64_t t, double count, double minutes, int anomalous);

/* Expected count over [t, t + minutes) (rate at t times minutes); 0 while
 * nothing has been learned. */
double base_expected(const struct base *b, int64_t t, double minutes);

/* 1/k for a window of `minutes` ending near t (see the scatter model). */
double base_inv_size(const struct base *b, int64_t t, double minutes);

/* Hours of history learned so far. */
uint32_t base_hours(const struct base *b);

#endif
