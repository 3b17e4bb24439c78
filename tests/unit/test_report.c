/* test_report.c - unit tests for src/report/report.c: the strict report
 * parser (every place where jsmn alone is lax has a case here), the field
 * rules and their error codes and details, rep_format, and two property
 * tests: random valid reports written in random JSON spellings parse back to
 * themselves, and random mutations of valid reports never crash and either
 * fail with a code or give a report that passes the same validation.
 *
 * Run one test by name: test_report NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "report/country.h"
#include "report/report.h"

#define TS_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define BODY "\"service\":\"whatsapp\",\"problem\":\"login\""

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static int parse_n(const char *json, size_t len, struct rep_report *r, struct rep_error *e)
{
    /* A heap copy of exactly len bytes, so ASan sees any read past the end. */
    char *copy = xmalloc(len);
    memcpy(copy, json, len);
    int rc = rep_parse(copy, len, r, e);
    free(copy);
    return rc;
}

static int parse(const char *json, struct rep_report *r, struct rep_error *e)
{
    return parse_n(json, strlen(json), r, e);
}

static void must_parse(const char *json, struct rep_report *r)
{
    struct rep_error e;
    if (parse(json, r, &e) != 0)
        fail_msg("%s: unexpected %s (%s)", json, rep_error_name(e.code), e.detail);
}

/* Parse len bytes, expect failure with code; returns the detail. */
static const char *must_fail_n(const char *json, size_t len, enum rep_error_code code)
{
    static struct rep_error e;
    struct rep_report r;
    if (parse_n(json, len, &r, &e) == 0)
        fail_msg("%.*s: parsed, expected %s", (int)len, json, rep_error_name(code));
    if (e.code != code)
        fail_msg("%.*s: got %s (%s), expected %s", (int)len, json, rep_error_name(e.code),
                 e.detail, rep_error_name(code));
    return e.detail;
}

static const char *must_fail(const char *json, enum rep_error_code code)
{
    return must_fail_n(json, strlen(json), code);
}

static void detail_contains(const char *detail, const char *part)
{
    if (!strstr(detail, part))
        fail_msg("detail \"%s\" does not contain \"%s\"", detail, part);
}

/* The report with body spliced in: {BODY,<extra>}. */
static const char *with(const char *extra)
{
    static char json[1024];
    snprintf(json, sizeof(json), "{" BODY ",%s}", extra);
    return json;
}

/* Whether a report satisfies every rule rep_parse enforces. */
static int report_is_valid(const struct rep_report *r)
{
    size_t n = strnlen(r->service, sizeof(r->service));
    if (n == 0 || n > REP_SERVICE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = r->service[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '.' || c == '_' || c == '-'))))
            return 0;
    }
    if (r->country[0] && (strnlen(r->country, sizeof(r->country)) != 2 ||
                          r->country[0] < 'A' || r->country[0] > 'Z' ||
                          r->country[1] < 'A' || r->country[1] > 'Z' ||
                          country_index(r->country) < 0))
        return 0;
    if ((unsigned)r->problem >= REP_PROBLEM_COUNT)
        return 0;
    n = strnlen(r->client, sizeof(r->client));
    if (n > REP_CLIENT_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (r->client[i] < 0x21 || r->client[i] > 0x7E)
            return 0;
    return r->ts == -1 || (r->ts >= 0 && r->ts <= TS_MAX);
}

static int same_report(const struct rep_report *a, const struct rep_report *b)
{
    return !strcmp(a->service, b->service) && !strcmp(a->country, b->country) &&
           a->problem == b->problem && !strcmp(a->client, b->client) && a->ts == b->ts;
}

static int printable_ascii(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7E)
            return 0;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Valid reports                                                             */

static void test_full_report_is_parsed_into_its_fields(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse("{\"service\":\"whatsapp\",\"country\":\"IN\",\"problem\":\"login\","
               "\"client\":\"3f9a0c12d4e5b6a7\",\"ts\":\"2024-04-03T16:31:07Z\"}",
               &r);
    assert_string_equal(r.service, "whatsapp");
    assert_string_equal(r.country, "IN");
    assert_int_equal(r.problem, REP_LOGIN);
    assert_string_equal(r.client, "3f9a0c12d4e5b6a7");
    assert_int_equal(r.ts, 1712161867);
}

static void test_absent_optional_fields_are_empty_and_ts_is_minus_one(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse("{" BODY "}", &r);
    assert_string_equal(r.service, "whatsapp");
    assert_string_equal(r.country, "");
    assert_string_equal(r.client, "");
    assert_int_equal(r.ts, -1);
}

static void test_field_order_does_not_matter(void **state)
{
    (void)state;
    struct rep_report a, b;
    must_parse("{\"ts\":\"2024-04-03T16:31:07Z\",\"client\":\"c\",\"problem\":\"calls\","
               "\"country\":\"BR\",\"service\":\"instagram\"}", &a);
    must_parse("{\"service\":\"instagram\",\"country\":\"BR\",\"problem\":\"calls\","
               "\"client\":\"c\",\"ts\":\"2024-04-03T16:31:07Z\"}", &b);
    assert_true(same_report(&a, &b));
}

static void test_json_whitespace_is_allowed_around_every_token(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse(" \t\r\n{ \"service\" :\t\"a\" ,\n\"problem\"\r: \"app\" } \n", &r);
    assert_string_equal(r.service, "a");
    assert_int_equal(r.problem, REP_APP);
    must_parse("{" BODY "}\r\n", &r);
}

static void test_input_is_bounded_by_len_not_by_a_nul(void **state)
{
    (void)state;
    static const char text[] = "{" BODY "}garbage";
    struct rep_report r;
    struct rep_error e;
    assert_int_equal(parse_n(text, sizeof(text) - sizeof("garbage"), &r, &e), 0);
    assert_string_equal(r.service, "whatsapp");
}

static void test_keys_written_with_escapes_still_match(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse("{\"s\\u0065rvice\":\"a\",\"\\u0070\\u0072oblem\":\"feed\","
               "\"c\\u006Funtry\":\"FR\"}", &r);
    assert_string_equal(r.service, "a");
    assert_int_equal(r.problem, REP_FEED);
    assert_string_equal(r.country, "FR");
}

