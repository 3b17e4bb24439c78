/* scorer.c - anomaly scores of one series, row by row (see scorer.h).
 *
 * Values are counts per step (the step is the median of the recent gaps
 * between timestamps; a series that goes negative is shifted up by its
 * lowest value so far). Each row is looked at two ways:
 *   - its surprise, from the detector core: -log10 of the negative binomial
 *     chance (src/detect/tail) of a count this high, against the seasonal
 *     expectation of src/detect/baseline scaled to the last hour's level
 *     (observed / expected, averaged over about an hour), so a burst is
 *     news when it starts, not for as long as it lasts; from the
 *     baseline's second day on;
 *   - its count itself (log scale), which is what makes a spike stand out
 *     in the whole series even where the seasonal model is unsure.
 * Each is made a rarity against the series' own daily maxima of it
 * (rarity.h: -log10 of the chance that a day's largest reaches it, so
 * 1 = once in ten days; nothing is rare before three whole days), and the
 * row's rarity r is the larger. That puts quiet and bursty series, and the
 * two views, on one scale, so one threshold serves them all.
 *
 * Shadow: a burst lasts many rows and only its first is news. Within 24
 * hours of a score, a row must be at least twice as rare (log10 2 more: a
 * value reached on k of the past days against one reached on 2k) or it
 * scores 0. The score is r / (r + 1): 0 as expected, 0.5 for a
 * once-in-ten-days row, never 1. Rows that repeat or go back in time are
 * scored, not learned. */
#include "metric/scorer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "detect/baseline.h"
#include "detect/tail.h"
#include "metric/rarity.h"

#define GAP_SAMPLES 63      /* recent gaps the step is the median of */
#define COUNT_MAX 1e12      /* counts beyond this are clamped for the model */
#define WARM_HOURS 24       /* baseline history before the surprise is scored */
#define LEVEL_SECONDS 3600  /* the recent level is an average over this long */
#define SHADOW_HOURS 24     /* how long an alarm covers the rows after it */
#define SHADOW_RISE 0.30102999566398120 /* log10(2): in the shadow, twice as rare is news */
#define SAME_RARITY 1e-9    /* rarities from counts of days tie exactly: keep ties */
#define SURPRISE_SCALE (1 / M_LN10) /* Gumbel scale of the largest of -log10 p-values */

struct scorer {
    struct base base;
    int64_t gaps[GAP_SAMPLES]; /* recent positive gaps, a ring */
    int ngaps, gap_next;
    int64_t last_t; /* the latest time learned */
    int have_last;
    double low; /* lowest value so far, at most 0 */
    double recent_count, recent_expected; /* moving averages over the last hour */
    int have_recent;
    struct rarity count_rarity, surprise_rarity;
    double shadow[SHADOW_HOURS];       /* highest score of each recent hour */
    int64_t shadow_hour[SHADOW_HOURS]; /* the hour each slot holds */
};

struct scorer *scorer_new(void)
{
    struct scorer *s = xcalloc(1, sizeof(*s));
    base_init(&s->base);
    rarity_init(&s->count_rarity, 0);
    rarity_init(&s->surprise_rarity, SURPRISE_SCALE);
    for (int i = 0; i < SHADOW_HOURS; i++)
        s->shadow_hour[i] = INT64_MIN;
    return s;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Remember the gap to a later row. */
static void learn_gap(struct scorer *s, int64_t t)
{
    s->gaps[s->gap_next] = t - s->last_t;
    s->gap_next = (s->gap_next + 1) % GAP_SAMPLES;
    if (s->ngaps < GAP_SAMPLES)
        s->ngaps++;
}

/* Seconds per step: the median recent positive gap, 0 while none is known. */
static int64_t step_seconds(const struct scorer *s)
{
    if (s->ngaps == 0)
        return 0;
    int64_t sorted[GAP_SAMPLES];
    memcpy(sorted, s->gaps, sizeof(sorted[0]) * (size_t)s->ngaps);
    qsort(sorted, (size_t)s->ngaps, sizeof(sorted[0]), cmp_i64);
    return sorted[s->ngaps / 2];
}

/* Observed / expected over the last hour (1 before any), with one count
 * added to both so that a quiet hour does not swing it. */
static double recent_level(const struct scorer *s, double step)
{
    if (!s->have_recent)
        return 1;
    double rows = fmax(LEVEL_SECONDS / step, 1);
    return (s->recent_count * rows + 1) / (s->recent_expected * rows + 1);
}

static void learn_level(struct scorer *s, double count, double expected, double step)
{
    if (!s->have_recent) {
        s->recent_count = count;
        s->recent_expected = expected;
        s->have_recent = 1;
        return;
    }
    double weight = fmin(step / LEVEL_SECONDS, 1);
    s->recent_count += weight * (count - s->recent_count);
    s->recent_expected += weight * (expected - s->recent_expected);
}

/* The rarity, or 0 if a score of the last day covers it; learn != 0
 * records the result in the shadow. */
static double shadowed(struct scorer *s, int64_t t, double rarity, int learn)
{
    int64_t hour = time_slot(t, 3600);
    double recent = 0;
    for (int i = 0; i < SHADOW_HOURS; i++)
        if (s->shadow_hour[i] > hour - SHADOW_HOURS && s->shadow_hour[i] <= hour)
            recent = fmax(recent, s->shadow[i]);
    double score = rarity + SAME_RARITY >= recent + SHADOW_RISE ? rarity : 0;
    if (learn) {
        int slot = (int)(hour - time_slot(hour, SHADOW_HOURS) * SHADOW_HOURS);
        if (s->shadow_hour[slot] != hour) {
            s->shadow_hour[slot] = hour;
            s->shadow[slot] = score;
        } else {
            s->shadow[slot] = fmax(s->shadow[slot], score);
        }
    }
    return score;
}

/* The row's surprise against the seasonal expectation at the recent
 * level (its expectation in *expected); NaN while the baseline is young. */
static double surprise_of(const struct scorer *s, int64_t t, double count, int64_t step,
                          double *expected)
{
    double minutes = step / 60.0;
    if (base_hours(&s->base) < WARM_HOURS)
        return NAN;
    *expected = base_expected(&s->base, t, minutes);
    double level = recent_level(s, (double)step);
    return tail_score(count, *expected * level, base_inv_size(&s->base, t, minutes));
}

static void learn_row(struct scorer *s, int64_t t, int64_t step, double count, double expected,
                      double surprise)
{
    rarity_learn(&s->count_rarity, t, step, log1p(count));
    if (!isnan(surprise)) {
        rarity_learn(&s->surprise_rarity, t, step, surprise);
        learn_level(s, count, expected, (double)step);
    }
    base_observe(&s->base, t, count, step / 60.0, 0);
}

double scorer_next(struct scorer *s, int64_t t, double value)
{
    int in_order = !s->have_last || t > s->last_t;
    if (in_order) {
        if (s->have_last)
            learn_gap(s, t);
        s->last_t = t;
        s->have_last = 1;
    }
    if (value < s->low)
        s->low = value;
    double count = fmin(value - s->low, COUNT_MAX), expected = 0;
    int64_t step = step_seconds(s);
    if (step <= 0)
        return 0;
    double surprise = surprise_of(s, t, count, step, &expected);
    double rarity = fmax(rarity_of(&s->count_rarity, log1p(count)),
                         rarity_of(&s->surprise_rarity, surprise));
    double score = shadowed(s, t, rarity, in_order);
    if (in_order)
        learn_row(s, t, step, count, expected, surprise);
    return score / (score + 1);
}
