/* tail.c - count tail scores (see tail.h).
 *
 * P(X >= x) is the regularized lower incomplete gamma P(x, mu) for a Poisson
 * and the regularized incomplete beta I_p(x, k) with p = mu / (mu + k) for a
 * negative binomial; GSL computes both. Below EXACT_FLOOR the double result
 * loses meaning, so the log tail is estimated instead as
 * log pmf(x) - log(1 - r), r the ratio pmf(x+1) / pmf(x) (< 1 this far out),
 * and kept at or above the exact region's largest score so the score stays
 * monotone across the switch. */
#include "detect/tail.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>

#define EXACT_FLOOR 1e-280
#define EXACT_SCORE_MAX 280.0

/* log P(X = x), continued to real x, and the ratio P(x + 1) / P(x). */
static double log_pmf(double x, double mu, double inv_size, double *ratio)
{
    if (inv_size > 0) {
        double k = 1.0 / inv_size, p = mu / (mu + k);
        *ratio = (x + k) / (x + 1) * p;
        return lgamma(x + k) - lgamma(k) - lgamma(x + 1) + k * log1p(-p) + x * log(p);
    }
    *ratio = mu / (x + 1);
    return x * log(mu) - mu - lgamma(x + 1);
}

/* The cases that need no distribution (see tail.h): 1 with *score set, or 0. */
static int settled(double x, double mu, double inv_size, double *score)
{
    if (isnan(x) || isnan(mu) || isnan(inv_size) || x <= 0 || (mu > 0 && x <= mu)) {
        *score = 0;
        return 1;
    }
    if (mu <= 0) {
        *score = TAIL_SCORE_MAX;
        return 1;
    }
    return 0;
}

double tail_bound(double x, double mu, double inv_size)
{
    double settled_score;
    if (settled(x, mu, inv_size, &settled_score))
        return settled_score;
    double ratio;
    double bound = -log_pmf(x, mu, inv_size > 0 ? inv_size : 0, &ratio) / M_LN10;
    return bound > TAIL_SCORE_MAX ? TAIL_SCORE_MAX : bound;
}

static double far_tail_score(double x, double mu, double inv_size)
{
    double ratio;
    double log_p = log_pmf(x, mu, inv_size, &ratio);
    double log_tail = log_p - (ratio < 1 ? log1p(-ratio) : 0);
    double score = -log_tail / M_LN10;
    if (score < EXACT_SCORE_MAX)
        score = EXACT_SCORE_MAX;
    return score > TAIL_SCORE_MAX ? TAIL_SCORE_MAX : score;
}

double tail_score(double x, double mu, double inv_size)
{
    double settled_score;
    if (settled(x, mu, inv_size, &settled_score))
        return settled_score;
    if (inv_size < 0)
        inv_size = 0;
    gsl_set_error_handler_off();
    gsl_sf_result r;
    int status;
    if (inv_size > 0) {
        double k = 1.0 / inv_size;
        status = gsl_sf_beta_inc_e(x, k, mu / (mu + k), &r);
    } else {
        status = gsl_sf_gamma_inc_P_e(x, mu, &r);
    }
    if (status != GSL_SUCCESS || !(r.val >= EXACT_FLOOR))
        return far_tail_score(x, mu, inv_size);
    double score = -log10(r.val > 1 ? 1 : r.val);
    return score > EXACT_SCORE_MAX ? EXACT_SCORE_MAX : score;
}
