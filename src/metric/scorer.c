/* scorer.c - anomaly scores of one series, row by row (see scorer.h).
 *
 * The step is the median of the recent positive gaps between timestamps;
 * values are counts per step for the baseline of src/detect (a series that
 * goes negative is shifted up by its lowest value so far). Rows that
 * repeat or go back in time are scored against the expectation at their
 * time but not learned: the baseline stays in order.
 *
 * A row's surprise s is tail_score of its count against the expectation
 * (-log10 of the chance of a count at least this high). Series differ in
 * how well the count model fits them (bursty ones produce large s all the
 * time), so s is made relative: x = s / (1 + the largest s seen before).
 * A burst lasts many rows and only its first row is news, so within 12
 * hours of a row, x must be 3 times higher or it is damped tenfold. The
 * score is x / (x + 1): 0 as expected, 0.5 as surprising as the worst so
 * far, never 1. Nothing is scored during the baseline's first day. */
#include "metric/scorer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "detect/baseline.h"
#include "detect/tail.h"

#define GAP_SAMPLES 63     /* recent gaps the step is the median of */
#define COUNT_MAX 1e12     /* counts beyond this are clamped for the model */
#define WARM_HOURS 24      /* history before rows are scored */
#define QUIET_SECONDS 43200 /* an alarm's shadow: 12 hours */
#define QUIET_RISE 3.0     /* a row in the shadow must be this much higher */
#define QUIET_DAMP 0.1     /* or its relative surprise is scaled by this */
#define SHADOW_ROWS 1024  /* at most this many rows in the shadow */

struct scorer {
    struct base base;
    int64_t gaps[GAP_SAMPLES]; /* recent positive gaps, a ring */
    int ngaps, gap_next;
    int64_t last_t; /* the latest time learned */
    int have_last;
    double low;      /* lowest value so far, at most 0 */
    double past_max; /* largest surprise so far */
    double shadow[SHADOW_ROWS]; /* the latest relative surprises, a ring */
    int shadow_next;
};

struct scorer *scorer_new(void)
{
    struct scorer *s = xcalloc(1, sizeof(*s));
    base_init(&s->base);
    return s;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Seconds per step: the median recent positive gap, 0 while none is known. */
static int64_t scorer_step(const struct scorer *s)
{
    if (s->ngaps == 0)
        return 0;
    int64_t sorted[GAP_SAMPLES];
    memcpy(sorted, s->gaps, sizeof(sorted[0]) * (size_t)s->ngaps);
    qsort(sorted, (size_t)s->ngaps, sizeof(sorted[0]), cmp_i64);
    return sorted[s->ngaps / 2];
}

/* The surprise of a count, relative to the past, with alarms' shadows;
 * updates the past. */
static double relative(struct scorer *s, double surprise, double step)
{
    double x = surprise / (s->past_max + 1);
    s->past_max = fmax(s->past_max, surprise);
    int rows = (int)fmin(QUIET_SECONDS / step, SHADOW_ROWS);
    double recent = 0;
    for (int i = 1; i <= rows; i++)
        recent = fmax(recent, s->shadow[(s->shadow_next - i + SHADOW_ROWS) % SHADOW_ROWS]);
    if (x <= QUIET_RISE * recent)
        x *= QUIET_DAMP;
    s->shadow[s->shadow_next] = x;
    s->shadow_next = (s->shadow_next + 1) % SHADOW_ROWS;
    return x;
}

double scorer_next(struct scorer *s, int64_t t, double value)
{
    int in_order = !s->have_last || t > s->last_t;
    if (s->have_last && t > s->last_t) {
        s->gaps[s->gap_next] = t - s->last_t;
        s->gap_next = (s->gap_next + 1) % GAP_SAMPLES;
        if (s->ngaps < GAP_SAMPLES)
            s->ngaps++;
    }
    if (in_order) {
        s->last_t = t;
        s->have_last = 1;
    }
    if (value < s->low)
        s->low = value;
    double count = fmin(value - s->low, COUNT_MAX);
    int64_t step = scorer_step(s);
    if (step <= 0)
        return 0;
    double minutes = step / 60.0, x = 0;
    if (base_hours(&s->base) >= WARM_HOURS) {
        double mu = base_expected(&s->base, t, minutes);
        double surprise = tail_score(count, mu, base_inv_size(&s->base, t, minutes));
        x = relative(s, surprise, (double)step);
    }
    if (in_order)
        base_observe(&s->base, t, count, minutes, 0);
    return x / (x + 1);
}
