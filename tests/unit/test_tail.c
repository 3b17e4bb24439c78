/* test_tail.c - unit tests for src/detect/tail.c: count tail scores against
 * values computed independently (Poisson and negative binomial sums), their
 * shape (0 at or below the mean, monotone in the count and in the mean),
 * and their behaviour far out in the tail (finite, ordered, capped).
 *
 * Run one test by name: test_tail NAME (a cmocka filter pattern). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/tail.h"

static void test_poisson_tail_matches_the_sum_of_its_mass(void **state)
{
    (void)state;
    /* 1 - sum_{k<9} e^-1.1 1.1^k / k! = 2.42705e-6 */
    assert_float_equal(tail_score(9, 1.1, 0), 5.61492089153112, 1e-9);
    /* P(X >= 1 | 1) = 1 - e^-1 */
    assert_float_equal(tail_score(1.0 + 1e-12, 1.0, 0), -log10(1 - exp(-1)), 1e-6);
}

static void test_negative_binomial_tail_matches_the_sum_of_its_mass(void **state)
{
    (void)state;
    /* mean 10, size 2: P(X >= 40) = 0.00521623 */
    assert_float_equal(tail_score(40, 10, 0.5), 2.282643260607056, 1e-9);
}

static void test_overdispersion_makes_a_count_less_surprising(void **state)
{
    (void)state;
    double poisson = tail_score(30, 10, 0);
    double nb = tail_score(30, 10, 0.1), wider = tail_score(30, 10, 1);
    assert_true(poisson > nb && nb > wider && wider > 0);
}

static void test_counts_at_or_below_the_mean_score_zero(void **state)
{
    (void)state;
    assert_true(tail_score(5, 5, 0) == 0);
    assert_true(tail_score(3, 5, 0.2) == 0);
    assert_true(tail_score(0, 0, 0) == 0);
    assert_true(tail_score(NAN, 5, 0) == 0);
    assert_true(tail_score(5, NAN, 0) == 0);
}

static void test_a_count_against_no_expectation_scores_the_maximum(void **state)
{
    (void)state;
    assert_true(tail_score(1, 0, 0) == TAIL_SCORE_MAX);
    assert_true(tail_score(1, -3, 0.5) == TAIL_SCORE_MAX);
}

static void test_score_is_monotone_in_the_count_and_the_mean(void **state)
{
    (void)state;
    const double inv[] = {0, 0.01, 0.3, 2};
    for (size_t i = 0; i < sizeof(inv) / sizeof(inv[0]); i++) {
        double prev = 0;
        for (double x = 0; x < 2000; x += 0.37) {
            double s = tail_score(x, 20, inv[i]);
            if (s < prev - 1e-9)
                fail_msg("not monotone at x=%g inv=%g: %g < %g", x, inv[i], s, prev);
            prev = s;
        }
        prev = INFINITY;
        for (double mu = 0.5; mu < 300; mu *= 1.1) {
            double s = tail_score(100, mu, inv[i]);
            if (s > prev + 1e-9)
                fail_msg("not monotone at mu=%g inv=%g", mu, inv[i]);
            prev = s;
        }
    }
}

static void test_huge_counts_have_finite_ordered_capped_scores(void **state)
{
    (void)state;
    double a = tail_score(1e4, 1, 0), b = tail_score(1e5, 1, 0), c = tail_score(1e12, 1, 0);
    assert_true(isfinite(a) && isfinite(b) && isfinite(c));
    assert_true(a > 280 && b >= a && c >= b && c <= TAIL_SCORE_MAX);
    double nb = tail_score(1e9, 10, 0.5);
    assert_true(isfinite(nb) && nb > 0 && nb <= TAIL_SCORE_MAX);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson_tail_matches_the_sum_of_its_mass),
        cmocka_unit_test(test_negative_binomial_tail_matches_the_sum_of_its_mass),
        cmocka_unit_test(test_overdispersion_makes_a_count_less_surprising),
        cmocka_unit_test(test_counts_at_or_below_the_mean_score_zero),
        cmocka_unit_test(test_a_count_against_no_expectation_scores_the_maximum),
        cmocka_unit_test(test_score_is_monotone_in_the_count_and_the_mean),
        cmocka_unit_test(test_huge_counts_have_finite_ordered_capped_scores),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
