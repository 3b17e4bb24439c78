/* test_series.c - unit tests for series.c: where counts land, ring wrap and
 * late reports, query steps and ranges, the series cap, concurrent use, and a
 * property test against a naive reference. Run one test by name:
 * test_series ring_wrap_overwrites_old_minutes */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report/country.h"
#include "series/series.h"

#define T0 INT64_C(1712160000) /* 2024-04-03T16:00:00Z, on the hour */
#define MIN 60
#define HOUR 3600

/* country.h indexes: (first - 'A') * 26 + (second - 'A') */
#define BR (1 * 26 + 17)
#define GB (6 * 26 + 1)
#define IN (8 * 26 + 13)

static struct series *make(size_t services, size_t max_series, int minutes, int hours)
{
    struct series_config cfg = {
        .services = services, .max_series = max_series, .minutes = minutes, .hours = hours};
    struct series *s = series_new(&cfg);
    assert_non_null(s);
    return s;
}

/* The one point of the bucket that starts at t. */
static struct series_point point_at(struct series *s, int service, int country, int64_t t,
                                    int step)
{
    struct series_point p;
    assert_int_equal(series_query(s, service, country, t, t + step, step, &p, 1), 1);
    assert_true(p.t == t);
    return p;
}

static uint32_t reports_at(struct series *s, int service, int country, int64_t t, int step)
{
    return point_at(s, service, country, t, step).reports;
}

/* ---------------------------------------------------------------- counting */

static void counts_land_in_the_right_minute_and_hour(void **state)
{
    (void)state;
    struct series *s = make(2, 16, 1440, 840);
    series_add(s, 1, IN, REP_LOGIN, 1, T0 + 61);
    series_add(s, 1, IN, REP_LOGIN, 1, T0 + 119);
    series_add(s, 1, IN, REP_CALLS, 1, T0 + 120);
    series_add(s, 1, IN, REP_LOGIN, 1, T0 + HOUR - 1);
    series_add(s, 1, IN, REP_LOGIN, 1, T0 + HOUR);

    struct series_point p[61];
    assert_int_equal(series_query(s, 1, IN, T0, T0 + HOUR + MIN, MIN, p, 61), 61);
    for (int i = 0; i < 61; i++) {
        uint32_t want = i == 1 ? 2 : (i == 2 || i == 59 || i == 60) ? 1 : 0;
        assert_true(p[i].t == T0 + i * MIN);
        assert_int_equal(p[i].reports, want);
    }
    assert_int_equal(p[2].problems[REP_CALLS], 1);
    assert_int_equal(p[2].problems[REP_LOGIN], 0);

    struct series_point h[2];
    assert_int_equal(series_query(s, 1, IN, T0, T0 + 2 * HOUR, HOUR, h, 2), 2);
    assert_int_equal(h[0].reports, 4);
    assert_int_equal(h[0].problems[REP_LOGIN], 3);
    assert_int_equal(h[1].reports, 1);
    assert_int_equal(reports_at(s, 0, IN, T0, HOUR), 0); /* other service untouched */
    series_free(s);
}

static void repeats_count_as_reports_but_not_as_clients_or_problems(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    series_add(s, 0, BR, REP_MESSAGES, 1, T0);
    series_add(s, 0, BR, REP_MESSAGES, 0, T0 + 5);
    series_add(s, 0, BR, REP_LOGIN, 0, T0 + 9);

    for (int step = MIN; step <= HOUR; step += HOUR - MIN) {
        struct series_point p = point_at(s, 0, BR, T0, step);
        assert_int_equal(p.reports, 3);
        assert_int_equal(p.clients, 1);
        assert_int_equal(p.problems[REP_MESSAGES], 1);
        assert_int_equal(p.problems[REP_LOGIN], 0);
    }
    series_free(s);
}

