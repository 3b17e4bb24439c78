/* baseline.c - seasonal expectation and scatter of one count series (see
 * baseline.h for the model). */
#include "detect/baseline.h"

#include <math.h>
#include <string.h>

#define DAY_ALPHA 0.25f     /* weight of a new day in the hour-of-day profile */
#define WEEK_ALPHA 0.4f     /* weight of a new week in the hour-of-week profile */
#define LEVEL_ALPHA 0.33f   /* weight of the newest hour in the fallback level */
#define RATIO_ALPHA 0.25    /* weight of a well-filled hour in the level ratio */
#define RATIO_MIN 0.5
#define RATIO_MAX 2.0
#define WARM_HOURS 24       /* a day of history before clipping and the ratio */
#define CLIP_SIGMAS 4.0
#define STEP_MEMORY_MIN 2880.0 /* the step scatter forgets over two days */
#define HOUR_MEMORY 168.0      /* the hourly scatter over a week */
#define STEP_PRIOR 0.15        /* prior 1/k at one step, worth ... */
#define STEP_PRIOR_WEIGHT 20.0 /* ... this much squared expectation */
#define BLOCK_MINUTES 5        /* the middle scale of the scatter */
#define BLOCK_PRIOR 0.1
#define BLOCK_PRIOR_WEIGHT 50.0
#define HOUR_PRIOR 0.05
#define HOUR_PRIOR_WEIGHT 400.0
#define INV_MIN 0.005
#define INV_MAX 2.0
#define UNSEEN_EXTRA 0.5       /* added 1/k when no profile slot is known */
#define FEW_SEEN_EXTRA 0.15    /* added 1/k, divided by the times a slot was seen */
#define DOUBT_HOURS 72.0       /* hourly residuals worth that prior (3 per slot) */
#define SLOT_MEMORY 4          /* profile updates a slot's average effectively spans */
#define PRIOR_REPORTS 5.0      /* a sparse slot is shrunk to the mean by this many */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int hour_of_day(int64_t hour)
{
    return (int)(hour - floor_div(hour, 24) * 24);
}

/* Monday 00:00 UTC is slot 0; 1970-01-01 was a Thursday. */
static int hour_of_week(int64_t hour)
{
    int64_t days = floor_div(hour, 24) + 3;
    int dow = (int)(days - floor_div(days, 7) * 7);
    return dow * 24 + hour_of_day(hour);
}

void base_init(struct base *b)
{
    memset(b, 0, sizeof(*b));
    b->ratio = 1.0f;
    b->step = 1.0f;
    b->hour = INT64_MIN;
}

uint32_t base_hours(const struct base *b)
{
    return b->hours_seen;
}

/* Profile rate for an absolute hour, and how many times its slots were seen
 * (0: neither slot, the fallback level was used). */
static double slot_rate(const struct base *b, int64_t hour, int *seen)
{
    int w = hour_of_week(hour), d = hour_of_day(hour);
    int nw = b->week_seen[w], nd = b->day_seen[d];
    double rate;
    *seen = nw + nd;
    if (nw && nd) {
        double weight = nw / (nw + 2.0);
        rate = weight * b->week[w] + (1 - weight) * b->day[d];
    } else if (nd) {
        rate = b->day[d];
    } else if (nw) {
        rate = b->week[w];
    } else {
        return b->level;
    }
    /* Gamma-Poisson shrinkage towards the daily mean: a slot that has seen
     * a handful of reports (a sparse series) leans on the mean, a busy one
     * keeps its own rate. */
    if (b->mean > 0) {
        double minutes = 60.0 * (*seen < SLOT_MEMORY ? *seen : SLOT_MEMORY);
        rate = (rate * minutes + PRIOR_REPORTS) / (minutes + PRIOR_REPORTS / b->mean);
    }
    return rate;
}

/* Profile rate at time t, interpolated between hour-slot centres; *seen is
 * the nearer slot's count. */
