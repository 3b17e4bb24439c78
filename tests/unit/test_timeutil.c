/* test_timeutil.c - unit tests for src/core/timeutil.c: the strict ISO 8601
 * parser (offsets, fractions, calendar rules, everything it must refuse),
 * the formatters and their round trip, HTTP dates (IMF-fixdate only), and
 * the clocks' plausibility.
 *
 * Run one test by name: test_timeutil NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/timeutil.h"

#define OUTAGE INT64_C(1712161867)   /* 2024-04-03T16:31:07Z */
#define YEAR_9999_END INT64_C(253402300799)

/* Parse a C string; returns the time, failing the test if it is refused. */
static int64_t must_parse(const char *s)
{
    int64_t t = -12345;
    if (time_parse_iso(s, strlen(s), &t) != 0)
        fail_msg("\"%s\" was refused", s);
    return t;
}

static void must_refuse(const char *s)
{
    int64_t t = -12345;
    if (time_parse_iso(s, strlen(s), &t) == 0)
        fail_msg("\"%s\" was accepted as %lld", s, (long long)t);
    assert_int_equal(t, -12345); /* out is untouched */
}

static void test_utc_time_is_parsed_to_unix_seconds(void **state)
{
    (void)state;
    assert_int_equal(must_parse("2024-04-03T16:31:07Z"), OUTAGE);
    assert_int_equal(must_parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(must_parse("2038-01-19T03:14:08Z"), INT64_C(2147483648));
    assert_int_equal(must_parse("9999-12-31T23:59:59Z"), YEAR_9999_END);
}

static void test_numeric_offsets_are_converted_to_utc(void **state)
{
    (void)state;
    assert_int_equal(must_parse("2024-04-03T22:01:07+05:30"), OUTAGE);
    assert_int_equal(must_parse("2024-04-03T13:31:07-03:00"), OUTAGE);
    assert_int_equal(must_parse("2024-04-04T06:16:07+13:45"), OUTAGE);
    assert_int_equal(must_parse("2024-04-03T16:31:07+00:00"), OUTAGE);
    assert_int_equal(must_parse("2024-04-03T16:31:07-00:00"), OUTAGE);
    assert_int_equal(must_parse("2024-04-02T16:32:07-23:59"), OUTAGE);
}

static void test_fractional_seconds_are_accepted_and_dropped(void **state)
{
    (void)state;
    assert_int_equal(must_parse("2024-04-03T16:31:07.9Z"), OUTAGE);
    assert_int_equal(must_parse("2024-04-03T16:31:07.000Z"), OUTAGE);
    assert_int_equal(must_parse("2024-04-03T16:31:07.123456789Z"), OUTAGE);
    assert_int_equal(must_parse("2024-04-03T22:01:07.5+05:30"), OUTAGE);
}

static void test_fraction_without_digits_or_with_more_than_nine_is_refused(void **state)
{
    (void)state;
    must_refuse("2024-04-03T16:31:07.Z");
    must_refuse("2024-04-03T16:31:07.1234567890Z");
    must_refuse("2024-04-03T16:31:07.5");
    must_refuse("2024-04-03T16:31:07,5Z");
}

static void test_leap_years_have_a_february_29(void **state)
{
    (void)state;
    assert_int_equal(must_parse("2024-02-29T00:00:00Z"), INT64_C(1709164800));
    assert_int_equal(must_parse("2000-02-29T12:00:00Z"), INT64_C(951825600));
    assert_int_equal(must_parse("2024-03-01T00:00:00Z") - must_parse("2024-02-28T00:00:00Z"),
                     2 * 86400);
    assert_int_equal(must_parse("2023-03-01T00:00:00Z") - must_parse("2023-02-28T00:00:00Z"),
                     86400);
    must_parse("2096-02-29T00:00:00Z");
    must_parse("2400-02-29T00:00:00Z");
}

static void test_february_29_on_a_non_leap_year_is_refused(void **state)
{
    (void)state;
    must_refuse("2023-02-29T00:00:00Z");
    must_refuse("2100-02-29T00:00:00Z"); /* divisible by 100, not by 400 */
    must_refuse("2200-02-29T00:00:00Z");
    must_refuse("2024-02-30T00:00:00Z");
}

static void test_days_past_the_end_of_the_month_are_refused(void **state)
{
    (void)state;
    static const char *const last[] = {"01-31", "03-31", "04-30", "05-31", "06-30", "07-31",
                                       "08-31", "09-30", "10-31", "11-30", "12-31"};
    static const char *const past[] = {"01-32", "03-32", "04-31", "05-32", "06-31", "07-32",
                                       "08-32", "09-31", "10-32", "11-31", "12-32"};
    for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++) {
        char s[32];
        snprintf(s, sizeof(s), "2024-%sT00:00:00Z", last[i]);
        must_parse(s);
        snprintf(s, sizeof(s), "2024-%sT00:00:00Z", past[i]);
        must_refuse(s);
    }
}