static void country_series_and_service_total_agree(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    const int countries[] = {BR, GB, IN};
    for (int i = 0; i < 300; i++)
        series_add(s, 0, countries[i % 3], i % REP_PROBLEM_COUNT, i % 4 != 0, T0 + i * 7);

    struct series_point total[40], part[40];
    long n = series_query(s, 0, SERIES_ALL_COUNTRIES, T0, T0 + 40 * MIN, MIN, total, 40);
    assert_int_equal(n, 40);
    struct series_point sum[40];
    memset(sum, 0, sizeof(sum));
    for (size_t c = 0; c < sizeof(countries) / sizeof(countries[0]); c++) {
        assert_int_equal(series_query(s, 0, countries[c], T0, T0 + 40 * MIN, MIN, part, 40), 40);
        for (int i = 0; i < 40; i++) {
            sum[i].reports += part[i].reports;
            sum[i].clients += part[i].clients;
            for (int k = 0; k < REP_PROBLEM_COUNT; k++)
                sum[i].problems[k] += part[i].problems[k];
        }
    }
    uint32_t all = 0;
    for (int i = 0; i < 40; i++) {
        assert_int_equal(sum[i].reports, total[i].reports);
        assert_int_equal(sum[i].clients, total[i].clients);
        for (int k = 0; k < REP_PROBLEM_COUNT; k++)
            assert_int_equal(sum[i].problems[k], total[i].problems[k]);
        all += total[i].reports;
    }
    assert_int_equal(all, 300);
    series_free(s);
}

static void unknown_service_or_problem_is_ignored_and_bad_country_counts_in_total_only(
    void **state)
{
    (void)state;
    struct series *s = make(2, 16, 60, 24);
    series_add(s, -1, IN, REP_LOGIN, 1, T0);
    series_add(s, 2, IN, REP_LOGIN, 1, T0);
    series_add(s, 0, IN, -1, 1, T0);
    series_add(s, 0, IN, REP_PROBLEM_COUNT, 1, T0);
    assert_int_equal(reports_at(s, 0, SERIES_ALL_COUNTRIES, T0, MIN), 0);
    assert_int_equal(series_active(s), 0);

    series_add(s, 0, SERIES_ALL_COUNTRIES, REP_LOGIN, 1, T0);
    series_add(s, 0, COUNTRY_SLOTS, REP_LOGIN, 1, T0);
    assert_int_equal(reports_at(s, 0, SERIES_ALL_COUNTRIES, T0, MIN), 2);
    assert_int_equal(series_active(s), 0);
    series_free(s);
}

static void negative_timestamps_use_floor_division(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    series_add(s, 0, GB, REP_APP, 1, -1);
    series_add(s, 0, GB, REP_APP, 1, -61);
    assert_int_equal(reports_at(s, 0, GB, -60, MIN), 1);
    assert_int_equal(reports_at(s, 0, GB, -120, MIN), 1);
    assert_int_equal(reports_at(s, 0, GB, 0, MIN), 0);
    assert_int_equal(reports_at(s, 0, GB, -HOUR, HOUR), 2);
    assert_int_equal(reports_at(s, 0, GB, 0, HOUR), 0);

    struct series_point p;
    assert_int_equal(series_query(s, 0, GB, -1, 0, MIN, &p, 1), 1);
    assert_true(p.t == -60);
    series_free(s);
}

/* ---------------------------------------------------------------- rings */

static void ring_wrap_overwrites_old_minutes(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 10, 24);
    series_add(s, 0, IN, REP_LOGIN, 1, T0);           /* minute 0, slot k */
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 5 * MIN); /* minute 5 */
    assert_int_equal(reports_at(s, 0, IN, T0, MIN), 1);
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 10 * MIN); /* minute 10, slot k again */
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 10 * MIN + 1);

    assert_int_equal(reports_at(s, 0, IN, T0, MIN), 0);
    assert_int_equal(reports_at(s, 0, IN, T0 + 5 * MIN, MIN), 1);
    assert_int_equal(reports_at(s, 0, IN, T0 + 10 * MIN, MIN), 2);
    /* the hour ring is longer and still holds all of them */
    assert_int_equal(reports_at(s, 0, IN, T0, HOUR), 4);
    series_free(s);
}