static double profile_rate(const struct base *b, double t, int *seen)
{
    double hours = t / 3600.0 - 0.5;
    double lower = floor(hours), frac = hours - lower;
    int seen_lo, seen_hi;
    double lo = slot_rate(b, (int64_t)lower, &seen_lo);
    double hi = slot_rate(b, (int64_t)lower + 1, &seen_hi);
    *seen = frac < 0.5 ? seen_lo : seen_hi;
    return lo + (hi - lo) * frac;
}

static double level_ratio(const struct base *b)
{
    return b->hours_seen >= WARM_HOURS ? b->ratio : 1.0;
}

static double profile_expected(const struct base *b, int64_t t, double minutes)
{
    int seen;
    return profile_rate(b, (double)t + minutes * 30.0, &seen) * minutes;
}

double base_expected(const struct base *b, int64_t t, double minutes)
{
    if (b->hours_seen == 0 || minutes <= 0)
        return 0;
    return profile_expected(b, t, minutes) * level_ratio(b);
}

static double shrunk(double num, double den, double prior, double weight)
{
    double v = (num + prior * weight) / (den + weight);
    return v < INV_MIN ? INV_MIN : v > INV_MAX ? INV_MAX : v;
}

/* From inv_a at a minutes to inv_b at b minutes, on log scales. */
static double log_interpolate(double inv_a, double a, double inv_b, double b, double minutes)
{
    return inv_a * pow(inv_b / inv_a, log(minutes / a) / log(b / a));
}

/* 1/k added for a profile slot seen rarely or never: a prior on the
 * expectation's own error. The hourly residuals measure that error (they
 * are taken against the same expectation), one slot's worth an hour, so the
 * prior gives way to them as they sample every slot a few times; otherwise
 * a young profile is doubted twice, once as measured and once as feared
 * (a sparse series' 30-minute 1/k was twice what its residuals showed).
 * Not sooner: week-old errors are heavier-tailed than their mean says, and
 * with a day's worth a bursty minute of a busy total opened on day 7. */
static double profile_doubt(const struct base *b, int64_t t)
{
    int seen;
    profile_rate(b, (double)t, &seen);
    double doubt = seen ? FEW_SEEN_EXTRA / seen : UNSEEN_EXTRA;
    double measured = b->hours_seen > WARM_HOURS ? b->hours_seen - WARM_HOURS : 0;
    return doubt * DOUBT_HOURS / (DOUBT_HOURS + measured);
}

double base_inv_size(const struct base *b, int64_t t, double minutes)
{
    double at_step = shrunk(b->step_num, b->step_den, STEP_PRIOR, STEP_PRIOR_WEIGHT);
    double at_hour = shrunk(b->hour_num, b->hour_den, HOUR_PRIOR, HOUR_PRIOR_WEIGHT);
    double step = b->step, inv;
    if (minutes <= step) {
        inv = at_step;
    } else if (minutes >= 60 || step >= 60) {
        inv = at_hour;
    } else if (step >= BLOCK_MINUTES) {
        inv = log_interpolate(at_step, step, at_hour, 60, minutes);
    } else {
        double at_block = shrunk(b->block_num, b->block_den, BLOCK_PRIOR, BLOCK_PRIOR_WEIGHT);
        inv = minutes <= BLOCK_MINUTES
                  ? log_interpolate(at_step, step, at_block, BLOCK_MINUTES, minutes)
                  : log_interpolate(at_block, BLOCK_MINUTES, at_hour, 60, minutes);
    }
    return inv + profile_doubt(b, t);
}

static void learn_slot(float *slot, uint8_t *seen, double rate, float alpha)
{
    *slot = *seen ? (float)(*slot + alpha * (rate - *slot)) : (float)rate;
    if (*seen < UINT8_MAX)
        (*seen)++;
}

