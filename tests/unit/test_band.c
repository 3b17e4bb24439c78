/* test_band.c - unit tests for src/detect/band.c: the upper edge of the
 * normal band against the integer tail of the distribution computed by GSL
 * (an independent route: the negative binomial and Poisson CDFs), its shape
 * (above the mean, growing with the mean and the scatter), and expected
 * counts over long spans against a sum taken minute by minute.
 *
 * Run one test by name: test_band NAME (a cmocka filter pattern). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>

#include "detect/band.h"
#include "detect/tail.h"

/* P(X >= x) for an integer x >= 1: negative binomial of mean mu and size
 * 1/inv, or Poisson when inv is 0. */
static double tail_at_least(double x, double mu, double inv)
{
    if (inv == 0)
        return gsl_cdf_poisson_Q((unsigned)x - 1, mu);
    double size = 1 / inv;
    return gsl_cdf_negative_binomial_Q((unsigned)x - 1, size / (size + mu), size);
}

/* The edge lies between the integers where the tail crosses 1%. */
static void assert_edge_brackets_the_quantile(double mu, double inv)
{
    double upper = band_upper(mu, inv);
    double below = floor(upper), above = ceil(upper);
    if (below >= 1)
        assert_true(tail_at_least(below, mu, inv) >= BAND_TAIL * 0.999);
    assert_true(tail_at_least(above, mu, inv) <= BAND_TAIL * 1.001);
    assert_float_equal(tail_score(upper, mu, inv), BAND_SCORE, 0.01);
}

static void test_the_edge_is_the_99th_percentile_of_a_poisson(void **state)
{
    (void)state;
    /* Poisson(10): P(X >= 18) = 1.43%, P(X >= 19) = 0.72% */
    double upper = band_upper(10, 0);
    assert_true(upper > 18 && upper < 19);
    assert_edge_brackets_the_quantile(10, 0);
    assert_edge_brackets_the_quantile(250, 0);
}

static void test_the_edge_is_the_99th_percentile_of_a_negative_binomial(void **state)
{
    (void)state;
    assert_edge_brackets_the_quantile(10, 0.5);
    assert_edge_brackets_the_quantile(3.7, 0.15);
    assert_edge_brackets_the_quantile(4000, 0.05);
    assert_edge_brackets_the_quantile(60, 2.0);
}

static void test_small_expectations_get_an_edge_below_one_report(void **state)
{
    (void)state;
    /* One report in a minute that expects 0.001 is already a 1-in-1000 event. */
    double upper = band_upper(0.001, 0.2);
    assert_true(upper > 0.001 && upper < 1);
}

static void test_nothing_expected_means_no_band(void **state)
{
    (void)state;
    assert_float_equal(band_upper(0, 0.3), 0, 0);
    assert_float_equal(band_upper(-1, 0.3), 0, 0);
    assert_float_equal(band_upper(NAN, 0.3), 0, 0);
}

static void test_the_edge_grows_with_the_mean_and_the_scatter(void **state)
{
    (void)state;
    double last = 0;
    for (double mu = 0.01; mu < 1e5; mu *= 1.7) {
        double upper = band_upper(mu, 0.1);
        assert_true(upper > mu);
        assert_true(upper >= last);
        last = upper;
        if (mu >= 1) { /* below, more scatter also means more minutes at 0 */
            assert_true(band_upper(mu, 0.5) >= upper);
            assert_true(band_upper(mu, 0) <= upper);
        }
    }
}

/* A baseline that saw a day-shaped rate every minute for two weeks. */
static void learn_two_weeks(struct base *b, int64_t start)
{
    base_init(b);
    for (int64_t t = start; t < start + 14 * 86400; t += 60) {
        double hour = (double)((t / 3600) % 24);
        base_observe(b, t, 2 + 1.5 * sin(hour / 24 * 2 * M_PI), 1, 0);
    }
}

static double minute_by_minute(const struct base *b, int64_t t, int64_t minutes)
{
    double sum = 0;
    for (int64_t m = 0; m < minutes; m++)
        sum += base_expected(b, t + 60 * m, 1);
    return sum;
}

static void test_long_spans_expect_what_their_minutes_do(void **state)
{
    (void)state;
    struct base b;
    int64_t start = 1711929600; /* 2024-04-01, a Monday */
    learn_two_weeks(&b, start);
    int64_t t = start + 14 * 86400 + 1260; /* off the hour */
    assert_float_equal(band_expected(&b, t, 15), base_expected(&b, t, 15), 1e-12);
    for (int64_t minutes = 61; minutes <= 3 * 7 * 1440 + 90; minutes = minutes * 3 + 7) {
        double want = minute_by_minute(&b, t, minutes);
        assert_float_equal(band_expected(&b, t, (double)minutes), want, want * 0.01);
    }
}

static void test_an_empty_baseline_expects_nothing_over_any_span(void **state)
{
    (void)state;
    struct base b;
    base_init(&b);
    assert_float_equal(band_expected(&b, 1711929600, 30 * 1440), 0, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_edge_is_the_99th_percentile_of_a_poisson),
        cmocka_unit_test(test_the_edge_is_the_99th_percentile_of_a_negative_binomial),
        cmocka_unit_test(test_small_expectations_get_an_edge_below_one_report),
        cmocka_unit_test(test_nothing_expected_means_no_band),
        cmocka_unit_test(test_the_edge_grows_with_the_mean_and_the_scatter),
        cmocka_unit_test(test_long_spans_expect_what_their_minutes_do),
        cmocka_unit_test(test_an_empty_baseline_expects_nothing_over_any_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