static void test_values_are_unescaped_before_they_are_checked(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse("{\"service\":\"wh\\u0061tsapp\",\"problem\":\"mess\\u0061ges\","
               "\"client\":\"a\\\"b\\\\c\\/d\",\"country\":\"\\u0069n\","
               "\"ts\":\"2024-04-03T16\\u003a31:07Z\"}", &r);
    assert_string_equal(r.service, "whatsapp");
    assert_int_equal(r.problem, REP_MESSAGES);
    assert_string_equal(r.client, "a\"b\\c/d");
    assert_string_equal(r.country, "IN");
    assert_int_equal(r.ts, 1712161867);
}

static void test_every_problem_name_is_accepted(void **state)
{
    (void)state;
    for (int p = 0; p < REP_PROBLEM_COUNT; p++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"service\":\"a\",\"problem\":\"%s\"}",
                 rep_problem_name((enum rep_problem)p));
        struct rep_report r;
        must_parse(json, &r);
        assert_int_equal(r.problem, p);
    }
}

static void test_lowercase_country_is_normalised_to_upper_case(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse(with("\"country\":\"gb\""), &r);
    assert_string_equal(r.country, "GB");
    must_parse(with("\"country\":\"bR\""), &r);
    assert_string_equal(r.country, "BR");
}

static void test_zz_is_accepted_as_the_unknown_country(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse(with("\"country\":\"zz\""), &r);
    assert_string_equal(r.country, "ZZ");
}

static void test_ts_offsets_and_fractions_are_converted_to_utc_seconds(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse(with("\"ts\":\"2024-04-03T22:01:07.999+05:30\""), &r);
    assert_int_equal(r.ts, 1712161867);
    must_parse(with("\"ts\":\"1970-01-01T00:00:00Z\""), &r);
    assert_int_equal(r.ts, 0);
    must_parse(with("\"ts\":\"9999-12-31T23:59:59Z\""), &r);
    assert_int_equal(r.ts, TS_MAX);
}

static void test_service_and_client_at_their_maximum_length_are_accepted(void **state)
{
    (void)state;
    char json[512], id[REP_SERVICE_MAX + 1];
    memset(id, 'a', REP_SERVICE_MAX);
    id[REP_SERVICE_MAX] = '\0';
    snprintf(json, sizeof(json), "{\"service\":\"%s\",\"problem\":\"app\",\"client\":\"%s\"}",
             id, id);
    struct rep_report r;
    must_parse(json, &r);
    assert_int_equal(strlen(r.service), REP_SERVICE_MAX);
    assert_int_equal(strlen(r.client), REP_CLIENT_MAX);
}

static void test_service_may_hold_digits_dots_underscores_and_dashes(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse("{\"service\":\"0day.app_x-9\",\"problem\":\"app\"}", &r);
    assert_string_equal(r.service, "0day.app_x-9");
}

/* ------------------------------------------------------------------------ */
/* Malformed JSON: where jsmn is lax                                         */

static void test_empty_input_is_invalid_json(void **state)
{
    (void)state;
    must_fail("", REP_E_JSON);
    detail_contains(must_fail(" \n\t", REP_E_JSON), "empty");
}

static void test_every_truncation_of_a_report_is_reported_as_truncated(void **state)
{
    (void)state;
    static const char full[] = "{\"service\":\"whatsapp\",\"country\":\"IN\",\"problem\":"
                               "\"login\",\"client\":\"3f\\u0041\",\"ts\":\"2024-04-03T16:31:07Z\"}";
    for (size_t n = 1; n < sizeof(full) - 1; n++)
        detail_contains(must_fail_n(full, n, REP_E_JSON), "truncated");
    detail_contains(must_fail("{\"service\":tru", REP_E_JSON), "truncated");
    detail_contains(must_fail("[1,2", REP_E_JSON), "truncated");
}

static void test_trailing_garbage_after_the_object_is_rejected(void **state)
{
    (void)state;
    detail_contains(must_fail("{" BODY "}x", REP_E_JSON), "after the JSON value");
    static const char *const tails[] = {",", "}", "]", " 1", "1", " tru", "\"", " \"abc",
                                        " [1,", " {", ":", "\x01", "\\"};
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{" BODY "}%s", tails[i]);
        detail_contains(must_fail(json, REP_E_JSON), "after the JSON value");
    }
    static const char nul[] = "{" BODY "}\0";
    detail_contains(must_fail_n(nul, sizeof(nul) - 1, REP_E_JSON), "after the JSON value");
    /* A malformed first value is reported before the trailing data. */
    detail_contains(must_fail("{,} x", REP_E_JSON), "byte 1");
}

static void test_two_top_level_values_are_rejected(void **state)
{
    (void)state;
    detail_contains(must_fail("{" BODY "}{" BODY "}", REP_E_JSON), "after the JSON value");
    must_fail("{" BODY "}\n{" BODY "}", REP_E_JSON);
    must_fail("{}[]", REP_E_JSON);
    must_fail("\"a\" \"b\"", REP_E_JSON);
    must_fail("\"service\":\"a\"", REP_E_JSON);
}

static void test_trailing_comma_in_an_object_is_rejected(void **state)
{
    (void)state;
    must_fail("{\"a\":1,}", REP_E_JSON);
    must_fail("{" BODY ",}", REP_E_JSON);
    must_fail("{" BODY " , }", REP_E_JSON);
    must_fail("{\"a\":[1,]}", REP_E_JSON);
}

static void test_leading_and_doubled_commas_are_rejected(void **state)
{
    (void)state;
    must_fail("{,}", REP_E_JSON);
    must_fail("{," BODY "}", REP_E_JSON);
    must_fail("{\"service\":\"a\",,\"problem\":\"app\"}", REP_E_JSON);
    must_fail("{\"a\":[,1]}", REP_E_JSON);
    must_fail("{\"a\":[1,,2]}", REP_E_JSON);
    must_fail("[,]", REP_E_JSON);
}

