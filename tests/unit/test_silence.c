/* test_silence.c - unit tests of src/notify/silence.c: the body with its
 * defaults and refusals, one-off and weekly windows, the states on the
 * wall clock, what a silence covers, and the stored spec read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "notify/silence.h"

#define T0 1712160000 /* 2024-04-03T16:00:00Z, a Wednesday */
#define HOUR 3600
#define DAY 86400

static struct catalog *cat;

static int setup(void **state)
{
    (void)state;
    cat = catalog_builtin();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    catalog_free(cat);
    return 0;
}

static int parse(const char *body, struct silence *s, const char **code)
{
    char detail[200];
    return silence_parse(body, strlen(body), T0, 7 * DAY, cat, s, code, detail, sizeof(detail));
}

static void a_silence_starts_now_by_default_and_lasts_its_duration(void **state)
{
    (void)state;
    struct silence s;
    const char *code;
    assert_int_equal(parse("{\"service\":\"whatsapp\",\"duration\":\"90m\",\"creator\":\"ana\","
                           "\"reason\":\"known\"}",
                           &s, &code),
                     0);
    assert_int_equal(s.kind, SILENCE_MUTE);
    assert_int_equal(s.starts, T0);
    assert_int_equal(s.ends, T0 + 90 * 60);
    assert_int_equal(silence_expires(&s), T0 + 90 * 60);
    assert_string_equal(silence_state(&s, T0 - 1), "scheduled");
    assert_string_equal(silence_state(&s, T0), "active");
    assert_string_equal(silence_state(&s, T0 + 90 * 60), "expired");
    assert_true(silence_covers(&s, "whatsapp", "Meta", NULL, T0 + 60));
    assert_false(silence_covers(&s, "whatsapp", "Meta", NULL, T0 + 90 * 60));
    assert_false(silence_covers(&s, "instagram", "Meta", NULL, T0 + 60));
    s.cancelled = T0 + 10;
    assert_string_equal(silence_state(&s, T0 + 20), "cancelled");
    assert_false(silence_covers(&s, "whatsapp", "Meta", NULL, T0 + 60));
    assert_int_equal(silence_expires(&s), T0 + 10);
}

static void a_weekly_window_repeats_until_its_date(void **state)
{
    (void)state;
    struct silence s;
    const char *code;
    assert_int_equal(parse("{\"kind\":\"maintenance\",\"owner\":\"Meta\",\"starts_at\":"
                           "\"2024-04-03T16:00:00Z\",\"ends_at\":\"2024-04-03T18:00:00Z\","
                           "\"every\":\"weekly\",\"until\":\"2024-04-24T16:00:00Z\","
                           "\"creator\":\"ops\",\"reason\":\"upgrade\"}",
                           &s, &code),
                     0);
    int64_t start, end;
    assert_int_equal(silence_window(&s, T0 + 3 * HOUR, &start, &end), 1); /* the next one */
    assert_int_equal(start, T0 + 7 * DAY);
    assert_int_equal(end, T0 + 7 * DAY + 2 * HOUR);
    assert_true(silence_covers(&s, "instagram", "Meta", "any", T0 + 14 * DAY + HOUR));
    assert_false(silence_covers(&s, "instagram", "Meta", NULL, T0 + 14 * DAY + 3 * HOUR));
    assert_true(silence_covers(&s, "facebook", "Meta", NULL, T0 + 21 * DAY)); /* the last */
    assert_false(silence_covers(&s, "facebook", "Meta", NULL, T0 + 28 * DAY));
    assert_false(silence_covers(&s, "youtube", "Google", NULL, T0 + HOUR));
    assert_int_equal(silence_expires(&s), T0 + 21 * DAY + 2 * HOUR);
    assert_int_equal(silence_window(&s, T0 + 22 * DAY, &start, &end), 0);
    assert_string_equal(silence_state(&s, T0 + 8 * DAY), "scheduled");
}

