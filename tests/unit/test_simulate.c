/* test_simulate.c - unit tests for src/simulate/: the diurnal curve, the
 * shapes, the named random streams, the rates in local time, incident excess
 * and the ground-truth rules (lifted countries, top problems), and the
 * scenario table (every scenario builds, every service is in the catalog).
 * The command and the files it writes are tested end to end in
 * tests/integration/test_simulate.py.
 *
 * Run one test by name: test_simulate NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "catalog/catalog.h"
#include "simulate/model.h"
#include "simulate/scenarios.h"

static double mean_of(const double *v, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    return sum / n;
}

static void test_diurnal_curve_has_mean_one_at_any_resolution(void **state)
{
    (void)state;
    static double curve[1440];
    const int resolutions[] = {24, 288, 1440};
    for (int p = 0; p < SIM_PROFILE_COUNT; p++)
        for (int i = 0; i < 3; i++) {
            sim_diurnal(p, resolutions[i], curve);
            assert_true(fabs(mean_of(curve, resolutions[i]) - 1.0) < 1e-9);
        }
}

static void test_diurnal_curve_is_smooth_across_midnight(void **state)
{
    (void)state;
    static double curve[1440];
    for (int p = 0; p < SIM_PROFILE_COUNT; p++) {
        sim_diurnal(p, 1440, curve);
        double largest_step = 0;
        for (int i = 1; i < 1440; i++)
            largest_step = fmax(largest_step, fabs(curve[i] - curve[i - 1]));
        /* the step from 23:59 to 00:00 is no bigger than any other minute's */
        assert_true(fabs(curve[0] - curve[1439]) <= largest_step * 1.01);
        assert_true(largest_step < 0.01);
    }
}

static void test_diurnal_curve_is_lowest_before_dawn_and_highest_in_the_evening(void **state)
{
    (void)state;
    double curve[24];
    sim_diurnal(SIM_EVENING, 24, curve);
    int low = 0, high = 0;
    for (int h = 1; h < 24; h++) {
        low = curve[h] < curve[low] ? h : low;
        high = curve[h] > curve[high] ? h : high;
    }
    assert_int_equal(low, 4);
    assert_in_range(high, 19, 22);
    assert_true(curve[high] / curve[low] > 5);
}

static void test_block_curve_agrees_with_the_minute_curve(void **state)
{
    (void)state;
    static double minute[1440], block[288];
    sim_diurnal(SIM_DAYTIME, 1440, minute);
    sim_diurnal(SIM_DAYTIME, 288, block);
    for (int b = 0; b < 288; b++)
        assert_true(fabs(mean_of(minute + 5 * b, 5) / block[b] - 1) < 0.01);
}

static void test_a_named_stream_repeats_and_other_names_or_seeds_differ(void **state)
{
    (void)state;
    gsl_rng *a = sim_rng(42, "baseline"), *b = sim_rng(42, "baseline");
    gsl_rng *other_name = sim_rng(42, "events"), *other_seed = sim_rng(43, "baseline");
    int same_name_differs = 0, other_name_differs = 0, other_seed_differs = 0;
    for (int i = 0; i < 100; i++) {
        unsigned long x = gsl_rng_get(a);
        same_name_differs |= x != gsl_rng_get(b);
        other_name_differs |= x != gsl_rng_get(other_name);
        other_seed_differs |= x != gsl_rng_get(other_seed);
    }
    assert_false(same_name_differs);
    assert_true(other_name_differs);
    assert_true(other_seed_differs);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(other_name);
    gsl_rng_free(other_seed);
}