static void test_missing_colon_or_comma_is_rejected(void **state)
{
    (void)state;
    detail_contains(must_fail("{\"a\" \"b\"}", REP_E_JSON), "expected ':'");
    must_fail("{\"service\" \"a\",\"problem\":\"app\"}", REP_E_JSON);
    must_fail("{\"service\":\"a\" \"problem\":\"app\"}", REP_E_JSON);
    must_fail("{\"service\":\"a\"\"problem\":\"app\"}", REP_E_JSON);
    must_fail("{\"a\"}", REP_E_JSON);
    must_fail("{\"a\":}", REP_E_JSON);
    must_fail("{\"a\":\"b\",\"c\"}", REP_E_JSON);
    must_fail("[1 2]", REP_E_JSON);
}

static void test_misplaced_colons_are_rejected(void **state)
{
    (void)state;
    must_fail("{\"service\"::\"a\",\"problem\":\"app\"}", REP_E_JSON);
    must_fail("{\"service\":\"a\":\"b\",\"problem\":\"app\"}", REP_E_JSON);
    must_fail("{:\"service\":\"a\"}", REP_E_JSON);
    must_fail("{\"a\":1:2}", REP_E_JSON);
    must_fail("[\"a\":\"b\"]", REP_E_JSON);
    must_fail("[1:2]", REP_E_JSON);
}

static void test_literals_jsmn_accepts_but_json_does_not_are_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "tru", "nul", "fals", "truee", "nulll", "t", "n", "f", "true1", "-", "--1", "01",
        "-01", "00", "1.", "1.e5", "1e", "1e+", "1E-", "-.5", "1.2.3", "1e5.5", "0x1F",
        "1_000", "t\"x\"", "null\"\"", "fal$e",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"service\":%s,\"problem\":\"app\"}", bad[i]);
        detail_contains(must_fail(json, REP_E_JSON), "literal");
        snprintf(json, sizeof(json), "[%s]", bad[i]);
        must_fail(json, REP_E_JSON);
        snprintf(json, sizeof(json), "%s", bad[i]);
        must_fail(json, REP_E_JSON);
    }
}

static void test_characters_jsmn_rejects_are_invalid_json(void **state)
{
    (void)state;
    must_fail("{\"a\":+1}", REP_E_JSON);
    must_fail("{\"a\":.5}", REP_E_JSON);
    must_fail("{\"a\":True}", REP_E_JSON);
    must_fail("{\"a\":'b'}", REP_E_JSON);
    must_fail("{a:1}", REP_E_JSON);
    must_fail("+1", REP_E_JSON);
    must_fail("}", REP_E_JSON);
}

static void test_non_string_keys_are_rejected(void **state)
{
    (void)state;
    must_fail("{1:\"a\"}", REP_E_JSON);
    must_fail("{null:\"a\"}", REP_E_JSON);
    must_fail("{{}:\"a\"}", REP_E_JSON);
    must_fail("{[]:\"a\"}", REP_E_JSON);
    must_fail("{\"a\":1,2:3}", REP_E_JSON);
}

static void test_unbalanced_brackets_are_rejected(void **state)
{
    (void)state;
    must_fail("{\"a\":[}", REP_E_JSON);
    must_fail("{\"a\":1]", REP_E_JSON);
    must_fail("{\"a\":[1}]", REP_E_JSON);
    must_fail("{}}", REP_E_JSON);
    must_fail("]", REP_E_JSON);
    must_fail("[[]", REP_E_JSON);
    must_fail("{\"a\":{\"b\":1}", REP_E_JSON);
}

static void test_invalid_string_escapes_are_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {"\\x41", "\\u12G4", "\\U0041", "\\'", "\\u12",
                                      "\\u", "\\a", "\\0", "\\ ", "\\u00g"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"service\":\"a%sb\",\"problem\":\"app\"}", bad[i]);
        must_fail(json, REP_E_JSON);
        snprintf(json, sizeof(json), "{\"k%s\":1}", bad[i]);
        must_fail(json, REP_E_JSON);
    }
}

static void test_valid_short_escapes_are_accepted_in_keys(void **state)
{
    (void)state;
    const char *d = must_fail("{\"\\\"\\\\\\/\\b\\f\\n\\r\\t\":1}", REP_E_UNKNOWN_FIELD);
    assert_string_equal(d, "unknown field \"\\\"\\\\/\\u0008\\u000C\\u000A\\u000D\\u0009\"");
}

static void test_lone_surrogates_are_rejected(void **state)
{
    (void)state;
    detail_contains(must_fail(with("\"client\":\"\\ud800\""), REP_E_JSON), "surrogate");
    detail_contains(must_fail(with("\"client\":\"\\udc00x\""), REP_E_JSON), "surrogate");
    must_fail(with("\"client\":\"\\ud83d\\ud83d\""), REP_E_JSON);
    must_fail(with("\"client\":\"\\ud83dx\\ude00\""), REP_E_JSON);
    must_fail(with("\"client\":\"\\ud83d\\n\""), REP_E_JSON);
    must_fail(with("\"client\":\"\\ude00\\ud83d\""), REP_E_JSON);
    must_fail("{\"\\uDBFF\":1}", REP_E_JSON);
}

static void test_surrogate_pairs_are_decoded(void **state)
{
    (void)state;
    /* U+1F600 and U+10FFFF; the detail shows them as escaped pairs again. */
    const char *d = must_fail("{\"\\ud83d\\ude00\\uDBFF\\uDFFF\":1}", REP_E_UNKNOWN_FIELD);
    assert_string_equal(d, "unknown field \"\\uD83D\\uDE00\\uDBFF\\uDFFF\"");
    /* ...and a surrogate pair is one character, like the same raw UTF-8. */
    d = must_fail("{\"\xF0\x9F\x98\x80\":1}", REP_E_UNKNOWN_FIELD);
    assert_string_equal(d, "unknown field \"\\uD83D\\uDE00\"");
}

static void test_raw_control_characters_in_strings_are_rejected(void **state)
{
    (void)state;
    for (int c = 1; c < 0x20; c++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"service\":\"a%cb\",\"problem\":\"app\"}", c);
        detail_contains(must_fail(json, REP_E_JSON), "control character");
    }
    must_fail("{\"a\tb\":1}", REP_E_JSON);
}