static void late_report_older_than_the_ring_is_dropped_from_that_ring(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 10, 24);
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 100 * MIN);
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 85 * MIN); /* 15 minutes late: out of a 10-minute ring */
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 91 * MIN); /* 9 minutes late: still in the ring */

    assert_int_equal(reports_at(s, 0, IN, T0 + 85 * MIN, MIN), 0);
    assert_int_equal(reports_at(s, 0, IN, T0 + 91 * MIN, MIN), 1);
    assert_int_equal(reports_at(s, 0, IN, T0 + 100 * MIN, MIN), 1);
    assert_int_equal(reports_at(s, 0, SERIES_ALL_COUNTRIES, T0 + 85 * MIN, MIN), 0);
    /* the hour ring still had room for it */
    assert_int_equal(reports_at(s, 0, IN, T0 + HOUR, HOUR), 3);

    /* a report older than the hour ring is dropped from both */
    series_add(s, 0, IN, REP_LOGIN, 1, T0 - 30 * HOUR);
    assert_int_equal(reports_at(s, 0, IN, T0 - 30 * HOUR, HOUR), 0);
    series_free(s);
}

static void a_report_far_in_the_future_moves_the_window(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    series_add(s, 0, BR, REP_FEED, 1, T0);
    series_add(s, 0, BR, REP_FEED, 1, T0 + 10 * 24 * HOUR);
    assert_int_equal(reports_at(s, 0, BR, T0, MIN), 0);  /* 10 days: out of the minute ring */
    assert_int_equal(reports_at(s, 0, BR, T0, HOUR), 1); /* 35-day hour ring still has it */
    assert_int_equal(reports_at(s, 0, BR, T0 + 10 * 24 * HOUR, MIN), 1);

    series_add(s, 0, BR, REP_FEED, 1, T0 + 100 * 24 * HOUR);
    assert_int_equal(reports_at(s, 0, BR, T0 + 10 * 24 * HOUR, HOUR), 0);
    assert_int_equal(reports_at(s, 0, BR, T0 + 100 * 24 * HOUR, HOUR), 1);
    series_free(s);
}

static void old_ranges_read_zero_at_minute_steps_but_count_at_hourly_steps(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 60, 24);
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 10);
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 2 * HOUR);
    assert_int_equal(reports_at(s, 0, IN, T0, 5 * MIN), 0);
    assert_int_equal(reports_at(s, 0, IN, T0, HOUR), 1);
    assert_int_equal(reports_at(s, 0, IN, T0, 4 * HOUR), 2); /* T0 is a multiple of 4 h */
    series_free(s);
}

/* ---------------------------------------------------------------- queries */

/* Reports at minute i of the test range: 1..7, so sums differ by bucket. */
static uint32_t per_minute(int i)
{
    return (uint32_t)(i % 7) + 1;
}

static void query_sums_minutes_for_steps_60_300_900_and_hours_for_3600(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    for (int i = 0; i < 120; i++)
        for (uint32_t r = 0; r < per_minute(i); r++)
            series_add(s, 0, IN, REP_MESSAGES, 1, T0 + i * MIN + (int64_t)r);

    const int steps[] = {60, 300, 900, 3600};
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        int step = steps[k];
        int points = 120 * MIN / step;
        struct series_point p[120];
        assert_int_equal(series_query(s, 0, IN, T0, T0 + 2 * HOUR, step, p, 120), points);
        for (int b = 0; b < points; b++) {
            uint32_t want = 0;
            for (int i = b * step / MIN; i < (b + 1) * step / MIN; i++)
                want += per_minute(i);
            assert_true(p[b].t == T0 + (int64_t)b * step);
            assert_int_equal(p[b].reports, want);
            assert_int_equal(p[b].problems[REP_MESSAGES], want);
        }
    }
    series_free(s);
}

static void query_range_starts_at_from_rounded_down_and_ends_before_to(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    struct series_point p[8];
    assert_int_equal(series_query(s, 0, IN, T0 + 301, T0 + 901, 300, p, 8), 3);
    assert_true(p[0].t == T0 + 300);
    assert_true(p[1].t == T0 + 600);
    assert_true(p[2].t == T0 + 900);
    assert_int_equal(series_query(s, 0, IN, T0 + 301, T0 + 900, 300, p, 8), 2);
    assert_int_equal(series_query(s, 0, IN, T0 + 300, T0 + 300, 300, p, 8), 0);
    assert_int_equal(series_query(s, 0, IN, T0 + 900, T0 + 300, 300, p, 8), 0);
    assert_int_equal(series_query(s, 0, IN, T0 + 1800, T0 + HOUR + 1, 2 * HOUR, p, 8), 1);
    assert_true(p[0].t == T0); /* T0 is a multiple of 7200 too */
    assert_int_equal(series_query(s, 0, IN, -7, 0, 300, p, 8), 1);
    assert_true(p[0].t == -300);
    series_free(s);
}

