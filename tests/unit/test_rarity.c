/* test_rarity.c - unit tests for src/metric/rarity.c: rarity of a value
 * among a series' daily maxima. Nothing is rare before three whole days;
 * partial days are left out; the Gumbel fit against values computed
 * independently; the floor of what was seen; a known least scale; a
 * once-in-ten-days value rates about 1; the ring forgets old days;
 * rarities are ordered and capped.
 *
 * Run one test by name: test_rarity NAME (a cmocka filter pattern). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "metric/rarity.h"

#define START INT64_C(1711929600) /* Monday 2024-04-01T00:00:00Z */
#define DAY 86400
#define STEP 300

/* Learn whole days from day `first` on, one row per step, each day
 * reaching maxima[i] at noon and 0 otherwise. */
static void learn_days(struct rarity *r, int first, const double *maxima, int n)
{
    for (int d = 0; d < n; d++)
        for (int64_t t = START + (first + d) * DAY; t < START + (first + d + 1) * DAY; t += STEP)
            rarity_learn(r, t, STEP, t - (START + (first + d) * DAY) == DAY / 2 ? maxima[d] : 0);
}

/* Start the next day, which closes the last one learned. */
static void close_day(struct rarity *r, int day)
{
    rarity_learn(r, START + day * DAY, STEP, 0);
}

static void test_nothing_is_rare_before_three_whole_days(void **state)
{
    (void)state;
    struct rarity r;
    rarity_init(&r, 0);
    assert_true(rarity_of(&r, 1e9) == 0);
    const double maxima[] = {1, 2};
    learn_days(&r, 0, maxima, 2);
    close_day(&r, 2);
    assert_true(rarity_of(&r, 1e9) == 0);
    const double third[] = {4};
    learn_days(&r, 2, third, 1);
    close_day(&r, 3);
    assert_true(rarity_of(&r, 1e9) > 10);
}

static void test_a_partial_day_is_not_a_day(void **state)
{
    (void)state;
    struct rarity r;
    rarity_init(&r, 0);
    /* The first day starts at 21:00: three hours, a maximum of 100. */
    for (int64_t t = START + 21 * 3600; t < START + DAY; t += STEP)
        rarity_learn(&r, t, STEP, 100);
    const double maxima[] = {1, 2, 4};
    learn_days(&r, 1, maxima, 3);
    close_day(&r, 4);
    /* Only the three whole days count: 6 is beyond all of them. */
    assert_float_equal(rarity_of(&r, 6), 1.4170327251175727, 1e-9);
}

static void test_the_gumbel_fit_and_the_floor_of_what_was_seen(void **state)
{
    (void)state;
    struct rarity r;
    rarity_init(&r, 0);
    const double maxima[] = {1, 2, 4};
    learn_days(&r, 0, maxima, 3);
    close_day(&r, 3);
    /* {1, 2, 4}: predictive variance 3.111 (1.556 x 4/2), so beta = 1.3753
     * and location = 1.5395. */
    assert_float_equal(rarity_of(&r, 6), 1.4170327251175727, 1e-9);
    assert_float_equal(rarity_of(&r, 100), 31.09301043213993, 1e-9);
    /* The fit says 0.534 for 3, but one day in three reached it. */
    assert_float_equal(rarity_of(&r, 3), log10(3), 1e-12);
    /* Every day reached 0.5. */
    assert_float_equal(rarity_of(&r, 0.5), 0, 1e-12);
}

static void test_a_known_spread_bounds_the_scale(void **state)
{
    (void)state;
    struct rarity r;
    rarity_init(&r, 1 / M_LN10);
    const double maxima[] = {2, 2, 2, 2};
    learn_days(&r, 0, maxima, 4);
    close_day(&r, 4);
    /* Four equal days would make any 2.01 unheard of; the least scale
     * (that of the largest of -log10 p-values) keeps 3 at 1.26. */
    assert_float_equal(rarity_of(&r, 3), 1.2628164734171787, 1e-9);
    assert_float_equal(rarity_of(&r, 2), 0, 1e-12);
}

static void test_a_once_in_ten_days_value_rates_about_one(void **state)
{
    (void)state;
    struct rarity r;
    rarity_init(&r, 0);
    double maxima[RARITY_DAYS];
    for (int i = 0; i < RARITY_DAYS; i++) /* Gumbel(0, 1) quantiles, shuffled */
        maxima[(i * 37) % RARITY_DAYS] = -log(-log((i + 0.5) / RARITY_DAYS));
    learn_days(&r, 0, maxima, RARITY_DAYS);
    close_day(&r, RARITY_DAYS);
    assert_float_equal(rarity_of(&r, -log(-log(0.9))), 1, 0.1);
    assert_float_equal(rarity_of(&r, -log(-log(0.99))), 2, 0.2);
}

static void test_old_days_are_forgotten(void **state)
{
    (void)state;
    struct rarity r;
    rarity_init(&r, 0);
    double high[RARITY_DAYS], low[RARITY_DAYS];
    for (int i = 0; i < RARITY_DAYS; i++) {
        high[i] = 100 + i % 7;
        low[i] = 10 + i % 7;
    }
    learn_days(&r, 0, high, RARITY_DAYS);
    close_day(&r, RARITY_DAYS);
    assert_true(rarity_of(&r, 50) == 0);
    learn_days(&r, RARITY_DAYS, low, RARITY_DAYS);
    close_day(&r, 2 * RARITY_DAYS);
    assert_true(rarity_of(&r, 50) > 5);
}

static void test_rarity_is_ordered_capped_and_ignores_the_past_and_nan(void **state)
{
    (void)state;
    struct rarity r;
    rarity_init(&r, 0);
    const double maxima[] = {3, 5, 4, 6};
    learn_days(&r, 0, maxima, 4);
    close_day(&r, 4);
    double last = -1;
    for (double v = 0; v < 1e6; v = v * 1.5 + 0.1) {
        double x = rarity_of(&r, v);
        assert_true(x >= last && x >= 0 && x <= RARITY_MAX);
        last = x;
    }
    assert_true(rarity_of(&r, 1e300) == RARITY_MAX);
    assert_true(rarity_of(&r, NAN) == 0);
    /* The same days, with a value from a closed day and a NaN in between. */
    struct rarity junk;
    rarity_init(&junk, 0);
    learn_days(&junk, 0, maxima, 4);
    rarity_learn(&junk, START, STEP, 1000);
    rarity_learn(&junk, START + 3 * DAY + 60, STEP, NAN);
    close_day(&junk, 4);
    for (double v = 1; v < 20; v++)
        assert_true(rarity_of(&junk, v) == rarity_of(&r, v));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_is_rare_before_three_whole_days),
        cmocka_unit_test(test_a_partial_day_is_not_a_day),
        cmocka_unit_test(test_the_gumbel_fit_and_the_floor_of_what_was_seen),
        cmocka_unit_test(test_a_known_spread_bounds_the_scale),
        cmocka_unit_test(test_a_once_in_ten_days_value_rates_about_one),
        cmocka_unit_test(test_old_days_are_forgotten),
        cmocka_unit_test(test_rarity_is_ordered_capped_and_ignores_the_past_and_nan),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