static void test_nul_bytes_are_rejected_wherever_they_are(void **state)
{
    (void)state;
    static const char in_string[] = "{\"service\":\"a\0b\",\"problem\":\"app\"}";
    static const char between[] = "{\"service\":\"a\",\0\"problem\":\"app\"}";
    static const char after[] = "{\"service\":\"a\",\"problem\":\"app\"}\0";
    static const char in_literal[] = "{\"a\":1\0}";
    detail_contains(must_fail_n(in_string, sizeof(in_string) - 1, REP_E_JSON), "NUL");
    must_fail_n(between, sizeof(between) - 1, REP_E_JSON);
    must_fail_n(after, sizeof(after) - 1, REP_E_JSON);
    must_fail_n(in_literal, sizeof(in_literal) - 1, REP_E_JSON);
}

static void test_whitespace_json_does_not_define_is_rejected(void **state)
{
    (void)state;
    must_fail("{\f" BODY "}", REP_E_JSON);
    must_fail("{\v" BODY "}", REP_E_JSON);
    must_fail("{\xC2\xA0" BODY "}", REP_E_JSON);
    must_fail("\xEF\xBB\xBF{" BODY "}", REP_E_JSON); /* byte order mark */
}

static void test_too_many_tokens_is_invalid_json(void **state)
{
    (void)state;
    char json[512];
    int n = snprintf(json, sizeof(json), "{" BODY ",\"client\":[");
    for (int i = 0; i < 40; i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n, "%s%d", i ? "," : "", i);
    snprintf(json + n, sizeof(json) - (size_t)n, "]}");
    detail_contains(must_fail(json, REP_E_JSON), "too many");
}

static void test_valid_json_that_is_not_an_object_is_reported_as_such(void **state)
{
    (void)state;
    static const char *const values[] = {
        "5", "-0", "-0.5e+10", "1E9", "true", "false", "null", "\"s\"", "[]",
        "[1,{\"a\":[true,null,\"x\"]}]", " 12 \n", "\"{\\\"service\\\":1}\"",
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        must_fail(values[i], REP_E_NOT_OBJECT);
}

static void test_nested_valid_json_in_a_field_is_a_type_error_not_a_syntax_error(void **state)
{
    (void)state;
    must_fail("{\"service\":{\"a\":[1,2.5e3,{\"b\":null}]},\"problem\":\"app\"}",
              REP_E_FIELD_TYPE);
    must_fail("{\"service\":{},\"problem\":\"app\"}", REP_E_FIELD_TYPE);
    must_fail("{\"service\":[],\"problem\":\"app\"}", REP_E_FIELD_TYPE);
}

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                     */

static void test_invalid_utf8_is_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xC0\x80",         /* overlong NUL */
        "\xC1\xBF",         /* overlong 2-byte */
        "\xE0\x80\x80",     /* overlong 3-byte */
        "\xE0\x9F\xBF",     /* overlong 3-byte, top */
        "\xF0\x80\x80\x80", /* overlong 4-byte */
        "\xF0\x8F\xBF\xBF", /* overlong 4-byte, top */
        "\xED\xA0\x80",     /* U+D800 encoded */
        "\xED\xBF\xBF",     /* U+DFFF encoded */
        "\xF4\x90\x80\x80", /* U+110000 */
        "\xF5\x80\x80\x80", /* lead byte beyond range */
        "\xFF", "\xFE", "\xF8\x88\x80\x80\x80",
        "\x80",             /* lone continuation */
        "\xBF",
        "\xC3",             /* truncated 2-byte */
        "\xE2\x82",         /* truncated 3-byte */
        "\xF0\x9F\x98",     /* truncated 4-byte */
        "\xC3\x28",         /* bad continuation */
        "\xE2\x28\xA1", "\xE2\x82\x28", "\xF0\x9F\x28\x80", "\xF0\x9F\x98\x28",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        /* In a value, in a long ASCII run (the 8-byte fast path), at the end. */
        snprintf(json, sizeof(json), "{\"service\":\"a%sb\",\"problem\":\"app\"}", bad[i]);
        detail_contains(must_fail(json, REP_E_UTF8), "UTF-8");
        snprintf(json, sizeof(json), "{\"client\":\"abcdefghijklmnopq%s\"}", bad[i]);
        must_fail(json, REP_E_UTF8);
        snprintf(json, sizeof(json), "{" BODY "}%s", bad[i]);
        must_fail(json, REP_E_UTF8);
    }
}

static void test_invalid_utf8_is_located_by_its_offset(void **state)
{
    (void)state;
    assert_string_equal(must_fail("{\"service\":\"abcdefghij\xFF\"}", REP_E_UTF8),
                        "invalid UTF-8 at byte 22");
}