static void query_never_writes_more_than_n_points(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    series_add(s, 0, IN, REP_LOGIN, 1, T0);
    struct series_point p[6];
    memset(p, 0xab, sizeof(p));
    assert_int_equal(series_query(s, 0, IN, T0, T0 + 100 * MIN, MIN, p, 5), 5);
    assert_int_equal(p[0].reports, 1);
    assert_int_equal(p[5].reports, 0xabababab); /* untouched */
    assert_int_equal(series_query(s, 0, IN, T0, T0 + 100 * MIN, MIN, NULL, 0), 0);

    /* the widest range with the smallest step is bounded by n, not the range */
    assert_int_equal(series_query(s, 0, IN, INT64_MIN, INT64_MAX, MIN, p, 5), 5);
    assert_true(p[0].t % MIN == 0);
    assert_true(p[0].t - INT64_MIN < MIN);
    assert_true(p[4].t == p[0].t + 4 * MIN);
    assert_int_equal(series_query(s, 0, IN, INT64_MAX - 100, INT64_MAX, HOUR, p, 5), 1);
    assert_true(p[0].t <= INT64_MAX - 100 && INT64_MAX - 100 - p[0].t < HOUR);
    series_free(s);
}

static void query_rejects_a_step_that_is_not_a_positive_multiple_of_60(void **state)
{
    (void)state;
    struct series *s = make(1, 16, 1440, 840);
    struct series_point p[4];
    const int bad[] = {0, -60, -3600, 1, 30, 61, 90, 3599};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(series_query(s, 0, IN, T0, T0 + HOUR, bad[i], p, 4), -1);
    assert_int_equal(series_query(s, 0, IN, T0, T0 + 4 * 120, 120, p, 4), 4);
    series_free(s);
}

static void query_rejects_an_unknown_service_or_country(void **state)
{
    (void)state;
    struct series *s = make(2, 16, 1440, 840);
    struct series_point p[4];
    assert_int_equal(series_query(s, -1, IN, T0, T0 + HOUR, MIN, p, 4), -1);
    assert_int_equal(series_query(s, 2, IN, T0, T0 + HOUR, MIN, p, 4), -1);
    assert_int_equal(series_query(s, 0, -2, T0, T0 + HOUR, MIN, p, 4), -1);
    assert_int_equal(series_query(s, 0, COUNTRY_SLOTS, T0, T0 + HOUR, MIN, p, 4), -1);
    /* a valid country without a series reads zeros */
    memset(p, 0xab, sizeof(p));
    assert_int_equal(series_query(s, 0, GB, T0, T0 + 4 * MIN, MIN, p, 4), 4);
    for (int i = 0; i < 4; i++) {
        assert_true(p[i].t == T0 + i * MIN);
        assert_int_equal(p[i].reports, 0);
        assert_int_equal(p[i].clients, 0);
        assert_int_equal(p[i].problems[REP_OTHER], 0);
    }
    series_free(s);
}

/* ---------------------------------------------------------------- cap, lists */

/* Run fn(s) with stderr sent to a temporary file; returns how many lines of
 * it contain needle. */
static int stderr_lines_with(void (*fn)(struct series *), struct series *s, const char *needle)
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    fn(s);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    int found = 0;
    char line[512];
    rewind(tmp);
    while (fgets(line, sizeof(line), tmp))
        found += strstr(line, needle) != NULL;
    fclose(tmp);
    return found;
}

static void add_over_a_cap_of_two(struct series *s)
{
    series_add(s, 0, IN, REP_LOGIN, 1, T0);
    series_add(s, 0, BR, REP_LOGIN, 1, T0);
    series_add(s, 0, GB, REP_LOGIN, 1, T0); /* over the cap */
    series_add(s, 0, GB, REP_LOGIN, 1, T0 + 1);
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + 2); /* existing series keep counting */
}