static void test_outage_shape_ramps_sags_and_decays(void **state)
{
    (void)state;
    struct sim_shape s = {.kind = SIM_SHAPE_OUTAGE, .duration_min = 100, .ramp_min = 4,
                          .plateau_min = 20};
    assert_true(sim_shape_value(&s, 0) < 0.2);
    assert_true(fabs(sim_shape_value(&s, 4) - 1.0) < 1e-9);
    assert_true(fabs(sim_shape_value(&s, 24) - 0.85) < 1e-9);
    assert_true(sim_shape_value(&s, 99.999) < 0.0045);
    assert_true(sim_shape_value(&s, 60) < sim_shape_value(&s, 40));
    assert_true(sim_shape_value(&s, -1) == 0 && sim_shape_value(&s, 100) == 0);
}

static void test_points_shape_interpolates_between_its_points(void **state)
{
    (void)state;
    struct sim_shape s = {.kind = SIM_SHAPE_POINTS, .duration_min = 40,
                          .points = {{0, 0}, {2, 1}, {36, 1}, {40, 0}}, .n_points = 4};
    assert_true(fabs(sim_shape_value(&s, 1) - 0.5) < 1e-9);
    assert_true(fabs(sim_shape_value(&s, 20) - 1.0) < 1e-9);
    assert_true(fabs(sim_shape_value(&s, 38) - 0.5) < 1e-9);
    assert_true(sim_shape_value(&s, 40) == 0);
}

static void test_lifted_means_five_extra_and_three_times_the_baseline(void **state)
{
    (void)state;
    assert_true(sim_lifts_country(5.0, 2.5));   /* 7.5 = 3 x 2.5 */
    assert_true(sim_lifts_country(300, 40));
    assert_false(sim_lifts_country(4.99, 0));   /* too few reports to see */
    assert_false(sim_lifts_country(10, 6));     /* 16 < 18: only 2.7x */
}

/* Two days of jio (IN) and whatsapp, with the events a test adds. */
static const struct sim_scenario two_days = {
    .name = "two-days", .summary = "unit tests", .start = "2024-03-27T00:00:00Z",
    .end = "2024-03-29T00:00:00Z", .seed = 7, .services = {"jio", "whatsapp"}};