static void test_valid_utf8_passes_the_utf8_check(void **state)
{
    (void)state;
    /* Non-ASCII is valid UTF-8 but never a valid field name or value. */
    assert_string_equal(must_fail("{\"pa\xC3\xADs\":1}", REP_E_UNKNOWN_FIELD),
                        "unknown field \"pa\\u00EDs\"");
    must_fail("{\"\xE2\x82\xAC\":1}", REP_E_UNKNOWN_FIELD);         /* U+20AC */
    must_fail("{\"\xEF\xBF\xBF\xED\x9F\xBF\":1}", REP_E_UNKNOWN_FIELD); /* U+FFFF U+D7FF */
    must_fail("{\"\xF4\x8F\xBF\xBF\":1}", REP_E_UNKNOWN_FIELD);     /* U+10FFFF */
    must_fail(with("\"client\":\"\xC3\xA9\""), REP_E_CLIENT);
    must_fail("{\"service\":\"caf\xC3\xA9\",\"problem\":\"app\"}", REP_E_SERVICE);
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                    */

static void test_unknown_field_is_rejected_with_its_name(void **state)
{
    (void)state;
    assert_string_equal(must_fail("{\"contry\":\"IN\"," BODY "}", REP_E_UNKNOWN_FIELD),
                        "unknown field \"contry\"");
    must_fail(with("\"Service\":\"a\""), REP_E_UNKNOWN_FIELD);
    must_fail(with("\"\":\"a\""), REP_E_UNKNOWN_FIELD);
    must_fail(with("\"service \":\"a\""), REP_E_UNKNOWN_FIELD);
    must_fail(with("\"service\\u0000\":\"a\""), REP_E_UNKNOWN_FIELD);
    must_fail(with("\"servicex\":\"a\""), REP_E_UNKNOWN_FIELD);
    must_fail(with("\"ts\":\"2024-04-03T16:31:07Z\",\"extra\":1"), REP_E_UNKNOWN_FIELD);
}

static void test_unknown_field_name_is_escaped_and_cut_in_the_detail(void **state)
{
    (void)state;
    char json[512], name[301];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(json, sizeof(json), "{\"%s\":1}", name);
    const char *d = must_fail(json, REP_E_UNKNOWN_FIELD);
    assert_true(strlen(d) < 80);
    detail_contains(d, "...\"");
    d = must_fail("{\"a\\\"b\\\\c\\u0001%s\":1}", REP_E_UNKNOWN_FIELD);
    assert_string_equal(d, "unknown field \"a\\\"b\\\\c\\u0001%s\"");
    assert_true(printable_ascii(d));
}

static void test_duplicate_field_is_rejected(void **state)
{
    (void)state;
    assert_string_equal(must_fail("{" BODY ",\"service\":\"b\"}", REP_E_DUPLICATE_FIELD),
                        "duplicate field \"service\"");
    must_fail("{" BODY ",\"s\\u0065rvice\":\"whatsapp\"}", REP_E_DUPLICATE_FIELD);
    must_fail(with("\"ts\":\"2024-04-03T16:31:07Z\",\"ts\":\"2024-04-03T16:31:07Z\""),
              REP_E_DUPLICATE_FIELD);
    must_fail(with("\"country\":\"IN\",\"country\":5"), REP_E_DUPLICATE_FIELD);
}

static void test_non_string_values_are_rejected_as_invalid_type(void **state)
{
    (void)state;
    static const char *const values[] = {"5", "-1.5", "null", "true", "false", "{}", "[]",
                                         "{\"a\":1}", "[\"login\"]"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"service\":%s,\"problem\":\"app\"}", values[i]);
        assert_string_equal(must_fail(json, REP_E_FIELD_TYPE),
                            "field \"service\" must be a string");
        snprintf(json, sizeof(json), "{" BODY ",\"ts\":%s}", values[i]);
        must_fail(json, REP_E_FIELD_TYPE);
    }
}

static void test_missing_service_or_problem_is_named(void **state)
{
    (void)state;
    assert_string_equal(must_fail("{\"problem\":\"app\"}", REP_E_MISSING),
                        "missing field \"service\"");
    assert_string_equal(must_fail("{\"service\":\"a\",\"country\":\"IN\"}", REP_E_MISSING),
                        "missing field \"problem\"");
    must_fail("{}", REP_E_MISSING);
}

static void test_uppercase_service_is_rejected_with_a_clear_detail(void **state)
{
    (void)state;
    assert_string_equal(must_fail("{\"service\":\"WhatsApp\",\"problem\":\"app\"}",
                                  REP_E_SERVICE),
                        "service \"WhatsApp\" must be lowercase");
    must_fail("{\"service\":\"\\u0041\",\"problem\":\"app\"}", REP_E_SERVICE);
}

static void test_service_syntax_is_checked_after_unescaping(void **state)
{
    (void)state;
    static const char *const bad[] = {".a", "-a", "_a", "a b", "a/b", "a:b", "\\u00e9",
                                      "a\\u0000", "\\u0020a", "Wh at"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"service\":\"%s\",\"problem\":\"app\"}", bad[i]);
        detail_contains(must_fail(json, REP_E_SERVICE), "may only use");
    }
    detail_contains(must_fail("{\"service\":\"\",\"problem\":\"app\"}", REP_E_SERVICE),
                    "empty");
    char json[256], id[REP_SERVICE_MAX + 2];
    memset(id, 'a', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    snprintf(json, sizeof(json), "{\"service\":\"%s\",\"problem\":\"app\"}", id);
    detail_contains(must_fail(json, REP_E_SERVICE), "longer than 64");
}

static void test_unknown_problem_lists_the_valid_ones(void **state)
{
    (void)state;
    static const char *const bad[] = {"Login", "logins", "log", "", "other ", "LOGIN",
                                      "connectionx", "login\\u0000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"service\":\"a\",\"problem\":\"%s\"}", bad[i]);
        assert_string_equal(must_fail(json, REP_E_PROBLEM),
                            "problem must be one of login, messages, calls, app, website, "
                            "feed, connection, other");
    }
}

static void test_country_must_be_an_assigned_iso_code(void **state)
{
    (void)state;
    assert_string_equal(must_fail(with("\"country\":\"XX\""), REP_E_COUNTRY),
                        "country \"XX\" is not an ISO 3166-1 alpha-2 code");
    static const char *const bad[] = {"UK", "EU", "AA", "QM", "USA", "U", "", "1A", "I-",
                                      "\\u00c9S", "IN\\u0000", " IN"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{" BODY ",\"country\":\"%s\"}", bad[i]);
        detail_contains(must_fail(json, REP_E_COUNTRY), "ISO 3166-1");
    }
}

static void test_client_must_be_printable_ascii_without_spaces(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "a b", "\\u0001", "\\u007f", "\\u00e9", "a\\tb",
                                      "\\u0000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{" BODY ",\"client\":\"%s\"}", bad[i]);
        detail_contains(must_fail(json, REP_E_CLIENT), "printable ASCII");
    }
    char json[256], id[REP_CLIENT_MAX + 2];
    memset(id, 'c', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    snprintf(json, sizeof(json), "{" BODY ",\"client\":\"%s\"}", id);
    must_fail(json, REP_E_CLIENT);
    struct rep_report r;
    must_parse(with("\"client\":\"!~\""), &r);
    assert_string_equal(r.client, "!~");
}