static void series_cap_is_honoured_and_service_totals_still_count(void **state)
{
    (void)state;
    struct series *s = make(1, 2, 1440, 840);
    assert_int_equal(stderr_lines_with(add_over_a_cap_of_two, s, "series cap reached"), 1);

    assert_int_equal(series_active(s), 2);
    assert_int_equal(reports_at(s, 0, IN, T0, MIN), 2);
    assert_int_equal(reports_at(s, 0, BR, T0, MIN), 1);
    assert_int_equal(reports_at(s, 0, GB, T0, MIN), 0);
    assert_int_equal(reports_at(s, 0, SERIES_ALL_COUNTRIES, T0, MIN), 5);
    assert_int_equal(reports_at(s, 0, SERIES_ALL_COUNTRIES, T0, HOUR), 5);
    series_free(s);

    s = make(1, 0, 60, 24); /* totals only */
    series_add(s, 0, IN, REP_LOGIN, 1, T0);
    assert_int_equal(series_active(s), 0);
    assert_int_equal(reports_at(s, 0, SERIES_ALL_COUNTRIES, T0, MIN), 1);
    series_free(s);
}

static void series_countries_lists_countries_with_reports_in_index_order(void **state)
{
    (void)state;
    struct series *s = make(2, 16, 1440, 840);
    series_add(s, 1, IN, REP_LOGIN, 1, T0);
    series_add(s, 1, GB, REP_LOGIN, 0, T0);
    series_add(s, 1, BR, REP_LOGIN, 1, T0);
    series_add(s, 1, IN, REP_LOGIN, 1, T0);
    series_add(s, 0, GB, REP_LOGIN, 1, T0);

    int out[8] = {0};
    assert_int_equal(series_countries(s, 1, out, 8), 3);
    assert_int_equal(out[0], BR);
    assert_int_equal(out[1], GB);
    assert_int_equal(out[2], IN);
    out[1] = -5;
    assert_int_equal(series_countries(s, 1, out, 1), 3);
    assert_int_equal(out[0], BR);
    assert_int_equal(out[1], -5);
    assert_int_equal(series_countries(s, 0, out, 8), 1);
    assert_int_equal(out[0], GB);
    assert_int_equal(series_countries(s, 2, out, 8), 0);
    assert_int_equal(series_countries(s, -1, out, 8), 0);
    series_free(s);
}

static void memory_stays_bounded_by_max_series(void **state)
{
    (void)state;
    struct series *s = make(3, 50, 60, 24);
    for (int svc = 0; svc < 3; svc++)
        for (int c = 0; c < COUNTRY_SLOTS; c++)
            series_add(s, svc, c, REP_OTHER, 1, T0 + c);
    assert_int_equal(series_active(s), 50);
    size_t listed = 0;
    for (int svc = 0; svc < 3; svc++)
        listed += series_countries(s, svc, NULL, 0);
    assert_int_equal(listed, 50);
    for (int svc = 0; svc < 3; svc++)
        assert_int_equal(reports_at(s, svc, SERIES_ALL_COUNTRIES, T0, HOUR), COUNTRY_SLOTS);
    series_free(s);
}

static void new_rejects_a_ring_shorter_than_one(void **state)
{
    (void)state;
    struct series_config cfg = {.services = 1, .max_series = 1, .minutes = 0, .hours = 1};
    assert_null(series_new(&cfg));
    cfg.minutes = 1;
    cfg.hours = -1;
    assert_null(series_new(&cfg));
    cfg.hours = 1;
    struct series *s = series_new(&cfg);
    assert_non_null(s);
    series_add(s, 0, IN, REP_LOGIN, 1, T0);
    series_add(s, 0, IN, REP_LOGIN, 1, T0 + MIN);
    assert_int_equal(reports_at(s, 0, IN, T0, MIN), 0);
    assert_int_equal(reports_at(s, 0, IN, T0 + MIN, MIN), 1);
    assert_int_equal(reports_at(s, 0, IN, T0, HOUR), 2);
    series_free(s);
    series_free(NULL);
}

/* ---------------------------------------------------------------- threads */

#define WRITES 200000
#define READERS 3

struct shared {
    struct series *s;
    atomic_int done;
};

static void *writer(void *arg)
{
    struct shared *sh = arg;
    for (int i = 0; i < WRITES; i++) /* 1000 minutes: no ring wraps */
        series_add(sh->s, i % 2, i % 4, i % REP_PROBLEM_COUNT, i % 3 != 0,
                   T0 + (int64_t)i * 1000 * MIN / WRITES);
    atomic_store(&sh->done, 1);
    return NULL;
}

