/* test_prom.c - unit tests for src/prom/: what the exposition text says
 * for counters (dense and sparse cells, two labels, escaping) and duration
 * histograms (cumulative buckets, +Inf equal to the count, exact sums),
 * that counts from many threads add up, that a name registered twice is
 * one family, counting by name, and the process_* family.
 *
 * Run one test by name: test_prom NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>

#include "core/buf.h"
#include "prom/prom.h"

/* The registry's text, for the caller to free. */
static char *scrape(void)
{
    struct buf b;
    buf_init(&b);
    prom_write_registry(&b);
    return buf_steal(&b, NULL);
}

static void assert_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return;
    }
    fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void assert_no_text(const char *text, const char *part)
{
    if (strstr(text, part))
        fail_msg("\"%s\" should not be in:\n%s", part, text);
}

static const char *const colours[] = {"red", "green"};
static const char *const sizes[] = {"s", "m", "l"};

static const struct prom_spec dense_spec = {
    .name = "test_dense_total",
    .help = "Counted things.",
    .kind = PROM_COUNTER,
    .nlabels = 1,
    .labels = {{"colour", colours, 2}},
};

static void test_a_dense_counter_writes_every_cell_from_zero(void **state)
{
    (void)state;
    struct prom_family *f = prom_register(&dense_spec);
    prom_add(f, 1, 3);
    char *text = scrape();
    assert_has_line(text, "# HELP test_dense_total Counted things.");
    assert_has_line(text, "# TYPE test_dense_total counter");
    assert_has_line(text, "test_dense_total{colour=\"red\"} 0");
    assert_has_line(text, "test_dense_total{colour=\"green\"} 3");
    free(text);
}

static const struct prom_spec sparse_spec = {
    .name = "test_sparse_total",
    .help = "Colour by size.",
    .kind = PROM_COUNTER,
    .nlabels = 2,
    .labels = {{"colour", colours, 2}, {"size", sizes, 3}},
    .sparse = 1,
};

static void test_a_sparse_counter_writes_only_cells_that_were_counted(void **state)
{
    (void)state;
    struct prom_family *f = prom_register(&sparse_spec);
    prom_add(f, 1 * 3 + 2, 1); /* green, l */
    prom_add(f, 3 * 2, 5);     /* past the last cell: ignored */
    char *text = scrape();
    assert_has_line(text, "test_sparse_total{colour=\"green\",size=\"l\"} 1");
    assert_no_text(text, "test_sparse_total{colour=\"red\"");
    assert_no_text(text, "size=\"m\"");
    free(text);
}

static const char *const awkward[] = {"a\"b\\c\nd"};
static const struct prom_spec escaped_spec = {
    .name = "test_escaped_total",
    .help = "Help with a \\ and a\nnewline.",
    .kind = PROM_COUNTER,
    .nlabels = 1,
    .labels = {{"v", awkward, 1}},
};

static void test_label_values_and_help_are_escaped(void **state)
{
    (void)state;
    prom_register(&escaped_spec);
    char *text = scrape();
    assert_has_line(text, "# HELP test_escaped_total Help with a \\\\ and a\\nnewline.");
    assert_has_line(text, "test_escaped_total{v=\"a\\\"b\\\\c\\nd\"} 0");
    free(text);
}

static const struct prom_spec durations_spec = {
    .name = "test_wait_seconds",
    .help = "Waits.",
    .kind = PROM_DURATIONS,
};

static void test_a_histogram_has_cumulative_buckets_an_exact_sum_and_its_count(void **state)
{
    (void)state;
    struct prom_family *f = prom_register(&durations_spec);
    prom_observe_ns(f, 0, 100000);      /* exactly the first bound: in it */
    prom_observe_ns(f, 0, 100001);      /* just over */
    prom_observe_ns(f, 0, 3000000);     /* 3 ms */
    prom_observe_ns(f, 0, 60000000000); /* a minute: only +Inf */
    prom_observe_ns(f, 0, -5);          /* a clock step back counts as 0 */
    char *text = scrape();
    assert_has_line(text, "# TYPE test_wait_seconds histogram");
    assert_has_line(text, "test_wait_seconds_bucket{le=\"0.0001\"} 2");
    assert_has_line(text, "test_wait_seconds_bucket{le=\"0.00025\"} 3");
    assert_has_line(text, "test_wait_seconds_bucket{le=\"0.0025\"} 3");
    assert_has_line(text, "test_wait_seconds_bucket{le=\"0.005\"} 4");
    assert_has_line(text, "test_wait_seconds_bucket{le=\"10\"} 4");
    assert_has_line(text, "test_wait_seconds_bucket{le=\"+Inf\"} 5");
    assert_has_line(text, "test_wait_seconds_sum 60.003200001");
    assert_has_line(text, "test_wait_seconds_count 5");
    assert_int_equal(prom_value(f, 0), 5);
    free(text);
}

