/* band.c - expected counts over long spans and the upper edge of the
 * normal band (see band.h).
 *
 * The edge solves tail_score(x) = BAND_SCORE for x above the mean. The
 * score is continuous and increasing there, so the root is bracketed (from
 * the mean up, doubling a normal-approximation guess until the score passes
 * the target) and found by regula falsi with the Illinois modification,
 * which converges in a handful of tail evaluations where bisection would
 * need dozens: a week of minute points stays cheap to draw. */
#include "detect/band.h"

#include <math.h>

#include "detect/tail.h"

#define WEEK_HOURS 168
#define MAX_ITERATIONS 60
#define REL_TOLERANCE 1e-5
#define ABS_TOLERANCE 1e-3

double band_expected(const struct base *b, int64_t t, double minutes)
{
    if (minutes <= 60)
        return base_expected(b, t, minutes);
    int64_t hours = (int64_t)(minutes / 60);
    double rest = minutes - 60.0 * (double)hours;
    /* The profile repeats weekly: hour i + 168 expects what hour i does. */
    int64_t first = hours < WEEK_HOURS ? hours : WEEK_HOURS;
    double week = 0, head = 0;
    int64_t partial = hours % WEEK_HOURS;
    for (int64_t i = 0; i < first; i++) {
        double e = base_expected(b, t + 3600 * i, 60);
        week += e;
        if (i < partial)
            head += e;
    }
    double sum = hours < WEEK_HOURS ? week : (double)(hours / WEEK_HOURS) * week + head;
    if (rest > 0)
        sum += base_expected(b, t + 3600 * hours, rest);
    return sum;
}

static double excess_score(double x, double mu, double inv_size)
{
    return tail_score(x, mu, inv_size) - BAND_SCORE;
}

double band_upper(double expected, double inv_size)
{
    if (!(expected > 0))
        return 0;
    if (!(inv_size > 0))
        inv_size = 0;
    double sd = sqrt(expected + expected * expected * inv_size);
    double lo = expected, f_lo = -BAND_SCORE;
    double hi = expected + 2.5 * sd + 1, f_hi = excess_score(hi, expected, inv_size);
    while (f_hi < 0) {
        lo = hi, f_lo = f_hi;
        hi = expected + 2 * (hi - expected);
        f_hi = excess_score(hi, expected, inv_size);
    }
    int kept = 0; /* which end stayed put last time: -1 lo, 1 hi */
    for (int i = 0; i < MAX_ITERATIONS; i++) {
        if (hi - lo <= fmax(ABS_TOLERANCE, REL_TOLERANCE * hi))
            break;
        double x = hi - f_hi * (hi - lo) / (f_hi - f_lo);
        if (!(x > lo && x < hi))
            x = (lo + hi) / 2;
        double f = excess_score(x, expected, inv_size);
        if (f < 0) {
            lo = x, f_lo = f;
            if (kept == 1)
                f_hi /= 2; /* Illinois: do not let the far end stall the method */
            kept = 1;
        } else {
            hi = x, f_hi = f;
            if (kept == -1)
                f_lo /= 2;
            kept = -1;
        }
    }
    return hi;
}