static void test_out_of_range_fields_are_refused(void **state)
{
    (void)state;
    must_refuse("2024-00-03T16:31:07Z");
    must_refuse("2024-13-03T16:31:07Z");
    must_refuse("2024-04-00T16:31:07Z");
    must_refuse("2024-04-03T24:00:00Z");
    must_refuse("2024-04-03T16:60:07Z");
    must_refuse("2024-04-03T16:31:61Z");
    must_refuse("2024-04-03T16:31:07+24:00");
    must_refuse("2024-04-03T16:31:07+05:60");
}

static void test_leap_second_counts_as_the_last_second_of_its_minute(void **state)
{
    (void)state;
    assert_int_equal(must_parse("2016-12-31T23:59:60Z"), must_parse("2016-12-31T23:59:59Z"));
}

static void test_years_before_1970_are_refused(void **state)
{
    (void)state;
    must_refuse("1969-12-31T23:59:59Z");
    must_refuse("0000-01-01T00:00:00Z");
    must_refuse("1900-01-01T00:00:00Z");
}

static void test_malformed_times_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "2024", "2024-04-03", "2024-04-03T16:31", "2024-04-03 16:31:07Z",
        "2024-04-03t16:31:07Z", "2024-04-03T16:31:07z", "2024-04-03T16:31:07",
        "2024-4-03T16:31:07Z", "2024-04-3T16:31:07Z", "2024-04-03T6:31:07Z",
        "+2024-04-03T16:31:07Z", "-2024-04-03T16:31:07Z", "20240403T163107Z",
        "2024-04-03T16:31:07+0530", "2024-04-03T16:31:07+05", "2024-04-03T16:31:07+5:30",
        "2024-04-03T16:31:07ZZ", "2024-04-03T16:31:07Z ", " 2024-04-03T16:31:07Z",
        "2024-0a-03T16:31:07Z", "2024/04/03T16:31:07Z", "10000-01-01T00:00:00Z",
        "2024-04-03T16:31:07 +05:30", "2024-04-03T16:31:07UTC",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        must_refuse(bad[i]);
}

static void test_parse_reads_only_len_bytes(void **state)
{
    (void)state;
    static const char text[] = "2024-04-03T16:31:07Z";
    char *exact = xmalloc(sizeof(text) - 1); /* no NUL after it */
    memcpy(exact, text, sizeof(text) - 1);
    int64_t t;
    assert_int_equal(time_parse_iso(exact, sizeof(text) - 1, &t), 0);
    assert_int_equal(t, OUTAGE);
    /* Every prefix is refused without reading past it. */
    for (size_t n = 0; n < sizeof(text) - 1; n++)
        assert_int_equal(time_parse_iso(exact, n, &t), -1);
    free(exact);
    assert_int_equal(time_parse_iso("2024-04-03T16:31:07Zjunk", 20, &t), 0);
    assert_int_equal(t, OUTAGE);
}

static void test_format_writes_iso_utc_seconds(void **state)
{
    (void)state;
    char s[21];
    time_format(0, s, sizeof(s));
    assert_string_equal(s, "1970-01-01T00:00:00Z");
    time_format(OUTAGE, s, sizeof(s));
    assert_string_equal(s, "2024-04-03T16:31:07Z");
    time_format(YEAR_9999_END, s, sizeof(s));
    assert_string_equal(s, "9999-12-31T23:59:59Z");
}

static void test_format_never_writes_past_the_buffer(void **state)
{
    (void)state;
    char s[11];
    memset(s, 'x', sizeof(s));
    time_format(OUTAGE, s, 10);
    assert_string_equal(s, "2024-04-0");
    assert_int_equal(s[10], 'x');
}

static void test_format_ms_writes_milliseconds(void **state)
{
    (void)state;
    char s[32];
    time_format_ms(OUTAGE * 1000 + 123, s, sizeof(s));
    assert_string_equal(s, "2024-04-03T16:31:07.123Z");
    time_format_ms(5, s, sizeof(s));
    assert_string_equal(s, "1970-01-01T00:00:00.005Z");
}

static void test_format_and_parse_round_trip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u; /* xorshift64 */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = (int64_t)(x % (uint64_t)(YEAR_9999_END + 1)), back;
        char s[21];
        time_format(t, s, sizeof(s));
        assert_int_equal(time_parse_iso(s, strlen(s), &back), 0);
        assert_int_equal(back, t);
        char ms[32];
        time_format_ms(t * 1000 + i % 1000, ms, sizeof(ms));
        assert_int_equal(time_parse_iso(ms, strlen(ms), &back), 0);
        assert_int_equal(back, t);
    }
}

