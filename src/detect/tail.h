/* tail.h - how surprising a count is: upper-tail probabilities of count
 * distributions, as scores.
 *
 * A detector sees a count x (reports, distinct clients) where it expected a
 * mean mu. Counts of independent reporters are Poisson; real report counts
 * vary more than that (bursty minutes, an imperfect baseline), which a
 * negative binomial with mean mu and size k captures: variance
 * mu + mu^2 / k. We carry inv_size = 1/k (0 = Poisson), so that "no extra
 * variance" is a plain zero.
 *
 * The score is -log10 P(X >= x): 2 means a 1-in-100 count, 9 a 1-in-a-
 * billion one. x may be fractional (effective counts are); the tail then
 * follows the continuous extension through the regularized incomplete gamma
 * and beta functions (GSL), so the score is continuous and increasing in x.
 * Counts at or below the mean score 0. Tails too small for a double are
 * estimated from the log of the probability mass and its geometric decay, so
 * huge outages still get finite, ordered scores, capped at TAIL_SCORE_MAX. */
#ifndef DW_TAIL_H
#define DW_TAIL_H

#define TAIL_SCORE_MAX 1000.0

/* -log10 P(X >= x) for X negative binomial with mean mu and 1/size inv_size
 * (0 for Poisson). Returns 0 when x <= mu, mu <= 0 with x <= 0, or any
 * argument is NaN; a positive x against mu <= 0 scores TAIL_SCORE_MAX.
 * Non-decreasing in x and non-increasing in mu. */
double tail_score(double x, double mu, double inv_size);

/* A cheap upper bound of tail_score (-log10 of the probability of x
 * itself, which is part of the tail): a caller that needs a score of at
 * least some value can skip tail_score when the bound is below it. */
double tail_bound(double x, double mu, double inv_size);

#endif
