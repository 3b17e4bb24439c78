/* test_scorer.c - unit tests for src/metric/scorer.c on synthetic 5-minute
 * counts with a daily cycle (Poisson noise from a fixed seed): silence
 * while history is short, a spike is news and ordinary rows are not, a
 * spike at night that stays below the daytime peak is still caught (the
 * seasonal surprise of the detector core), an alarm shadows the next day
 * unless something twice as rare comes, repeated and earlier rows are
 * scored but not learned, and a negative series is shifted.
 *
 * Run one test by name: test_scorer NAME (a cmocka filter pattern). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "metric/scorer.h"

#define START INT64_C(1711929600) /* Monday 2024-04-01T00:00:00Z */
#define DAY 86400
#define STEP 300
#define ROWS_PER_DAY (DAY / STEP)

/* Expected count per 5 minutes at t: 5 at 03:00, 100 at 15:00 UTC. */
static double daily(int64_t t)
{
    double h = (double)((t - START) % DAY) / 3600.0;
    return 52.5 - 47.5 * cos(2 * M_PI * (h - 3) / 24);
}

static double uniform(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005u + 1442695040888963407u;
    return ((*seed >> 11) + 0.5) / 9007199254740992.0;
}

/* A Poisson draw by inversion (means here are at most ~100). */
static double poisson(double mean, uint64_t *seed)
{
    double u = uniform(seed), p = exp(-mean), cdf = p;
    int k = 0;
    while (u > cdf && k < 1000) {
        k++;
        p *= mean / k;
        cdf += p;
    }
    return k;
}

/* Score `days` days of the daily cycle; scores[i] for row i (may be NULL). */
static void feed(struct scorer *s, int days, uint64_t seed, double *scores)
{
    for (int i = 0; i < days * ROWS_PER_DAY; i++) {
        int64_t t = START + (int64_t)i * STEP;
        double score = scorer_next(s, t, poisson(daily(t), &seed));
        if (scores)
            scores[i] = score;
    }
}

static int64_t at(int day, int hour, int minute)
{
    return START + (int64_t)day * DAY + hour * 3600 + minute * 60;
}

static void test_scores_are_in_range_and_zero_while_history_is_short(void **state)
{
    (void)state;
    struct scorer *s = scorer_new();
    double *scores = malloc(sizeof(double) * 10 * ROWS_PER_DAY);
    feed(s, 10, 1, scores);
    for (int i = 0; i < 10 * ROWS_PER_DAY; i++) {
        assert_true(scores[i] >= 0 && scores[i] < 1);
        if (i < 3 * ROWS_PER_DAY)
            assert_true(scores[i] == 0);
    }
    free(scores);
    free(s);
}

static void test_a_spike_is_news_and_ordinary_rows_are_not(void **state)
{
    (void)state;
    struct scorer *s = scorer_new();
    double *scores = malloc(sizeof(double) * 14 * ROWS_PER_DAY);
    feed(s, 14, 2, scores);
    double spike = scorer_next(s, at(14, 12, 2), 10 * daily(at(14, 12, 2)));
    int alarms = 0;
    for (int i = 0; i < 14 * ROWS_PER_DAY; i++) {
        assert_true(spike > scores[i]);
        alarms += scores[i] >= 0.5; /* rarer than once in ten days */
    }
    assert_true(spike > 0.9);
    assert_true(alarms <= 5); /* about one per ten days and view: a handful */
    free(scores);
    free(s);
}

static void test_a_night_spike_below_the_daytime_peak_is_caught(void **state)
{
    (void)state;
    struct scorer *s = scorer_new();
    feed(s, 14, 3, NULL);
    /* 60 at 03:00 where 5 is normal: never a record, but a surprise. */
    assert_true(60 < daily(at(14, 15, 0)));
    assert_true(scorer_next(s, at(14, 3, 2), 60) > 0.8);
    free(s);
}

static void test_an_alarm_shadows_the_next_day(void **state)
{
    (void)state;
    struct scorer *s = scorer_new();
    feed(s, 14, 4, NULL);
    /* 300 where 97 is normal, at 14:02 and again at 16:02. */
    double first = scorer_next(s, at(14, 14, 2), 300);
    for (int64_t t = at(14, 14, 7); t < at(14, 16, 2); t += STEP)
        scorer_next(s, t, daily(t));
    double again = scorer_next(s, at(14, 16, 2), 300);
    assert_true(first > 0.9);
    assert_true(again == 0);
    /* Something far rarer is news even in the shadow. */
    assert_true(scorer_next(s, at(14, 16, 7), 60000) > first);
    /* Two days later the shadow is gone. */
    for (int64_t t = at(14, 16, 12); t < at(16, 14, 2); t += STEP)
        scorer_next(s, t, daily(t));
    assert_true(scorer_next(s, at(16, 14, 2), 300) > 0.9);
    free(s);
}

static void test_repeated_and_earlier_rows_are_scored_but_not_learned(void **state)
{
    (void)state;
    struct scorer *plain = scorer_new(), *mixed = scorer_new();
    uint64_t seed = 5;
    for (int i = 0; i < 8 * ROWS_PER_DAY; i++) {
        int64_t t = START + (int64_t)i * STEP;
        double v = poisson(daily(t), &seed);
        double want = scorer_next(plain, t, v);
        assert_true(scorer_next(mixed, t, v) == want);
        if (i % 97 == 0) {
            double dup = scorer_next(mixed, t, 10 * v + 50);  /* the same time again */
            double old = scorer_next(mixed, t - DAY, 1000);  /* a day back */
            assert_true(dup >= 0 && dup < 1 && old >= 0 && old < 1);
        }
    }
    free(plain);
    free(mixed);
}

static void test_a_negative_series_is_shifted_and_scored(void **state)
{
    (void)state;
    struct scorer *s = scorer_new();
    uint64_t seed = 6;
    for (int i = 0; i < 14 * ROWS_PER_DAY; i++) {
        int64_t t = START + (int64_t)i * STEP;
        double score = scorer_next(s, t, poisson(daily(t), &seed) - 200);
        assert_true(score >= 0 && score < 1);
    }
    assert_true(scorer_next(s, at(14, 12, 2), 1000) > 0.9);
    free(s);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_are_in_range_and_zero_while_history_is_short),
        cmocka_unit_test(test_a_spike_is_news_and_ordinary_rows_are_not),
        cmocka_unit_test(test_a_night_spike_below_the_daytime_peak_is_caught),
        cmocka_unit_test(test_an_alarm_shadows_the_next_day),
        cmocka_unit_test(test_repeated_and_earlier_rows_are_scored_but_not_learned),
        cmocka_unit_test(test_a_negative_series_is_shifted_and_scored),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
