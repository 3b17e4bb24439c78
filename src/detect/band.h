/* band.h - the normal band of a count series, for charts: how many counts
 * a baseline (baseline.h) expects in a span of time, and the upper edge of
 * what is still normal there.
 *
 * The upper edge is the count that the span reaches or exceeds with
 * probability BAND_TAIL (1%) under the detector's own model of normal
 * counts: a negative binomial with the expected count as its mean and the
 * baseline's scatter 1/k for a window of that length. Counts are continued
 * to real values as tail.h does, so the edge is a real number and moves
 * smoothly with the expectation; a span above it scores at least
 * BAND_SCORE with tail_score, the detector's measure of surprise. Pure
 * functions of their arguments: no clock, no state. */
#ifndef DW_BAND_H
#define DW_BAND_H

#include <stdint.h>

#include "detect/baseline.h"

#define BAND_SCORE 2.0 /* -log10 of BAND_TAIL */
#define BAND_TAIL 0.01

/* Expected count over [t, t + minutes): base_expected for spans up to an
 * hour; longer spans are summed hour by hour, using that the profile
 * repeats every week (so a span of months costs two weeks of hours).
 * 0 while the baseline has learned nothing. */
double band_expected(const struct base *b, int64_t t, double minutes);

/* The upper edge for an expected count and a scatter 1/k (0: Poisson): the
 * x > expected with P(X >= x) = BAND_TAIL, to 0.001% (or 0.001 absolute).
 * 0 when expected <= 0. */
double band_upper(double expected, double inv_size);

#endif