static const struct prom_spec threads_spec = {
    .name = "test_threads_total",
    .help = "From many threads.",
    .kind = PROM_COUNTER,
};

#define THREADS 6
#define PER_THREAD 200000

static void *count_a_lot(void *arg)
{
    struct prom_family *f = arg;
    for (int i = 0; i < PER_THREAD; i++)
        prom_add(f, 0, 1);
    return NULL;
}

static void test_counts_from_many_threads_add_up(void **state)
{
    (void)state;
    struct prom_family *f = prom_register(&threads_spec);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, count_a_lot, f);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(prom_value(f, 0), (uint64_t)THREADS * PER_THREAD);
}

static void test_a_name_registered_twice_is_one_family(void **state)
{
    (void)state;
    static const struct prom_spec again = {
        .name = "test_dense_total", .help = "Another help.", .kind = PROM_COUNTER};
    assert_ptr_equal(prom_register(&again), prom_register(&dense_spec));
    char *text = scrape();
    const char *first = strstr(text, "# TYPE test_dense_total");
    assert_non_null(first);
    assert_null(strstr(first + 1, "# TYPE test_dense_total"));
    free(text);
}

static void test_counting_by_name_needs_a_known_family_and_value(void **state)
{
    (void)state;
    struct prom_family *f = prom_register(&dense_spec);
    uint64_t before = prom_value(f, 0);
    assert_int_equal(prom_count("test_dense_total", "red", 2), 0);
    assert_int_equal(prom_value(f, 0), before + 2);
    assert_int_equal(prom_count("test_dense_total", "blue", 1), -1);
    assert_int_equal(prom_count("test_nothing_total", "red", 1), -1);
    assert_int_equal(prom_count("test_sparse_total", "red", 1), -1); /* two labels */
    assert_int_equal(prom_value(f, 0), before + 2);
}

static void test_samples_written_by_hand_follow_the_format(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    prom_write_family(&b, "test_level", "gauge", "A level.");
    prom_write_sample(&b, "test_level", NULL, NULL, 3);
    prom_write_sample(&b, "test_level", "service", "a\"b", 0.25);
    assert_string_equal(b.data, "# HELP test_level A level.\n# TYPE test_level gauge\n"
                                "test_level 3\ntest_level{service=\"a\\\"b\"} 0.25\n");
    buf_free(&b);
}

static void test_process_metrics_have_their_standard_names(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    prom_write_process(&b);
    const char *names[] = {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char line[96];
        snprintf(line, sizeof(line), "\n%s ", names[i]);
        if (!strstr(b.data, line))
            fail_msg("no %s in:\n%s", names[i], b.data);
    }
    double rss = atof(strstr(b.data, "\nprocess_resident_memory_bytes ") + 31);
    assert_true(rss > 1e5 && rss < 1e10);
    buf_free(&b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_dense_counter_writes_every_cell_from_zero),
        cmocka_unit_test(test_a_sparse_counter_writes_only_cells_that_were_counted),
        cmocka_unit_test(test_label_values_and_help_are_escaped),
        cmocka_unit_test(test_a_histogram_has_cumulative_buckets_an_exact_sum_and_its_count),
        cmocka_unit_test(test_counts_from_many_threads_add_up),
        cmocka_unit_test(test_a_name_registered_twice_is_one_family),
        cmocka_unit_test(test_counting_by_name_needs_a_known_family_and_value),
        cmocka_unit_test(test_samples_written_by_hand_follow_the_format),
        cmocka_unit_test(test_process_metrics_have_their_standard_names),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