static void test_ts_must_be_an_iso_time_between_1970_and_9999(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "yesterday", "", "2024-04-03", "2024-04-03 16:31:07Z", "2024-04-03T16:31:07",
        "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-03T24:00:00Z",
        "1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:01",
        "1970-01-01T00:00:59+00:01", /* would be -1, the "absent" value */
        "9999-12-31T23:59:59-00:01", "10000-01-01T00:00:00Z", "1712161867",
        "2024-04-03T16:31:07.1234567890Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{" BODY ",\"ts\":\"%s\"}", bad[i]);
        detail_contains(must_fail(json, REP_E_TS), "ISO 8601");
    }
}

static void test_first_problem_in_document_order_is_reported(void **state)
{
    (void)state;
    must_fail("{\"contry\":\"x\",\"service\":\"A\"}", REP_E_UNKNOWN_FIELD);
    must_fail("{\"service\":\"A\",\"contry\":\"x\"}", REP_E_SERVICE);
    must_fail("{\"country\":\"XX\",\"service\":5}", REP_E_COUNTRY);
}

static void test_syntax_errors_win_over_field_errors(void **state)
{
    (void)state;
    must_fail("{\"contry\":\"x\",}", REP_E_JSON);
    must_fail("{\"service\":5,\"problem\":tru}", REP_E_JSON);
    must_fail("{\"contry\":\"x\"} \xFF", REP_E_UTF8);
}

/* ------------------------------------------------------------------------ */
/* Names                                                                     */

static void test_error_names_are_the_stable_api_strings(void **state)
{
    (void)state;
    static const char *const names[] = {
        "ok", "invalid_json", "not_an_object", "invalid_utf8", "unknown_field",
        "duplicate_field", "invalid_type", "missing_field", "invalid_service",
        "invalid_country", "invalid_problem", "invalid_client", "invalid_ts",
    };
    for (int c = REP_OK; c <= REP_E_TS; c++)
        assert_string_equal(rep_error_name((enum rep_error_code)c), names[c]);
    assert_string_equal(rep_error_name((enum rep_error_code)(REP_E_TS + 1)), "unknown");
}

static void test_problem_names_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = {"login", "messages", "calls", "app",
                                        "website", "feed", "connection", "other"};
    for (int p = 0; p < REP_PROBLEM_COUNT; p++) {
        assert_string_equal(rep_problem_name((enum rep_problem)p), names[p]);
        assert_int_equal(rep_problem_parse(names[p], strlen(names[p])), p);
    }
    assert_int_equal(rep_problem_parse("log", 3), -1);
    assert_int_equal(rep_problem_parse("loginx", 6), -1);
    assert_int_equal(rep_problem_parse("loginx", 5), REP_LOGIN);
    assert_int_equal(rep_problem_parse("", 0), -1);
    assert_string_equal(rep_problem_name(REP_PROBLEM_COUNT), "unknown");
}

/* ------------------------------------------------------------------------ */
/* rep_format                                                                */

static void test_format_writes_keys_in_fixed_order_and_omits_absent_fields(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse("{\"client\":\"c1\",\"problem\":\"calls\",\"country\":\"br\","
               "\"service\":\"whatsapp\",\"ts\":\"2024-04-03T16:31:07Z\"}", &r);
    char out[REP_JSON_MAX];
    int n = rep_format(&r, out, sizeof(out));
    assert_string_equal(out, "{\"ts\":\"2024-04-03T16:31:07Z\",\"service\":\"whatsapp\","
                             "\"country\":\"BR\",\"problem\":\"calls\",\"client\":\"c1\"}");
    assert_int_equal(n, strlen(out));
    must_parse("{" BODY "}", &r);
    rep_format(&r, out, sizeof(out));
    assert_string_equal(out, "{" BODY "}");
}

static void test_format_escapes_quote_and_backslash(void **state)
{
    (void)state;
    struct rep_report r, back;
    must_parse(with("\"client\":\"a\\\"b\\\\c\""), &r);
    char out[REP_JSON_MAX];
    rep_format(&r, out, sizeof(out));
    assert_string_equal(out, "{" BODY ",\"client\":\"a\\\"b\\\\c\"}");
    must_parse(out, &back);
    assert_true(same_report(&r, &back));
}

static void test_format_fails_when_the_buffer_is_too_small(void **state)
{
    (void)state;
    struct rep_report r;
    must_parse("{" BODY ",\"ts\":\"2024-04-03T16:31:07Z\"}", &r);
    char full[REP_JSON_MAX];
    int n = rep_format(&r, full, sizeof(full));
    assert_true(n > 0);
    for (int size = 0; size <= n; size++) {
        char *out = xmalloc((size_t)size + 1);
        assert_int_equal(rep_format(&r, out, (size_t)size), -1);
        free(out);
    }
    char *out = xmalloc((size_t)n + 1);
    assert_int_equal(rep_format(&r, out, (size_t)n + 1), n);
    assert_string_equal(out, full);
    free(out);
}

static void test_longest_report_fits_rep_json_max(void **state)
{
    (void)state;
    struct rep_report r = {.problem = REP_CONNECTION, .ts = TS_MAX, .country = "ZZ"};
    memset(r.service, 'a', REP_SERVICE_MAX);
    memset(r.client, '"', REP_CLIENT_MAX);
    char out[REP_JSON_MAX];
    int n = rep_format(&r, out, sizeof(out));
    assert_true(n > 0 && n < REP_JSON_MAX);
    struct rep_report back;
    must_parse(out, &back);
    assert_true(same_report(&r, &back));
}

static void test_format_refuses_what_parse_could_not_give(void **state)
{
    (void)state;
    struct rep_report r = {.service = "a", .problem = REP_APP, .ts = -2};
    char out[REP_JSON_MAX];
    assert_int_equal(rep_format(&r, out, sizeof(out)), -1);
    r.ts = TS_MAX + 1;
    assert_int_equal(rep_format(&r, out, sizeof(out)), -1);
    r.ts = -1;
    r.problem = REP_PROBLEM_COUNT;
    assert_int_equal(rep_format(&r, out, sizeof(out)), -1);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                                */

static uint64_t rng_state;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return (size_t)(rnd() % n);
}

