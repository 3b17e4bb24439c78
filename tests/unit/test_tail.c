/* test_tail.c - unit tests of src/detect/tail: known tail probabilities
 * (computed independently, see known_values), zero at or below the mean,
 * monotone in the count (across the switch to the far-tail estimate) and in
 * the mean, finite and capped for huge counts, NaN and negative inputs, and
 * tail_bound as an upper bound of tail_score. Run one test by name:
 * test_tail monotone (a glob pattern also works). */
#include "detect/tail.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static const double INVS[] = {0, 0.005, 0.05, 0.15, 0.5, 1.0, 2.0};
#define NINVS (sizeof(INVS) / sizeof(INVS[0]))

/* -log10 P(X >= x), cross-checked with a Python one-off that sums the
 * probability masses term by term (math.lgamma), not with GSL:
 *   pois(x, mu)   = sum_{i>=x} exp(i log mu - mu - lgamma(i+1))
 *   nb(x, mu, 1/k) = sum_{i>=x} exp(lgamma(i+k) - lgamma(k) - lgamma(i+1)
 *                                  + k log1p(-p) + i log p),  p = mu/(mu+k)
 * summed over 400 (Poisson) or 5000 (NB) terms. */
static void known_values(void **state)
{
    (void)state;
    static const struct {
        double x, mu, inv, p;
    } cases[] = {
        {9, 1.1, 0, 2.4270521520942554e-06},     /* score 5.6149 */
        {30, 5.0, 0, 2.8175176155778998e-14},    /* 13.5501 */
        {9, 1.1, 0.15, 3.959437253388477e-05},   /* 4.4024 */
        {20, 2.0, 0.5, 1.0490417480468742e-05},  /* 4.9792 */
        {50, 10.0, 0.05, 3.558971208062435e-11}, /* 10.4487 */
        {12, 3.0, 1.0, 0.03167635202407837},     /* 1.4993 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double want = -log10(cases[i].p);
        double got = tail_score(cases[i].x, cases[i].mu, cases[i].inv);
        print_message("x=%g mu=%g inv=%g: want %.6f got %.6f\n", cases[i].x, cases[i].mu,
                      cases[i].inv, want, got);
        assert_true(fabs(got - want) < 1e-6 * want + 1e-9);
    }
    /* the brief's sanity figure: a 1-in-400k minute scores about 5.6 */
    assert_true(fabs(tail_score(9, 1.1, 0) - 5.6149) < 1e-3);
}

static void counts_at_or_below_the_mean_score_zero(void **state)
{
    (void)state;
    for (size_t k = 0; k < NINVS; k++) {
        assert_true(tail_score(3, 3, INVS[k]) == 0);
        assert_true(tail_score(2.5, 3, INVS[k]) == 0);
        assert_true(tail_score(0, 3, INVS[k]) == 0);
        assert_true(tail_score(0, 0, INVS[k]) == 0);
        assert_true(tail_bound(3, 3, INVS[k]) == 0);
        assert_true(tail_bound(0, 0, INVS[k]) == 0);
        /* just above the mean: small but not negative */
        double s = tail_score(3.01, 3, INVS[k]);
        assert_true(s >= 0 && s < 1);
    }
}

/* Non-decreasing in x over a dense grid that crosses EXACT_SCORE_MAX (280),
 * where the exact incomplete gamma/beta hands over to the far-tail estimate. */
static void the_score_is_monotone_in_the_count_across_the_far_tail_switch(void **state)
{
    (void)state;
    static const double MUS[] = {0.001, 0.2, 1.0, 7.5, 60.0, 900.0};
    int crossed = 0;
    for (size_t m = 0; m < sizeof(MUS) / sizeof(MUS[0]); m++) {
        for (size_t k = 0; k < NINVS; k++) {
            double mu = MUS[m], inv = INVS[k], prev = 0;
            double top = mu * 40 + 2000;
            double step = top / 40000;
            for (double x = 0; x <= top; x += step) {
                double s = tail_score(x, mu, inv);
                if (!(s >= prev)) {
                    print_error("mu=%g inv=%g: score(%.6f)=%.9f < score(%.6f)=%.9f\n", mu, inv,
                                x, s, x - step, prev);
                    fail();
                }
                if (prev < 280 && s > 280)
                    crossed++;
                prev = s;
            }
        }
    }
    assert_true(crossed > 10); /* the grid did reach the far tail */
}

static void the_score_does_not_increase_with_the_mean(void **state)
{
    (void)state;
    static const double XS[] = {1, 3, 9, 40, 250, 5000};
    for (size_t i = 0; i < sizeof(XS) / sizeof(XS[0]); i++) {
        for (size_t k = 0; k < NINVS; k++) {
            double prev = INFINITY;
            for (double mu = 1e-3; mu < XS[i] * 1.5; mu *= 1.01) {
                double s = tail_score(XS[i], mu, INVS[k]);
                if (!(s <= prev)) {
                    print_error("x=%g inv=%g mu=%g: %.9f > %.9f\n", XS[i], INVS[k], mu, s, prev);
                    fail();
                }
                prev = s;
            }
        }
    }
}

static void huge_counts_are_finite_and_capped(void **state)
{
    (void)state;
    static const double XS[] = {1e4, 1e6, 1e9, 1e15, 1e300, INFINITY};
    for (size_t i = 0; i < sizeof(XS) / sizeof(XS[0]); i++) {
        for (size_t k = 0; k < NINVS; k++) {
            double s = tail_score(XS[i], 2.0, INVS[k]);
            double b = tail_bound(XS[i], 2.0, INVS[k]);
            if (!isfinite(XS[i]))
                continue; /* only: no crash, no hang */
            assert_true(isfinite(s) && s > 0 && s <= TAIL_SCORE_MAX);
            assert_true(isfinite(b) && b > 0 && b <= TAIL_SCORE_MAX);
        }
    }
    assert_true(tail_score(1e9, 2.0, 0) == TAIL_SCORE_MAX);
    /* a million reports against 2 is far beyond a double's tail, still capped */
    assert_true(tail_score(1e6, 2.0, 0.15) >= 280);
}

static void nan_and_negative_inputs(void **state)
{
    (void)state;
    assert_true(tail_score(NAN, 1, 0) == 0);
    assert_true(tail_score(5, NAN, 0) == 0);
    assert_true(tail_score(5, 1, NAN) == 0);
    assert_true(tail_bound(NAN, 1, 0) == 0);
    assert_true(tail_bound(5, NAN, 0) == 0);
    assert_true(tail_bound(5, 1, NAN) == 0);
    assert_true(tail_score(-1, 1, 0) == 0);
    assert_true(tail_score(-1, -1, 0) == 0);
    assert_true(tail_score(-INFINITY, 1, 0.2) == 0);
    assert_true(tail_bound(-3, 1, 0) == 0);
    /* a negative 1/size is taken as Poisson */
    assert_true(tail_score(9, 1.1, -0.5) == tail_score(9, 1.1, 0));
    /* as tail.h documents: a positive count against a mean <= 0 (nothing
     * was expected) is the most surprising there is */
    assert_true(tail_score(1, 0, 0) == TAIL_SCORE_MAX);
    assert_true(tail_score(1, -2, 0.1) == TAIL_SCORE_MAX);
}

static void the_bound_is_never_below_the_score(void **state)
{
    (void)state;
    static const double MUS[] = {0.001, 0.3, 1.0, 4.0, 25.0, 300.0};
    long checked = 0;
    for (size_t m = 0; m < sizeof(MUS) / sizeof(MUS[0]); m++) {
        for (size_t k = 0; k < NINVS; k++) {
            double mu = MUS[m], inv = INVS[k];
            double top = mu * 30 + 1500;
            for (double x = 0; x <= top; x += top / 6000) {
                double s = tail_score(x, mu, inv), b = tail_bound(x, mu, inv);
                if (!(b >= s)) {
                    print_error("mu=%g inv=%g x=%.6f: bound %.9f < score %.9f\n", mu, inv, x, b,
                                s);
                    fail();
                }
                checked++;
            }
        }
    }
    assert_true(checked > 100000);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_values),
        cmocka_unit_test(counts_at_or_below_the_mean_score_zero),
        cmocka_unit_test(the_score_is_monotone_in_the_count_across_the_far_tail_switch),
        cmocka_unit_test(the_score_does_not_increase_with_the_mean),
        cmocka_unit_test(huge_counts_are_finite_and_capped),
        cmocka_unit_test(nan_and_negative_inputs),
        cmocka_unit_test(the_bound_is_never_below_the_score),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
