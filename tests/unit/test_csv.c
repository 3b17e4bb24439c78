/* test_csv.c - unit tests for src/metric/csv.c: the `timestamp,value` line
 * parser (time forms, quotes and spaces, CRLF, headers, everything it must
 * refuse) and a property test: random rows, written in random styles, parse
 * back to the same time and value.
 *
 * Run one test by name: test_csv NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/timeutil.h"
#include "metric/csv.h"

#define T0 INT64_C(1424986973) /* 2015-02-26T21:42:53Z */

static int parse(const char *line, struct csv_row *row)
{
    char err[160] = "";
    int kind = csv_parse_line(line, strlen(line), row, err, sizeof(err));
    if (kind == CSV_BAD && err[0] == '\0')
        fail_msg("\"%s\" was refused without a reason", line);
    return kind;
}

static void must_read(const char *line, int64_t t, double value)
{
    struct csv_row row;
    if (parse(line, &row) != CSV_ROW)
        fail_msg("\"%s\" was not read as a row", line);
    assert_int_equal(row.t, t);
    assert_true(row.value == value);
}

static void must_refuse(const char *line)
{
    struct csv_row row;
    if (parse(line, &row) != CSV_BAD)
        fail_msg("\"%s\" was accepted", line);
}

static void test_nab_rows_are_read(void **state)
{
    (void)state;
    must_read("2015-02-26 21:42:53,104", T0, 104);
    must_read("2015-02-26 21:42:53.000000,104", T0, 104);
    must_read("2015-02-26T21:42:53Z,0", T0, 0);
    must_read("2015-02-26T22:42:53+01:00,1.5", T0, 1.5);
    must_read("2015-02-26,7", T0 - (21 * 3600 + 42 * 60 + 53), 7);
}

static void test_unix_seconds_are_read(void **state)
{
    (void)state;
    must_read("1424986973,104", T0, 104);
    must_read("1424986973.75,104", T0, 104);
    must_read("0,1", 0, 1);
    must_refuse("-5,1");
    must_refuse("99999999999999999999,1");
}

static void test_values_may_be_negative_decimal_or_exponent(void **state)
{
    (void)state;
    must_read("1424986973,-3.25", T0, -3.25);
    must_read("1424986973,+2", T0, 2);
    must_read("1424986973,1e3", T0, 1000);
    must_read("1424986973,.5", T0, 0.5);
    must_read("1424986973,1e300", T0, 1e300);
}

static void test_huge_and_odd_values_are_refused(void **state)
{
    (void)state;
    must_refuse("1424986973,1e400");
    must_refuse("1424986973,inf");
    must_refuse("1424986973,nan");
    must_refuse("1424986973,0x10");
    must_refuse("1424986973,12abc");
    must_refuse("1424986973,");
    must_refuse("1424986973,1 2");
    must_refuse("1424986973,1111111111111111111111111111111111111111111111111111111111111111111");
}

static void test_spaces_quotes_and_crlf_are_tolerated(void **state)
{
    (void)state;
    must_read("  2015-02-26 21:42:53 ,  104  ", T0, 104);
    must_read("\"2015-02-26 21:42:53\",\"104\"", T0, 104);
    must_read(" \" 2015-02-26 21:42:53 \" , 104\r", T0, 104);
    must_read("2015-02-26 21:42:53,104\r", T0, 104);
    must_refuse("\"2015-02-26 21:42:53,104");
    must_refuse("2015-02-26 21:42:53,10\"4");
}

static void test_the_text_as_written_is_kept(void **state)
{
    (void)state;
    struct csv_row row;
    assert_int_equal(parse(" \"2015-02-26 21:42:53\" , 104.0\r", &row), CSV_ROW);
    assert_int_equal(row.ts_len, 19);
    assert_memory_equal(row.ts_text, "2015-02-26 21:42:53", 19);
    assert_int_equal(row.value_len, 5);
    assert_memory_equal(row.value_text, "104.0", 5);
}

static void test_headers_and_blank_lines_are_recognised(void **state)
{
    (void)state;
    struct csv_row row;
    assert_int_equal(parse("timestamp,value", &row), CSV_HEADER);
    assert_int_equal(parse("\"timestamp\", \"value\"\r", &row), CSV_HEADER);
    assert_int_equal(parse("Time Stamp,count_1", &row), CSV_HEADER);
    assert_int_equal(parse("", &row), CSV_BLANK);
    assert_int_equal(parse("  \t\r", &row), CSV_BLANK);
}

static void test_bad_rows_are_refused_with_a_reason(void **state)
{
    (void)state;
    must_refuse("2015-02-26 21:42:53");
    must_refuse("2015-02-26 21:42:53,1,2");
    must_refuse("2015-02-30 21:42:53,1");
    must_refuse("2015-02-26 25:42:53,1");
    must_refuse("yesterday,1");
    must_refuse("timestamp,12");
    must_refuse(",");
    must_refuse("\"\",1");
    char err[160];
    struct csv_row row;
    assert_int_equal(csv_parse_line("x,1", 3, &row, err, sizeof(err)), CSV_BAD);
    assert_non_null(strstr(err, "timestamp"));
}

static void test_parse_reads_only_len_bytes(void **state)
{
    (void)state;
    struct csv_row row;
    char err[160];
    const char *line = "1424986973,12345";
    assert_int_equal(csv_parse_line(line, 13, &row, err, sizeof(err)), CSV_ROW);
    assert_true(row.value == 12);
    char nul[] = "1424986973,1\0" "2";
    assert_int_equal(csv_parse_line(nul, sizeof(nul) - 1, &row, err, sizeof(err)), CSV_BAD);
}

/* Random rows in random styles parse back to what was written. */
static void test_random_rows_round_trip(void **state)
{
    (void)state;
    srand(12345);
    for (int i = 0; i < 20000; i++) {
        int64_t t = (int64_t)rand() * 4 + rand() % 4;
        double v = (rand() % 2 ? -1 : 1) * (double)rand() / ((rand() % 1000) + 1);
        char ts[40], line[128];
        int style = rand() % 4;
        if (style == 0) {
            snprintf(ts, sizeof(ts), "%lld", (long long)t);
        } else {
            time_format(t, ts, sizeof(ts));
            if (style == 1)
                ts[10] = ' ', ts[19] = '\0';
            else if (style == 2)
                ts[19] = '\0';
        }
        const char *q = rand() % 2 ? "\"" : "";
        const char *sp = rand() % 2 ? " " : "";
        snprintf(line, sizeof(line), "%s%s%s%s,%s%.17g%s", sp, q, ts, q, sp, v,
                 rand() % 2 ? "\r" : "");
        struct csv_row row;
        if (parse(line, &row) != CSV_ROW)
            fail_msg("\"%s\" was not read", line);
        assert_int_equal(row.t, t);
        assert_true(row.value == v);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nab_rows_are_read),
        cmocka_unit_test(test_unix_seconds_are_read),
        cmocka_unit_test(test_values_may_be_negative_decimal_or_exponent),
        cmocka_unit_test(test_huge_and_odd_values_are_refused),
        cmocka_unit_test(test_spaces_quotes_and_crlf_are_tolerated),
        cmocka_unit_test(test_the_text_as_written_is_kept),
        cmocka_unit_test(test_headers_and_blank_lines_are_recognised),
        cmocka_unit_test(test_bad_rows_are_refused_with_a_reason),
        cmocka_unit_test(test_parse_reads_only_len_bytes),
        cmocka_unit_test(test_random_rows_round_trip),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