static void random_report(struct rep_report *r)
{
    static const char first[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
    memset(r, 0, sizeof(*r));
    size_t n = 1 + below(REP_SERVICE_MAX);
    r->service[0] = first[below(sizeof(first) - 1)];
    for (size_t i = 1; i < n; i++)
        r->service[i] = rest[below(sizeof(rest) - 1)];
    if (below(4)) {
        int index;
        do
            index = (int)below(COUNTRY_SLOTS);
        while (!country_valid(index));
        country_code(index, r->country);
    }
    r->problem = (enum rep_problem)below(REP_PROBLEM_COUNT);
    if (below(4)) {
        n = 1 + below(REP_CLIENT_MAX);
        for (size_t i = 0; i < n; i++)
            r->client[i] = (char)(0x21 + below(0x7E - 0x21 + 1));
    }
    r->ts = below(4) ? (int64_t)below((size_t)TS_MAX + 1) : -1;
}

/* Append JSON whitespace, sometimes none. */
static size_t random_ws(char *out, size_t o)
{
    static const char ws[] = " \t\r\n";
    for (size_t k = below(4) ? 0 : 1 + below(3); k > 0; k--)
        out[o++] = ws[below(sizeof(ws) - 1)];
    return o;
}

/* Append s as a JSON string, escaping characters at random (and always
 * where JSON requires it). */
static size_t random_string(char *out, size_t o, const char *s)
{
    out[o++] = '"';
    for (; *s; s++) {
        char c = *s;
        int must = c == '"' || c == '\\';
        if (must && below(2)) {
            out[o++] = '\\';
            out[o++] = c;
        } else if (must || below(8) == 0) {
            o += (size_t)sprintf(out + o, below(2) ? "\\u%04x" : "\\u%04X", c);
        } else if (c == '/' && below(2)) {
            out[o++] = '\\';
            out[o++] = '/';
        } else {
            out[o++] = c;
        }
    }
    out[o++] = '"';
    return o;
}

/* Write r in a random JSON spelling: member order, whitespace, escapes,
 * country case, ts offset and fraction. */
static size_t random_json(const struct rep_report *r, char *out)
{
    char country[3], ts[64];
    const char *names[5], *values[5];
    size_t count = 0;
    names[count] = "service";
    values[count++] = r->service;
    names[count] = "problem";
    values[count++] = rep_problem_name(r->problem);
    if (r->country[0]) {
        country[0] = below(2) ? r->country[0] : (char)(r->country[0] | 0x20);
        country[1] = below(2) ? r->country[1] : (char)(r->country[1] | 0x20);
        country[2] = '\0';
        names[count] = "country";
        values[count++] = country;
    }
    if (r->client[0]) {
        names[count] = "client";
        values[count++] = r->client;
    }
    if (r->ts >= 0) {
        /* A zero offset written as +00:00 or -00:00, or Z, with a fraction. */
        char base[32];
        time_format(r->ts, base, sizeof(base));
        base[19] = '\0';
        static const char *const zones[] = {"Z", "+00:00", "-00:00"};
        snprintf(ts, sizeof(ts), "%s%s%s", base, below(2) ? "" : ".5", zones[below(3)]);
        names[count] = "ts";
        values[count++] = ts;
    }
    for (size_t i = count - 1; i > 0; i--) { /* shuffle */
        size_t j = below(i + 1);
        const char *t = names[i];
        names[i] = names[j];
        names[j] = t;
        t = values[i];
        values[i] = values[j];
        values[j] = t;
    }
    size_t o = random_ws(out, 0);
    out[o++] = '{';
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            out[o++] = ',';
        o = random_ws(out, o);
        o = random_string(out, o, names[i]);
        o = random_ws(out, o);
        out[o++] = ':';
        o = random_ws(out, o);
        o = random_string(out, o, values[i]);
        o = random_ws(out, o);
    }
    out[o++] = '}';
    return random_ws(out, o);
}

static void test_random_valid_reports_round_trip_through_format_and_parse(void **state)
{
    (void)state;
    rng_state = 20240403;
    for (int iter = 0; iter < 20000; iter++) {
        struct rep_report r, back;
        struct rep_error e;
        random_report(&r);
        char out[REP_JSON_MAX];
        int n = rep_format(&r, out, sizeof(out));
        assert_true(n > 0);
        if (parse_n(out, (size_t)n, &back, &e) != 0)
            fail_msg("iteration %d: %s: %s", iter, out, e.detail);
        assert_true(same_report(&r, &back));

        char spelled[4096];
        size_t len = random_json(&r, spelled);
        assert_true(len < sizeof(spelled));
        if (parse_n(spelled, len, &back, &e) != 0)
            fail_msg("iteration %d: %.*s: %s", iter, (int)len, spelled, e.detail);
        assert_true(same_report(&r, &back));
    }
}

static void mutate(char *s, size_t *len, size_t cap)
{
    static const char interesting[] = "{}[],:\"\\ \t\n0-1.eEtfnu\x00\x7f\x80\xbf\xc3\xed\xf0\xff";
    size_t n = *len;
    char byte = below(2) ? interesting[below(sizeof(interesting) - 1)] : (char)below(256);
    switch (below(5)) {
    case 0: /* replace */
        if (n)
            s[below(n)] = byte;
        break;
    case 1: /* insert */
        if (n < cap) {
            size_t at = below(n + 1);
            memmove(s + at + 1, s + at, n - at);
            s[at] = byte;
            *len = n + 1;
        }
        break;
    case 2: /* delete */
        if (n) {
            size_t at = below(n);
            memmove(s + at, s + at + 1, n - at - 1);
            *len = n - 1;
        }
        break;
    case 3: /* truncate */
        *len = below(n + 1);
        break;
    default: { /* duplicate a slice */
        size_t at = below(n + 1), k = below(n - at + 1);
        if (n + k <= cap) {
            memmove(s + at + k, s + at, n - at);
            *len = n + k;
        }
    }
    }
}

