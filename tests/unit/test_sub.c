/* test_sub.c - unit tests of src/notify/sub.c: the webhooks file's lines
 * (percent-encoding, lists, defaults, every refusal with its line), the
 * API's JSON body with the same checks, the stored spec read back as it
 * was, and what a subscription matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "notify/sub.h"

#define SECRET "0123456789abcdef0123"

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

static int parse_line(const char *line, struct sub *s, char *detail)
{
    memset(s, 0, sizeof(*s));
    return sub_parse_line(line, strlen(line), cat, s, detail, 200);
}

static void a_file_line_gives_a_subscription_with_defaults(void **state)
{
    (void)state;
    struct sub s;
    char detail[200];
    assert_int_equal(parse_line("  oncall  url=https://hooks.example.com/dw?x=1 secret=" SECRET
                                "\towners=Meta,Reddit%2C%20Inc. countries=IN,BR "
                                "min_severity=major description=the%20on-call%20pager",
                                &s, detail),
                     0);
    assert_string_equal(s.id, "oncall");
    assert_true(s.from_file);
    assert_string_equal(s.url, "https://hooks.example.com/dw?x=1");
    assert_string_equal(s.secret, SECRET);
    assert_int_equal(s.owners.n, 2);
    assert_string_equal(s.owners.items[1], "Reddit, Inc.");
    assert_string_equal(s.countries.items[0], "IN");
    assert_int_equal(s.min_severity, SEVERITY_MAJOR);
    assert_int_equal(s.format, SUB_FORMAT_JSON);
    assert_int_equal(s.events, (1u << EVENT_COUNT) - 1);
    assert_string_equal(s.description, "the on-call pager");
    sub_clear(&s);
    assert_int_equal(parse_line("   # a comment", &s, detail), 1);
    assert_int_equal(parse_line("", &s, detail), 1);
}

static void bad_lines_say_what_is_wrong(void **state)
{
    (void)state;
    static const struct {
        const char *line, *why;
    } bad[] = {
        {"Oncall url=http://a.example secret=" SECRET, "is not a subscription name"},
        {"sub_x url=http://a.example secret=" SECRET, "is not a subscription name"},
        {"a url=http://a.example", "missing secret"},
        {"a secret=" SECRET, "missing field \"url\""},
        {"a url=http://a.example secret=short", "secret must be"},
        {"a url=gopher://a.example secret=" SECRET, "url must be"},
        {"a url=http://a.example secret=" SECRET " services=whatsapp,nosuch", "no service \"nosuch\""},
        {"a url=http://a.example secret=" SECRET " services=whatsapp,,x", "empty item"},
        {"a url=http://a.example secret=" SECRET " services=whatsapp,whatsapp", "twice"},
        {"a url=http://a.example secret=" SECRET " url=http://b.example", "url given twice"},
        {"a url=http://a.example secret=" SECRET " colour=red", "unknown key \"colour\""},
        {"a url=http://a.example secret=" SECRET " owners", "expected key=value"},
        {"a url=http://a.example secret=" SECRET " owners=Meta%2", "two hex digits"},
        {"a url=http://a.example secret=" SECRET " countries=in", "not an ISO 3166-1"},
        {"a url=http://a.example secret=" SECRET " events=opened,paged", "not an event"},
        {"a url=http://a.example secret=" SECRET " description=a%0Ab", "description is"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sub s;
        char detail[200] = "";
        assert_int_equal(parse_line(bad[i].line, &s, detail), -1);
        if (!strstr(detail, bad[i].why))
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].line, detail, bad[i].why);
        sub_clear(&s);
    }
}

static void a_file_is_all_good_or_refused_whole(void **state)
{
    (void)state;
    struct sub *subs;
    char err[256];
    const char good[] = "# webhooks\r\na url=http://a.example secret=" SECRET "\r\n\r\n"
                        "b url=http://b.example secret=" SECRET " format=slack";
    assert_int_equal(sub_parse_file(good, strlen(good), cat, &subs, err, sizeof(err)), 2);
    assert_string_equal(subs[1].id, "b");
    assert_int_equal(subs[1].format, SUB_FORMAT_SLACK);
    sub_free_all(subs, 2);
    const char twice[] = "a url=http://a.example secret=" SECRET "\n"
                         "a url=http://b.example secret=" SECRET "\n";
    assert_int_equal(sub_parse_file(twice, strlen(twice), cat, &subs, err, sizeof(err)), -1);
    assert_string_equal(err, "line 2: the name a is used twice");
    const char nul[] = "a url=http://a.example secret=" SECRET "\0x\n";
    assert_int_equal(sub_parse_file(nul, sizeof(nul) - 1, cat, &subs, err, sizeof(err)), -1);
    assert_string_equal(err, "line 1: a NUL byte");
}

static void the_json_body_takes_the_same_fields(void **state)
{
    (void)state;
    struct sub s = {0};
    const char *code;
    char detail[200];
    const char body[] = "{\"url\":\"http://a.example/x\",\"services\":[\"whatsapp\",\"instagram\"],"
                        "\"events\":[\"opened\",\"resolved\"],\"format\":\"slack\"}";
    assert_int_equal(sub_parse_json(body, strlen(body), cat, &s, &code, detail, sizeof(detail)),
                     0);
    assert_null(s.secret); /* the caller generates one */
    assert_int_equal(s.services.n, 2);
    assert_true(sub_wants(&s, EVENT_RESOLVED));
    assert_false(sub_wants(&s, EVENT_UPDATED));
    sub_clear(&s);
    static const struct {
        const char *body, *code;
    } bad[] = {
        {"{\"url\":\"http://a.example\",\"services\":\"whatsapp\"}", "invalid_services"},
        {"{\"url\":\"http://a.example\",\"services\":[1]}", "invalid_services"},
        {"{\"url\":[\"http://a.example\"]}", "invalid_url"},
        {"{\"url\":\"http://a.example\",\"format\":[]}", "invalid_format"},
        {"{\"url\":\"http://a.example\",\"url\":\"http://b.example\"}", "duplicate_field"},
        {"{\"url\":\"http://a.example\",\"secret\":\"0123456789\\u0000abcdef\"}", "invalid_secret"},
        {"{\"url\":\"http://a.example\",\"description\":\"a\\u0007b\"}", "invalid_description"},
        {"{\"url\":\"http://a.example\",\"owners\":[\"Nobody\"]}", "invalid_owners"},
        {"[]", "not_an_object"},
        {"{\"url\":\"http://a.example\"", "invalid_json"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&s, 0, sizeof(s));
        assert_int_equal(sub_parse_json(bad[i].body, strlen(bad[i].body), cat, &s, &code, detail,
                                        sizeof(detail)),
                         -1);
        if (strcmp(code, bad[i].code) != 0)
            fail_msg("%s: %s, not %s", bad[i].body, code, bad[i].code);
        sub_clear(&s);
    }
}