/* Reads until the writer is done; every point must be self-consistent and
 * the total may only grow. Returns NULL, or a message on failure. */
static void *reader(void *arg)
{
    struct shared *sh = arg;
    uint64_t last = 0;
    struct series_point p[20];
    int countries[8];
    while (!atomic_load(&sh->done)) {
        long n = series_query(sh->s, 0, SERIES_ALL_COUNTRIES, T0, T0 + 17 * HOUR, HOUR, p, 20);
        if (n != 17)
            return "wrong point count";
        uint64_t total = 0;
        for (long i = 0; i < n; i++) {
            uint32_t sum = 0;
            for (int k = 0; k < REP_PROBLEM_COUNT; k++)
                sum += p[i].problems[k];
            if (p[i].clients > p[i].reports || sum != p[i].clients)
                return "inconsistent point";
            total += p[i].reports;
        }
        if (total < last)
            return "total went down";
        last = total;
        if (series_countries(sh->s, 1, countries, 8) > 4 || series_active(sh->s) > 8)
            return "too many series";
    }
    return NULL;
}

static void concurrent_writer_and_readers_see_consistent_counts(void **state)
{
    (void)state;
    struct shared sh = {.s = make(2, 8, 1440, 48)};
    atomic_init(&sh.done, 0);
    pthread_t w, r[READERS];
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&r[i], NULL, reader, &sh), 0);
    assert_int_equal(pthread_create(&w, NULL, writer, &sh), 0);
    pthread_join(w, NULL);
    for (int i = 0; i < READERS; i++) {
        void *err;
        pthread_join(r[i], &err);
        if (err)
            fail_msg("reader: %s", (const char *)err);
    }

    struct series_point p[17];
    for (int svc = 0; svc < 2; svc++) {
        assert_int_equal(series_query(sh.s, svc, SERIES_ALL_COUNTRIES, T0, T0 + 17 * HOUR,
                                      HOUR, p, 17), 17);
        uint64_t total = 0;
        for (int i = 0; i < 17; i++)
            total += p[i].reports;
        assert_int_equal(total, WRITES / 2);
    }
    assert_int_equal(series_active(sh.s), 4);
    series_free(sh.s);
}

/* ---------------------------------------------------------------- property */

/* A naive reference: every report kept in a plain array per (service,
 * series) and minute over a small time range; a query sums the minutes that
 * fall in the bucket and inside the ring windows that end at the newest
 * report. Rings are short so that wrap and late reports are frequent. */
#define P_SERVICES 3
#define P_COUNTRIES 6            /* countries 0..5; 5 never gets reports */
#define P_TRACKS (P_COUNTRIES + 1) /* last one: the service total */
#define P_MAX_SERIES 8
#define P_MINUTES 45
#define P_HOURS 5
#define P_BASE (-150)  /* first minute of the range: crosses time 0 */
#define P_RANGE 600    /* minutes */

struct ref_counts {
    uint64_t reports, clients, problems[REP_PROBLEM_COUNT];
};

struct ref {
    struct ref_counts at[P_SERVICES][P_TRACKS][P_RANGE];
    int64_t newest[P_SERVICES][P_TRACKS]; /* minute, or INT64_MIN */
    int created[P_SERVICES][P_TRACKS];
    int active;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t bound)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % bound;
}