static void finish_hour(struct base *b)
{
    if (b->hour_minutes <= 0)
        return;
    double rate = b->hour_sum / b->hour_minutes;
    if (b->hours_seen >= WARM_HOURS) {
        double m = b->hour_expected, d = 1.0 - 1.0 / HOUR_MEMORY;
        b->hour_num = (float)(d * b->hour_num + (b->hour_sum - m) * (b->hour_sum - m) -
                              b->hour_sum);
        b->hour_den = (float)(d * b->hour_den + m * m);
        /* A sparse hour says little about the level: weigh it by its size. */
        double observed = (b->hour_sum + 1.0) / (b->hour_profile + 1.0);
        double weight = RATIO_ALPHA * b->hour_profile / (b->hour_profile + 5.0);
        double ratio = b->ratio + weight * (observed - b->ratio);
        b->ratio = (float)(ratio < RATIO_MIN ? RATIO_MIN : ratio > RATIO_MAX ? RATIO_MAX : ratio);
    }
    learn_slot(&b->day[hour_of_day(b->hour)], &b->day_seen[hour_of_day(b->hour)], rate,
               DAY_ALPHA);
    learn_slot(&b->week[hour_of_week(b->hour)], &b->week_seen[hour_of_week(b->hour)], rate,
               WEEK_ALPHA);
    b->level = b->hours_seen ? (float)(b->level + LEVEL_ALPHA * (rate - b->level)) : (float)rate;
    double sum = 0;
    int slots = 0;
    for (int h = 0; h < BASE_DAY_SLOTS; h++) {
        if (b->day_seen[h]) {
            sum += b->day[h];
            slots++;
        }
    }
    b->mean = (float)(sum / slots);
    b->hours_seen++;
    b->hour_sum = b->hour_expected = b->hour_profile = b->hour_minutes = 0;
}

/* Sum whole blocks of BLOCK_MINUTES; each finished one that had no
 * anomalous step and no gap updates the block scatter. */
static void observe_block(struct base *b, int64_t t, double y, double mu, double minutes,
                          int anomalous)
{
    int64_t block = floor_div(t, BLOCK_MINUTES * 60);
    if (block != b->block) {
        if (b->block_minutes >= BLOCK_MINUTES && !b->block_tainted) {
            double sum = b->block_sum, m = b->block_expected;
            double d = 1.0 - BLOCK_MINUTES / STEP_MEMORY_MIN;
            b->block_num = (float)(d * b->block_num + (sum - m) * (sum - m) - sum);
            b->block_den = (float)(d * b->block_den + m * m);
        }
        b->block = block;
        b->block_sum = b->block_expected = b->block_minutes = 0;
        b->block_tainted = 0;
    }
    b->block_sum += (float)y;
    b->block_expected += (float)mu;
    b->block_minutes += (float)minutes;
    b->block_tainted |= anomalous;
}

void base_observe(struct base *b, int64_t t, double count, double minutes, int anomalous)
{
    if (minutes <= 0 || !(count >= 0))
        return;
    int64_t hour = floor_div(t, 3600);
    if (b->hour == INT64_MIN)
        b->hour = hour;
    if (hour < b->hour)
        return;
    if (hour > b->hour) {
        finish_hour(b);
        b->hour = hour;
    }
    b->step = (float)minutes;
    double profile = b->hours_seen ? profile_expected(b, t, minutes) : 0;
    double mu = profile * level_ratio(b);
    double y = count;
    if (b->hours_seen >= WARM_HOURS) {
        if (anomalous) {
            y = mu;
        } else {
            double inv = base_inv_size(b, t, minutes);
            double cap = mu + CLIP_SIGMAS * sqrt(mu * (1 + mu * inv)) + 1;
            if (y > cap)
                y = cap;
            double d = 1.0 - minutes / STEP_MEMORY_MIN;
            b->step_num = (float)(d * b->step_num + (y - mu) * (y - mu) - y);
            b->step_den = (float)(d * b->step_den + mu * mu);
        }
        observe_block(b, t, y, mu, minutes, anomalous);
    } else if (anomalous && b->hours_seen) {
        y = mu;
    }
    b->hour_sum += (float)y;
    b->hour_expected += (float)mu;
    b->hour_profile += (float)profile;
    b->hour_minutes += (float)minutes;
}