static void the_stored_spec_reads_back_the_same(void **state)
{
    (void)state;
    struct sub s, back = {0};
    char detail[200];
    const char *code;
    assert_int_equal(parse_line("x url=http://a.example/%3Fq secret=" SECRET " services=jio "
                                "groups=whatsapp-20240403T163030Z events=updated",
                                &s, detail),
                     0);
    struct buf spec, one, two;
    buf_init(&spec);
    buf_init(&one);
    buf_init(&two);
    sub_spec_json(&s, &spec);
    assert_int_equal(sub_parse_json(spec.data, spec.len, NULL, &back, &code, detail,
                                    sizeof(detail)),
                     0);
    snprintf(back.id, sizeof(back.id), "%s", s.id);
    back.from_file = 1;
    sub_json(&s, 1, &one);
    sub_json(&back, 1, &two);
    assert_string_equal(one.data, two.data);
    buf_free(&spec);
    buf_free(&one);
    buf_free(&two);
    sub_clear(&s);
    sub_clear(&back);
}

static void filters_match_on_every_list_given_and_the_severity(void **state)
{
    (void)state;
    struct sub s;
    char detail[200];
    assert_int_equal(parse_line("x url=http://a.example secret=" SECRET, &s, detail), 0);
    assert_true(sub_matches(&s, "jio", "Reliance Jio", NULL, "", SEVERITY_MINOR));
    sub_clear(&s);
    assert_int_equal(parse_line("x url=http://a.example secret=" SECRET " owners=Meta "
                                "countries=JP,BR min_severity=major",
                                &s, detail),
                     0);
    assert_true(sub_matches(&s, "whatsapp", "Meta", NULL, "IN,BR,GB", SEVERITY_MAJOR));
    assert_true(sub_matches(&s, "whatsapp", "Meta", "g", "BR", SEVERITY_CRITICAL));
    assert_false(sub_matches(&s, "whatsapp", "Meta", NULL, "IN,BR", SEVERITY_MINOR));
    assert_false(sub_matches(&s, "whatsapp", "Meta", NULL, "IN,GB", SEVERITY_CRITICAL));
    assert_false(sub_matches(&s, "whatsapp", "Meta", NULL, "", SEVERITY_CRITICAL));
    assert_false(sub_matches(&s, "youtube", "Google", NULL, "BR", SEVERITY_CRITICAL));
    sub_clear(&s);
    assert_int_equal(parse_line("x url=http://a.example secret=" SECRET " groups=g1", &s, detail),
                     0);
    assert_false(sub_matches(&s, "whatsapp", "Meta", NULL, "BR", SEVERITY_MINOR));
    assert_true(sub_matches(&s, "whatsapp", "Meta", "g1", "BR", SEVERITY_MINOR));
    sub_clear(&s);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_file_line_gives_a_subscription_with_defaults),
        cmocka_unit_test(bad_lines_say_what_is_wrong),
        cmocka_unit_test(a_file_is_all_good_or_refused_whole),
        cmocka_unit_test(the_json_body_takes_the_same_fields),
        cmocka_unit_test(the_stored_spec_reads_back_the_same),
        cmocka_unit_test(filters_match_on_every_list_given_and_the_severity),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, setup, teardown);
}