static int64_t fdiv(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

static void ref_count(struct ref *r, int svc, int track, int minute_off, int problem,
                      int counted)
{
    struct ref_counts *c = &r->at[svc][track][minute_off];
    c->reports++;
    if (counted) {
        c->clients++;
        c->problems[problem]++;
    }
    int64_t minute = P_BASE + minute_off;
    if (r->newest[svc][track] < minute)
        r->newest[svc][track] = minute;
}

static void ref_add(struct ref *r, int svc, int country, int problem, int counted,
                    int minute_off)
{
    ref_count(r, svc, P_COUNTRIES, minute_off, problem, counted);
    if (!r->created[svc][country] && r->active < P_MAX_SERIES) {
        r->created[svc][country] = 1;
        r->active++;
    }
    if (r->created[svc][country])
        ref_count(r, svc, country, minute_off, problem, counted);
}

static void ref_point(const struct ref *r, int svc, int track, int64_t start, int step,
                      struct ref_counts *out)
{
    memset(out, 0, sizeof(*out));
    int64_t newest = r->newest[svc][track];
    if (newest == INT64_MIN)
        return;
    int by_hour = step % HOUR == 0;
    for (int m = 0; m < P_RANGE; m++) {
        int64_t minute = P_BASE + m;
        int64_t t = minute * MIN;
        if (t < start || t >= start + step)
            continue;
        if (by_hour ? fdiv(minute, 60) <= fdiv(newest, 60) - P_HOURS
                    : minute <= newest - P_MINUTES)
            continue;
        const struct ref_counts *c = &r->at[svc][track][m];
        out->reports += c->reports;
        out->clients += c->clients;
        for (int k = 0; k < REP_PROBLEM_COUNT; k++)
            out->problems[k] += c->problems[k];
    }
}

static void compare_random_query(struct series *s, const struct ref *r)
{
    static const int steps[] = {60, 120, 300, 900, 3600, 5400, 7200, 86400};
    int svc = (int)rnd(P_SERVICES);
    int track = (int)rnd(P_TRACKS);
    int country = track == P_COUNTRIES ? SERIES_ALL_COUNTRIES : track;
    int step = steps[rnd(sizeof(steps) / sizeof(steps[0]))];
    int64_t from = (P_BASE - 120) * MIN + (int64_t)rnd((P_RANGE + 180) * MIN);
    int64_t to = from + (int64_t)rnd(12 * HOUR);
    size_t n = rnd(4) == 0 ? rnd(5) : 64;

    struct series_point p[64];
    long got = series_query(s, svc, country, from, to, step, p, n);
    int64_t first = fdiv(from, step);
    int64_t end = -fdiv(-to, step);
    int64_t want = end > first ? end - first : 0;
    if (want > (int64_t)n)
        want = (int64_t)n;
    assert_int_equal(got, want);
    for (long i = 0; i < got; i++) {
        struct ref_counts c;
        int64_t start = (first + i) * step;
        ref_point(r, svc, track, start, step, &c);
        assert_true(p[i].t == start);
        assert_int_equal(p[i].reports, c.reports);
        assert_int_equal(p[i].clients, c.clients);
        for (int k = 0; k < REP_PROBLEM_COUNT; k++)
            assert_int_equal(p[i].problems[k], c.problems[k]);
    }
}

static void random_reports_match_a_naive_reference(void **state)
{
    (void)state;
    static struct ref r;
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < P_SERVICES; i++)
        for (int j = 0; j < P_TRACKS; j++)
            r.newest[i][j] = INT64_MIN;
    struct series *s = make(P_SERVICES, P_MAX_SERIES, P_MINUTES, P_HOURS);

    /* time mostly moves forward; a third of the reports are late, some by
     * more than the minute ring */
    int now = 0;
    for (int i = 0; i < 20000; i++) {
        if (rnd(40) == 0 && now < P_RANGE - 1)
            now++;
        int late = rnd(3) == 0 ? (int)rnd(90) : 0;
        int m = now - late < 0 ? 0 : now - late;
        int svc = (int)rnd(P_SERVICES);
        int country = (int)rnd(P_COUNTRIES - 1);
        int problem = (int)rnd(REP_PROBLEM_COUNT);
        int counted = rnd(4) != 0;
        int64_t ts = (int64_t)(P_BASE + m) * MIN + (int64_t)rnd(MIN);
        series_add(s, svc, country, problem, counted, ts);
        ref_add(&r, svc, country, problem, counted, m);
        if (i % 10 == 0)
            compare_random_query(s, &r);
    }
    assert_int_equal(series_active(s), r.active);
    series_free(s);
}

/* ---------------------------------------------------------------- recent */