/* glibc's gmtime_r as the oracle for the hand-made civil arithmetic, from
 * year 1 to 9999, before 1970 included. */
static void test_formats_agree_with_gmtime_everywhere(void **state)
{
    (void)state;
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const int64_t year_1 = INT64_C(-62135596800); /* 0001-01-01T00:00:00Z */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 50000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = year_1 + (int64_t)(x % (uint64_t)(YEAR_9999_END - year_1 + 1));
        if (i < 3)
            t = i == 0 ? year_1 : i == 1 ? -1 : YEAR_9999_END;
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char want[64], got[64];
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        time_format(t, got, sizeof(got));
        assert_string_equal(got, want);
        snprintf(want, sizeof(want), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        time_format_http(t, got, sizeof(got));
        assert_string_equal(got, want);
    }
}

static void test_slots_are_floor_divisions_also_before_1970(void **state)
{
    (void)state;
    assert_int_equal(time_slot(0, 3600), 0);
    assert_int_equal(time_slot(3599, 3600), 0);
    assert_int_equal(time_slot(3600, 3600), 1);
    assert_int_equal(time_slot(-1, 3600), -1);
    assert_int_equal(time_slot(-3600, 3600), -1);
    assert_int_equal(time_slot(-3601, 3600), -2);
    assert_int_equal(time_slot(INT64_C(1424986973), 86400), 16492); /* 2015-02-26 */
}

static void test_clocks_are_plausible(void **state)
{
    (void)state;
    int64_t now = time_now(), ms = time_now_ms();
    assert_true(now > INT64_C(1700000000)); /* after November 2023 */
    assert_true(ms / 1000 - now >= 0 && ms / 1000 - now <= 1);
    int64_t a = time_mono_ns(), b = time_mono_ns();
    assert_true(a > 0 && b >= a);
}

static void test_http_dates_are_imf_fixdates_and_parse_back(void **state)
{
    (void)state;
    char text[40];
    time_format_http(1712161800, text, sizeof(text)); /* 2024-04-03T16:30:00Z */
    assert_string_equal(text, "Wed, 03 Apr 2024 16:30:00 GMT");
    int64_t t = 0;
    assert_int_equal(time_parse_http(text, &t), 0);
    assert_int_equal(t, 1712161800);
    time_format_http(0, text, sizeof(text));
    assert_string_equal(text, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static void test_other_http_date_forms_are_refused(void **state)
{
    (void)state;
    int64_t t = 42;
    const char *bad[] = {
        "Wednesday, 03-Apr-24 16:30:00 GMT", /* RFC 850 */
        "Wed Apr  3 16:30:00 2024",          /* asctime */
        "Wed, 03 Apr 2024 16:30:00 UTC",
        "Wed, 03 Apx 2024 16:30:00 GMT",
        "Wed, 31 Apr 2024 16:30:00 GMT",
        "Wed, 03 Apr 2024 16:30:00 GMT ",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(time_parse_http(bad[i], &t), -1);
    assert_int_equal(t, 42);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc_time_is_parsed_to_unix_seconds),
        cmocka_unit_test(test_numeric_offsets_are_converted_to_utc),
        cmocka_unit_test(test_fractional_seconds_are_accepted_and_dropped),
        cmocka_unit_test(test_fraction_without_digits_or_with_more_than_nine_is_refused),
        cmocka_unit_test(test_leap_years_have_a_february_29),
        cmocka_unit_test(test_february_29_on_a_non_leap_year_is_refused),
        cmocka_unit_test(test_days_past_the_end_of_the_month_are_refused),
        cmocka_unit_test(test_out_of_range_fields_are_refused),
        cmocka_unit_test(test_leap_second_counts_as_the_last_second_of_its_minute),
        cmocka_unit_test(test_years_before_1970_are_refused),
        cmocka_unit_test(test_malformed_times_are_refused),
        cmocka_unit_test(test_parse_reads_only_len_bytes),
        cmocka_unit_test(test_format_writes_iso_utc_seconds),
        cmocka_unit_test(test_slots_are_floor_divisions_also_before_1970),
        cmocka_unit_test(test_format_never_writes_past_the_buffer),
        cmocka_unit_test(test_format_ms_writes_milliseconds),
        cmocka_unit_test(test_format_and_parse_round_trip),
        cmocka_unit_test(test_formats_agree_with_gmtime_everywhere),
        cmocka_unit_test(test_clocks_are_plausible),
        cmocka_unit_test(test_http_dates_are_imf_fixdates_and_parse_back),
        cmocka_unit_test(test_other_http_date_forms_are_refused),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
