/* test_query.c - unit tests of src/api/query.c: the documented forms of
 * each query value are taken, and near misses (spaces, signs, trailing
 * bytes, out of range) are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/query.h"

static void steps_take_seconds_and_units(void **state)
{
    (void)state;
    int step;
    assert_int_equal(query_step("60", &step), 0);
    assert_int_equal(step, 60);
    assert_int_equal(query_step("15m", &step), 0);
    assert_int_equal(step, 900);
    assert_int_equal(query_step("1h", &step), 0);
    assert_int_equal(step, 3600);
    assert_int_equal(query_step("30d", &step), 0);
    assert_int_equal(step, QUERY_STEP_MAX);
    const char *refused[] = {"", "0", "-5m", "+5m", " 5m", "5m ", "5x", "31d", "5mm",
                             "99999999999999999999m", "1e3", "m"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_int_equal(query_step(refused[i], &step), -1);
}

static void times_are_iso_or_unix_seconds_in_range(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(query_time("2024-04-03T16:31:07Z", &t), 0);
    assert_int_equal(t, 1712161867);
    assert_int_equal(query_time("1712161867", &t), 0);
    assert_int_equal(t, 1712161867);
    assert_int_equal(query_time("0", &t), 0);
    assert_int_equal(query_time("253402300799", &t), 0);
    const char *refused[] = {"", "-1", "+5", " 5", "1e9", "253402300800", "2024-02-30T00:00:00Z",
                             "2024-04-03T16:31:07", "now"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_int_equal(query_time(refused[i], &t), -1);
}

static void counts_and_flags(void **state)
{
    (void)state;
    int n, f;
    assert_int_equal(query_count("1", 100, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(query_count("100", 100, &n), 0);
    assert_int_equal(query_count("101", 100, &n), -1);
    assert_int_equal(query_count("0", 100, &n), -1);
    assert_int_equal(query_count("+5", 100, &n), -1);
    assert_int_equal(query_count("5 ", 100, &n), -1);
    assert_int_equal(query_flag("true", &f), 0);
    assert_int_equal(f, 1);
    assert_int_equal(query_flag("0", &f), 0);
    assert_int_equal(f, 0);
    assert_int_equal(query_flag("yes", &f), -1);
    assert_int_equal(query_flag("", &f), -1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steps_take_seconds_and_units),
        cmocka_unit_test(times_are_iso_or_unix_seconds_in_range),
        cmocka_unit_test(counts_and_flags),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