static void test_random_mutations_never_crash_and_keep_every_rule(void **state)
{
    (void)state;
    rng_state = 1712161867;
    int parsed = 0;
    for (int iter = 0; iter < 100000; iter++) {
        struct rep_report r, back;
        struct rep_error e;
        random_report(&r);
        char text[4096];
        size_t len = below(2) ? (size_t)rep_format(&r, text, sizeof(text))
                              : random_json(&r, text);
        for (size_t k = 1 + below(4); k > 0; k--)
            mutate(text, &len, sizeof(text));
        if (parse_n(text, len, &back, &e) == 0) {
            parsed++;
            assert_true(report_is_valid(&back));
            char again[REP_JSON_MAX];
            int n = rep_format(&back, again, sizeof(again));
            assert_true(n > 0);
            assert_int_equal(parse_n(again, (size_t)n, &r, &e), 0);
            assert_true(same_report(&r, &back));
        } else {
            assert_in_range(e.code, REP_E_JSON, REP_E_TS);
            if (!printable_ascii(e.detail))
                fail_msg("%.*s: detail not printable: %s", (int)len, text, e.detail);
        }
    }
    assert_true(parsed > 1000); /* the mutations are not all fatal */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_report_is_parsed_into_its_fields),
        cmocka_unit_test(test_absent_optional_fields_are_empty_and_ts_is_minus_one),
        cmocka_unit_test(test_field_order_does_not_matter),
        cmocka_unit_test(test_json_whitespace_is_allowed_around_every_token),
        cmocka_unit_test(test_input_is_bounded_by_len_not_by_a_nul),
        cmocka_unit_test(test_keys_written_with_escapes_still_match),
        cmocka_unit_test(test_values_are_unescaped_before_they_are_checked),
        cmocka_unit_test(test_every_problem_name_is_accepted),
        cmocka_unit_test(test_lowercase_country_is_normalised_to_upper_case),
        cmocka_unit_test(test_zz_is_accepted_as_the_unknown_country),
        cmocka_unit_test(test_ts_offsets_and_fractions_are_converted_to_utc_seconds),
        cmocka_unit_test(test_service_and_client_at_their_maximum_length_are_accepted),
        cmocka_unit_test(test_service_may_hold_digits_dots_underscores_and_dashes),
        cmocka_unit_test(test_empty_input_is_invalid_json),
        cmocka_unit_test(test_every_truncation_of_a_report_is_reported_as_truncated),
        cmocka_unit_test(test_trailing_garbage_after_the_object_is_rejected),
        cmocka_unit_test(test_two_top_level_values_are_rejected),
        cmocka_unit_test(test_trailing_comma_in_an_object_is_rejected),
        cmocka_unit_test(test_leading_and_doubled_commas_are_rejected),
        cmocka_unit_test(test_missing_colon_or_comma_is_rejected),
        cmocka_unit_test(test_misplaced_colons_are_rejected),
        cmocka_unit_test(test_literals_jsmn_accepts_but_json_does_not_are_rejected),
        cmocka_unit_test(test_characters_jsmn_rejects_are_invalid_json),
        cmocka_unit_test(test_non_string_keys_are_rejected),
        cmocka_unit_test(test_unbalanced_brackets_are_rejected),
        cmocka_unit_test(test_invalid_string_escapes_are_rejected),
        cmocka_unit_test(test_valid_short_escapes_are_accepted_in_keys),
        cmocka_unit_test(test_lone_surrogates_are_rejected),
        cmocka_unit_test(test_surrogate_pairs_are_decoded),
        cmocka_unit_test(test_raw_control_characters_in_strings_are_rejected),
        cmocka_unit_test(test_nul_bytes_are_rejected_wherever_they_are),
        cmocka_unit_test(test_whitespace_json_does_not_define_is_rejected),
        cmocka_unit_test(test_too_many_tokens_is_invalid_json),
        cmocka_unit_test(test_valid_json_that_is_not_an_object_is_reported_as_such),
        cmocka_unit_test(test_nested_valid_json_in_a_field_is_a_type_error_not_a_syntax_error),
        cmocka_unit_test(test_invalid_utf8_is_rejected),
        cmocka_unit_test(test_invalid_utf8_is_located_by_its_offset),
        cmocka_unit_test(test_valid_utf8_passes_the_utf8_check),
        cmocka_unit_test(test_unknown_field_is_rejected_with_its_name),
        cmocka_unit_test(test_unknown_field_name_is_escaped_and_cut_in_the_detail),
        cmocka_unit_test(test_duplicate_field_is_rejected),
        cmocka_unit_test(test_non_string_values_are_rejected_as_invalid_type),
        cmocka_unit_test(test_missing_service_or_problem_is_named),
        cmocka_unit_test(test_uppercase_service_is_rejected_with_a_clear_detail),
        cmocka_unit_test(test_service_syntax_is_checked_after_unescaping),
        cmocka_unit_test(test_unknown_problem_lists_the_valid_ones),
        cmocka_unit_test(test_country_must_be_an_assigned_iso_code),
        cmocka_unit_test(test_client_must_be_printable_ascii_without_spaces),
        cmocka_unit_test(test_ts_must_be_an_iso_time_between_1970_and_9999),
        cmocka_unit_test(test_first_problem_in_document_order_is_reported),
        cmocka_unit_test(test_syntax_errors_win_over_field_errors),
        cmocka_unit_test(test_error_names_are_the_stable_api_strings),
        cmocka_unit_test(test_problem_names_round_trip),
        cmocka_unit_test(test_format_writes_keys_in_fixed_order_and_omits_absent_fields),
        cmocka_unit_test(test_format_escapes_quote_and_backslash),
        cmocka_unit_test(test_format_fails_when_the_buffer_is_too_small),
        cmocka_unit_test(test_longest_report_fits_rep_json_max),
        cmocka_unit_test(test_format_refuses_what_parse_could_not_give),
        cmocka_unit_test(test_random_valid_reports_round_trip_through_format_and_parse),
        cmocka_unit_test(test_random_mutations_never_crash_and_keep_every_rule),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