static void every_silence_ends_and_bad_bodies_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *body, *code;
    } bad[] = {
        {"{\"service\":\"whatsapp\",\"creator\":\"a\",\"reason\":\"r\"}", "missing_field"},
        {"{\"duration\":\"1h\",\"creator\":\"a\",\"reason\":\"r\"}", "missing_field"},
        {"{\"service\":\"whatsapp\",\"duration\":\"8d\",\"creator\":\"a\",\"reason\":\"r\"}",
         "invalid_window"},
        {"{\"service\":\"whatsapp\",\"ends_at\":\"2024-04-03T15:00:00Z\",\"creator\":\"a\","
         "\"reason\":\"r\"}",
         "invalid_window"},
        {"{\"service\":\"whatsapp\",\"duration\":\"1h\",\"every\":\"weekly\",\"until\":"
         "\"2024-05-01T00:00:00Z\",\"creator\":\"a\",\"reason\":\"r\"}",
         "invalid_window"}, /* only maintenance repeats */
        {"{\"kind\":\"maintenance\",\"service\":\"whatsapp\",\"duration\":\"1h\",\"every\":"
         "\"daily\",\"creator\":\"a\",\"reason\":\"r\"}",
         "invalid_window"}, /* until missing */
        {"{\"kind\":\"maintenance\",\"service\":\"whatsapp\",\"duration\":\"1d\",\"every\":"
         "\"daily\",\"until\":\"2024-05-01T00:00:00Z\",\"creator\":\"a\",\"reason\":\"r\"}",
         "invalid_window"}, /* as long as its period */
        {"{\"kind\":\"maintenance\",\"service\":\"whatsapp\",\"duration\":\"1h\",\"every\":"
         "\"daily\",\"until\":\"2025-05-01T00:00:00Z\",\"creator\":\"a\",\"reason\":\"r\"}",
         "invalid_window"}, /* beyond 366 days */
        {"{\"service\":\"nosuch\",\"duration\":\"1h\",\"creator\":\"a\",\"reason\":\"r\"}",
         "unknown_service"},
        {"{\"group\":\"a b\",\"duration\":\"1h\",\"creator\":\"a\",\"reason\":\"r\"}",
         "invalid_group"},
        {"{\"service\":\"jio\",\"duration\":\"1h\",\"creator\":\"\",\"reason\":\"r\"}",
         "invalid_creator"},
        {"{\"service\":\"jio\",\"duration\":\"1h\",\"creator\":\"a\",\"reason\":\"r\\u0000\"}",
         "invalid_reason"},
        {"{\"service\":\"jio\",\"duration\":3600,\"creator\":\"a\",\"reason\":\"r\"}",
         "invalid_type"},
        {"{\"service\":\"jio\",\"duration\":\"1h\",\"creator\":\"a\",\"reason\":\"r\",\"x\":\"\"}",
         "unknown_field"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct silence s;
        const char *code = "";
        assert_int_equal(parse(bad[i].body, &s, &code), -1);
        if (strcmp(code, bad[i].code) != 0)
            fail_msg("%s: %s, not %s", bad[i].body, code, bad[i].code);
    }
}

static void the_stored_spec_reads_back_the_same(void **state)
{
    (void)state;
    struct silence s, back;
    const char *code;
    char detail[200];
    assert_int_equal(parse("{\"kind\":\"maintenance\",\"service\":\"jio\",\"group\":\"g\","
                           "\"duration\":\"2h\",\"every\":\"daily\",\"until\":\"1712764800\","
                           "\"creator\":\"ops\",\"reason\":\"nightly \\\"backup\\\"\"}",
                           &s, &code),
                     0);
    struct buf spec, one, two;
    buf_init(&spec);
    buf_init(&one);
    buf_init(&two);
    silence_spec_json(&s, &spec);
    assert_int_equal(silence_parse(spec.data, spec.len, 0, 0, NULL, &back, &code, detail,
                                   sizeof(detail)),
                     0);
    silence_json(&s, T0, 0, &one);
    silence_json(&back, T0, 0, &two);
    assert_string_equal(one.data, two.data);
    buf_reset(&one);
    silence_json(&s, T0, 1, &one);
    assert_null(strstr(one.data, "creator"));
    buf_free(&spec);
    buf_free(&one);
    buf_free(&two);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_silence_starts_now_by_default_and_lasts_its_duration),
        cmocka_unit_test(a_weekly_window_repeats_until_its_date),
        cmocka_unit_test(every_silence_ends_and_bad_bodies_are_refused),
        cmocka_unit_test(the_stored_spec_reads_back_the_same),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, setup, teardown);
}