static void recent_buckets_end_exactly_at_the_minute_of_end(void **state)
{
    (void)state;
    struct series *s = make(1, 4, 1440, 840);
    int64_t hour = T0 - T0 % 3600;
    /* One report a minute for three hours, and one in BR at the last minute. */
    for (int64_t t = hour; t < hour + 3 * 3600; t += 60)
        series_add(s, 0, IN, REP_LOGIN, 1, t + 5);
    series_add(s, 0, BR, REP_CALLS, 1, hour + 3 * 3600 - 30);
    struct series_point p[3];
    /* end 20:30 past the hour: the buckets are the 60 minutes before 21:00 (its
     * minute's end), not clock hours. */
    int64_t end = hour + 2 * 3600 + 20 * 60 + 30;
    assert_int_equal(series_recent(s, 0, SERIES_ALL_COUNTRIES, end, 60, p, 3), 3);
    assert_true(p[2].t == hour + 2 * 3600 + 21 * 60 - 3600);
    assert_true(p[1].t == p[2].t - 3600);
    assert_int_equal(p[2].reports, 60);
    assert_int_equal(p[1].reports, 60);
    assert_int_equal(p[0].reports, 21); /* from the first report on */
    /* One bucket of a country, with its problems. */
    assert_int_equal(series_recent(s, 0, BR, hour + 3 * 3600, 180, p, 1), 1);
    assert_int_equal(p[0].clients, 1);
    assert_int_equal(p[0].problems[REP_CALLS], 1);
    assert_int_equal(series_recent(s, 0, GB, hour + 3 * 3600, 180, p, 1), 1);
    assert_int_equal(p[0].reports, 0); /* a country without a series */
    series_free(s);
}

static void recent_minutes_older_than_the_ring_count_zero(void **state)
{
    (void)state;
    struct series *s = make(1, 4, 60, 840); /* an hour of minutes */
    for (int64_t t = T0; t < T0 + 2 * 3600; t += 60)
        series_add(s, 0, IN, REP_LOGIN, 1, t);
    struct series_point p[2];
    assert_int_equal(series_recent(s, 0, IN, T0 + 2 * 3600, 60, p, 2), 2);
    assert_int_equal(p[1].reports, 60);
    assert_int_equal(p[0].reports, 0);
    series_free(s);
}

static void recent_rejects_bad_arguments(void **state)
{
    (void)state;
    struct series *s = make(1, 4, 60, 24);
    struct series_point p;
    assert_int_equal(series_recent(s, 0, IN, T0, 0, &p, 1), -1);
    assert_int_equal(series_recent(s, 1, IN, T0, 60, &p, 1), -1);
    assert_int_equal(series_recent(s, 0, COUNTRY_SLOTS, T0, 60, &p, 1), -1);
    assert_int_equal(series_recent(s, 0, SERIES_ALL_COUNTRIES, T0, 60, &p, 0), 0);
    series_free(s);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_land_in_the_right_minute_and_hour),
        cmocka_unit_test(repeats_count_as_reports_but_not_as_clients_or_problems),
        cmocka_unit_test(country_series_and_service_total_agree),
        cmocka_unit_test(
            unknown_service_or_problem_is_ignored_and_bad_country_counts_in_total_only),
        cmocka_unit_test(negative_timestamps_use_floor_division),
        cmocka_unit_test(ring_wrap_overwrites_old_minutes),
        cmocka_unit_test(late_report_older_than_the_ring_is_dropped_from_that_ring),
        cmocka_unit_test(a_report_far_in_the_future_moves_the_window),
        cmocka_unit_test(old_ranges_read_zero_at_minute_steps_but_count_at_hourly_steps),
        cmocka_unit_test(query_sums_minutes_for_steps_60_300_900_and_hours_for_3600),
        cmocka_unit_test(query_range_starts_at_from_rounded_down_and_ends_before_to),
        cmocka_unit_test(query_never_writes_more_than_n_points),
        cmocka_unit_test(query_rejects_a_step_that_is_not_a_positive_multiple_of_60),
        cmocka_unit_test(query_rejects_an_unknown_service_or_country),
        cmocka_unit_test(recent_buckets_end_exactly_at_the_minute_of_end),
        cmocka_unit_test(recent_minutes_older_than_the_ring_count_zero),
        cmocka_unit_test(recent_rejects_bad_arguments),
        cmocka_unit_test(series_cap_is_honoured_and_service_totals_still_count),
        cmocka_unit_test(series_countries_lists_countries_with_reports_in_index_order),
        cmocka_unit_test(memory_stays_bounded_by_max_series),
        cmocka_unit_test(new_rejects_a_ring_shorter_than_one),
        cmocka_unit_test(concurrent_writer_and_readers_see_consistent_counts),
        cmocka_unit_test(random_reports_match_a_naive_reference),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