static struct sim_model *model_of(const struct sim_scenario *sc, double scale)
{
    char err[256] = "";
    struct sim_model *m = sim_model_new(sc, scale, sc->seed, err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    return m;
}

/* Two hours of whatsapp trouble on the second evening; the test sets the
 * totals. Mostly messages, then login, then calls. */
static struct sim_incident whatsapp_outage(void)
{
    return (struct sim_incident){
        .service = "whatsapp", .start = "2024-03-28T16:30:00Z", .volume = SIM_ABSOLUTE,
        .shape = {.kind = SIM_SHAPE_OUTAGE, .duration_min = 120, .ramp_min = 3,
                  .plateau_min = 25},
        .problems = {[REP_MESSAGES] = .5, [REP_LOGIN] = .3, [REP_CALLS] = .2}};
}

static void test_rates_follow_local_time(void **state)
{
    (void)state;
    struct sim_model *m = model_of(&two_days, 1.0);
    int jio = sim_cell(m, sim_service_find("jio"), sim_country_find("IN"));
    assert_true(jio >= 0);
    assert_int_equal(sim_cell(m, sim_service_find("jio"), sim_country_find("BR")), -1);
    /* 04:00 in India is 22:30 UTC; 12:00 in India is 06:30 UTC */
    int night = 1440 + 22 * 60 + 30, noon = 1440 + 6 * 60 + 30;
    assert_true(sim_rate_per_min(m, jio, noon) > 6 * sim_rate_per_min(m, jio, night));
    /* a block's rate is its five minutes' rates */
    for (int b = 0; b < m->n_blocks; b += 7) {
        double minutes = 0;
        for (int i = 0; i < SIM_BLOCK_MIN; i++)
            minutes += sim_rate_per_min(m, jio, b * SIM_BLOCK_MIN + i);
        assert_true(fabs(minutes / sim_rate_per_block(m, jio, b) - 1) < 0.01);
    }
    sim_model_free(m);
}

static void test_absolute_totals_are_scaled_and_spread_over_the_shape(void **state)
{
    (void)state;
    struct sim_model *m = model_of(&two_days, 0.5);
    struct sim_incident inc = whatsapp_outage();
    inc.totals[0] = (struct sim_total){"BR", 1000};
    inc.totals[1] = (struct sim_total){"GB", 600};
    struct sim_excess ex;
    assert_int_equal(sim_excess(m, &inc, &ex, NULL, 0), 0);
    assert_int_equal(ex.n_rows, 2);
    assert_true(fabs(sim_excess_total(&ex) - 800) < 1e-6);
    assert_int_equal(ex.rows[0].first_minute, 1440 + 16 * 60 + 30);
    assert_int_equal(ex.rows[0].n, 120);
    sim_excess_free(&ex);
    sim_model_free(m);
}

static void test_truth_lists_lifted_countries_largest_first(void **state)
{
    (void)state;
    struct sim_model *m = model_of(&two_days, 0.2);
    struct sim_incident inc = whatsapp_outage();
    /* GB and BR clearly lifted; JP's 2 extra reports are under the 5 */
    inc.totals[0] = (struct sim_total){"GB", 5000};
    inc.totals[1] = (struct sim_total){"BR", 9000};
    inc.totals[2] = (struct sim_total){"JP", 10};
    struct sim_excess ex;
    struct sim_truth truth;
    assert_int_equal(sim_excess(m, &inc, &ex, NULL, 0), 0);
    sim_truth_of(m, &inc, &ex, &truth);
    assert_int_equal(truth.n_countries, 2);
    assert_string_equal(sim_countries[truth.countries[0]].code, "BR");
    assert_string_equal(sim_countries[truth.countries[1]].code, "GB");
    assert_int_equal(truth.n_problems, 3);
    assert_int_equal(truth.problems[0], REP_MESSAGES);
    assert_int_equal(truth.problems[1], REP_LOGIN);
    assert_int_equal(truth.problems[2], REP_CALLS);
    sim_excess_free(&ex);
    sim_model_free(m);
}

static void test_a_small_multiple_of_the_baseline_lifts_no_country(void **state)
{
    (void)state;
    struct sim_model *m = model_of(&two_days, 1.0);
    struct sim_incident inc = {
        .service = "jio", .start = "2024-03-28T05:00:00Z", .volume = SIM_RELATIVE,
        .multiple = 2.5, .countries = {"IN"},
        .shape = {.kind = SIM_SHAPE_POINTS, .duration_min = 90,
                  .points = {{0, 1}, {90, 1}}, .n_points = 2},
        .problems = {[REP_CONNECTION] = 1}};
    struct sim_excess ex;
    struct sim_truth truth;
    assert_int_equal(sim_excess(m, &inc, &ex, NULL, 0), 0);
    sim_truth_of(m, &inc, &ex, &truth);
    assert_int_equal(truth.n_countries, 0);        /* 2.5x < 3x */
    sim_excess_free(&ex);
    inc.multiple = 8;
    assert_int_equal(sim_excess(m, &inc, &ex, NULL, 0), 0);
    sim_truth_of(m, &inc, &ex, &truth);
    assert_int_equal(truth.n_countries, 1);
    assert_int_equal(truth.problems[0], REP_CONNECTION);
    sim_excess_free(&ex);
    sim_model_free(m);
}

static void test_a_scenario_with_an_unknown_service_or_country_is_refused(void **state)
{
    (void)state;
    struct sim_scenario bad = two_days;
    bad.services[1] = "whatsup";
    char err[256] = "";
    assert_null(sim_model_new(&bad, 0.2, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "\"whatsup\""));

    struct sim_incident nowhere = whatsapp_outage();
    nowhere.totals[0] = (struct sim_total){"XX", 100};
    bad = two_days;
    bad.incidents = &nowhere;
    bad.n_incidents = 1;
    assert_null(sim_model_new(&bad, 0.2, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "unknown country \"XX\""));
    nowhere.start = "2024-04-01T00:00:00Z";
    assert_null(sim_model_new(&bad, 0.2, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "not in the trace window"));
}

static void test_client_ids_are_fixed_per_draw_and_spread_out(void **state)
{
    (void)state;
    struct sim_model *m = model_of(&two_days, 0.2);
    int in = sim_country_find("IN"), br = sim_country_find("BR");
    assert_true(sim_client(m, in, 17) == sim_client(m, in, 17));
    assert_true(sim_client(m, in, 17) != sim_client(m, in, 18));
    assert_true(sim_client(m, in, 17) != sim_client(m, br, 17));
    assert_true(m->pool[in] > 100000);
    sim_model_free(m);
}

static void test_blips_keep_away_from_events_and_each_other(void **state)
{
    (void)state;
    const struct sim_scenario *sc = sim_scenario_find("noisy-week");
    assert_non_null(sc);
    struct sim_model *m = model_of(sc, 0.2);
    struct sim_blip blips[16];
    int n = sim_place_blips(m, blips, sc->blips);
    assert_int_equal(n, sc->blips);
    for (int i = 0; i < n; i++) {
        int m0 = sim_minute_of(m, blips[i].event.start);
        assert_true(blips[i].event.multiple >= 1.5 && blips[i].event.multiple <= 2.0);
        assert_in_range(blips[i].event.shape.duration_min, 5, 15);
        for (int j = 0; j < i; j++)
            assert_true(abs(m0 - sim_minute_of(m, blips[j].event.start)) > 120);
        for (int k = 0; k < sc->n_brigades; k++)
            assert_true(m0 < sim_minute_of(m, sc->brigades[k].start) - 120 ||
                        m0 > sim_minute_of(m, sc->brigades[k].end) + 120);
    }
    sim_model_free(m);
}

static void test_every_scenario_builds_from_catalog_services(void **state)
{
    (void)state;
    struct catalog *cat = catalog_builtin();
    for (int s = 0; s < sim_service_count; s++)
        if (catalog_find(cat, sim_services[s].id, strlen(sim_services[s].id)) < 0)
            fail_msg("service %s is not in the built-in catalog", sim_services[s].id);
    for (int i = 0; i < sim_scenario_count; i++) {
        struct sim_model *m = model_of(&sim_scenarios[i], 0.05);
        assert_true(m->n_cells > 0);
        assert_non_null(sim_scenario_find(sim_scenarios[i].name));
        sim_model_free(m);
    }
    catalog_free(cat);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diurnal_curve_has_mean_one_at_any_resolution),
        cmocka_unit_test(test_diurnal_curve_is_smooth_across_midnight),
        cmocka_unit_test(test_diurnal_curve_is_lowest_before_dawn_and_highest_in_the_evening),
        cmocka_unit_test(test_block_curve_agrees_with_the_minute_curve),
        cmocka_unit_test(test_a_named_stream_repeats_and_other_names_or_seeds_differ),
        cmocka_unit_test(test_outage_shape_ramps_sags_and_decays),
        cmocka_unit_test(test_points_shape_interpolates_between_its_points),
        cmocka_unit_test(test_lifted_means_five_extra_and_three_times_the_baseline),
        cmocka_unit_test(test_rates_follow_local_time),
        cmocka_unit_test(test_absolute_totals_are_scaled_and_spread_over_the_shape),
        cmocka_unit_test(test_truth_lists_lifted_countries_largest_first),
        cmocka_unit_test(test_a_small_multiple_of_the_baseline_lifts_no_country),
        cmocka_unit_test(test_a_scenario_with_an_unknown_service_or_country_is_refused),
        cmocka_unit_test(test_client_ids_are_fixed_per_draw_and_spread_out),
        cmocka_unit_test(test_blips_keep_away_from_events_and_each_other),
        cmocka_unit_test(test_every_scenario_builds_from_catalog_services),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
