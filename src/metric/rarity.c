/* rarity.c - rarity of a value among a series' daily maxima (see rarity.h).
 *
 * The Gumbel law is the limit law of the maximum of many draws, which is
 * what a day's largest count or surprise is. Fitted by moments it needs no
 * search and no tuning: scale beta = sd * sqrt(6) / pi, location = mean -
 * 0.5772 beta (Euler's constant); then P(max >= v) = 1 - exp(-exp(-z))
 * with z = (v - location) / beta. The variance is that of the next day
 * predicted from n past days: the unbiased estimate times 1 + 1/n (the
 * uncertainty of the mean), which matters while a history of a few days
 * would otherwise call anything rare. Far out that is exp(-z), and the rarity
 * is computed from z directly, so it stays finite and ordered. The
 * empirical floor keeps the fit from calling rare what was seen often. */
#include "metric/rarity.h"

#include <math.h>
#include <string.h>

#include "core/timeutil.h"

#define EULER_GAMMA 0.5772156649015329
#define SCALE_MIN 1e-6 /* the least scale, when every past day had the same maximum */
#define FAR_Z 30.0     /* beyond, 1 - exp(-exp(-z)) is exp(-z) to double precision */

void rarity_init(struct rarity *r, double scale_min)
{
    memset(r, 0, sizeof(*r));
    r->day = INT64_MIN;
    r->scale_min = fmax(scale_min, SCALE_MIN);
}

/* -log10 of the tail of the Gumbel law fitted to the past maxima. */
static double gumbel_rarity(const struct rarity *r, double v)
{
    double sum = 0, squares = 0;
    for (int i = 0; i < r->ndays; i++)
        sum += r->maxima[i];
    double mean = sum / r->ndays;
    for (int i = 0; i < r->ndays; i++)
        squares += (r->maxima[i] - mean) * (r->maxima[i] - mean);
    double variance = squares / r->ndays * (r->ndays + 1) / (r->ndays - 1);
    double beta = fmax(sqrt(variance) * sqrt(6.0) / M_PI, r->scale_min);
    double z = (v - (mean - EULER_GAMMA * beta)) / beta;
    if (z > FAR_Z)
        return z / M_LN10;
    return -log10(-expm1(-exp(-z)));
}

/* -log10 of the share of past days whose maximum reached v; RARITY_MAX
 * (no floor) when none did. */
static double seen_rarity(const struct rarity *r, double v)
{
    int reached = 0;
    for (int i = 0; i < r->ndays; i++)
        reached += r->maxima[i] >= v;
    return reached ? -log10((double)reached / r->ndays) : RARITY_MAX;
}

double rarity_of(const struct rarity *r, double v)
{
    if (r->ndays < RARITY_MIN_DAYS || isnan(v))
        return 0;
    double rarity = fmin(gumbel_rarity(r, v), seen_rarity(r, v));
    return fmin(fmax(rarity, 0), RARITY_MAX);
}

/* Keep the finished day's maximum if its rows covered a whole day. */
static void finish_day(struct rarity *r)
{
    if (r->day_end - r->day_first < RARITY_WHOLE_DAY)
        return;
    r->maxima[r->next] = r->day_max;
    r->next = (r->next + 1) % RARITY_DAYS;
    if (r->ndays < RARITY_DAYS)
        r->ndays++;
}

void rarity_learn(struct rarity *r, int64_t t, int64_t seconds, double v)
{
    if (isnan(v))
        return;
    int64_t day = time_slot(t, 86400);
    if (r->day != INT64_MIN && day < r->day)
        return;
    if (day != r->day) {
        if (r->day != INT64_MIN)
            finish_day(r);
        r->day = day;
        r->day_first = t;
        r->day_max = v;
    } else if (v > r->day_max) {
        r->day_max = v;
    }
    r->day_end = t + seconds;
}
