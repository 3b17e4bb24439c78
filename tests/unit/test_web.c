/* test_web.c - unit tests for src/web/web.c: routing of page and asset
 * paths, Accept-Encoding and If-None-Match parsing (the latter is
 * http_etag_matches, which the pages use), content types, and the
 * embedded table itself (every page and asset the build made is there,
 * with validators and real gzip variants, and every /assets/ name that a
 * page, script or stylesheet refers to is embedded).
 *
 * Run one test by name: test_web NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/server.h"
#include "web/web.h"

extern const struct web_asset web__assets[];
extern const size_t web__nassets;

static void test_pages_are_routed_whatever_the_id(void **state)
{
    const struct web_asset *home = web_find("/index.html");
    const struct web_asset *service = web_find("/service.html");
    const struct web_asset *incident = web_find("/incident.html");
    assert_non_null(home);
    assert_non_null(service);
    assert_non_null(incident);
    assert_ptr_equal(web_route("/"), home);
    assert_ptr_equal(web_route("/s/whatsapp"), service);
    assert_ptr_equal(web_route("/s/any-thing_1"), service);
    assert_ptr_equal(web_route("/i/whatsapp-20240403T163030Z"), incident);
}

static void test_other_paths_are_not_routed(void **state)
{
    const char *paths[] = {"/s/", "/i/", "/s", "/s/a/b", "/i/x/", "/index.html", "/service.html",
                           "/favicon.ico", "/assets/", "/assets/nothing.js", "", "//", "/api"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (web_route(paths[i]))
            fail_msg("\"%s\" was routed to %s", paths[i], web_route(paths[i])->path);
}

static void test_assets_are_found_by_their_hashed_names_only(void **state)
{
    int assets = 0;
    for (size_t i = 0; i < web__nassets; i++) {
        const struct web_asset *a = &web__assets[i];
        if (strncmp(a->path, "/assets/", 8) != 0)
            continue;
        assets++;
        assert_ptr_equal(web_route(a->path), a);
        /* name.<10 hex>.ext */
        const char *dot = strrchr(a->path, '.');
        assert_true(dot - a->path > 11 && dot[-11] == '.');
        for (const char *h = dot - 10; h < dot; h++)
            assert_non_null(strchr("0123456789abcdef", *h));
    }
    assert_true(assets >= 8); /* css, js, catalogs, map */
}

static void test_every_asset_has_validators_and_a_real_gzip_variant(void **state)
{
    for (size_t i = 0; i < web__nassets; i++) {
        const struct web_asset *a = &web__assets[i];
        assert_true(a->len > 0);
        assert_int_equal(strlen(a->etag), 18); /* "16 hex" */
        assert_true(a->etag[0] == '"' && a->etag[17] == '"');
        assert_string_not_equal(a->etag, a->gz_etag);
        if (a->gz) {
            assert_true(a->gz_len > 18 && a->gz_len < a->len);
            assert_int_equal(a->gz[0], 0x1f); /* gzip magic */
            assert_int_equal(a->gz[1], 0x8b);
        }
    }
    assert_non_null(web_find("/index.html")->gz);
}

/* Every "/assets/..." inside text files names an embedded file. */
static void test_every_asset_reference_is_embedded(void **state)
{
    int refs = 0;
    for (size_t i = 0; i < web__nassets; i++) {
        const struct web_asset *a = &web__assets[i];
        const char *type = web_content_type(a->path);
        if (!strstr(type, "html") && !strstr(type, "javascript") && !strstr(type, "css"))
            continue;
        const char *end = (const char *)a->data + a->len;
        for (const char *p = (const char *)a->data; (p = memmem(p, (size_t)(end - p), "/assets/", 8));) {
            char ref[256];
            size_t n = 0;
            while (p + n < end && n < sizeof(ref) - 1 && (strchr("._-/", p[n]) ||
                   (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
                   (p[n] >= '0' && p[n] <= '9')))
                n++;
            memcpy(ref, p, n);
            ref[n] = '\0';
            p += n;
            if (strchr(ref + 8, '.') == NULL)
                continue; /* a prefix in code, not a file */
            if (!web_find(ref))
                fail_msg("%s refers to %s, which is not embedded", a->path, ref);
            refs++;
        }
    }
    assert_true(refs >= 10);
}

static void test_gzip_is_accepted_unless_its_q_is_zero(void **state)
{
    assert_true(web_accepts_gzip("gzip"));
    assert_true(web_accepts_gzip("gzip, deflate, br"));
    assert_true(web_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
    assert_true(web_accepts_gzip("deflate, GZIP"));
    assert_true(web_accepts_gzip("x-gzip"));
    assert_true(web_accepts_gzip("*"));
    assert_true(web_accepts_gzip(" gzip ; q=0.5"));
    assert_false(web_accepts_gzip(NULL));
    assert_false(web_accepts_gzip(""));
    assert_false(web_accepts_gzip("identity"));
    assert_false(web_accepts_gzip("deflate, br"));
    assert_false(web_accepts_gzip("gzip;q=0"));
    assert_false(web_accepts_gzip("gzip;q=0.000, deflate"));
    assert_false(web_accepts_gzip("gzipped"));
    assert_false(web_accepts_gzip("x-gzip2"));
    assert_false(web_accepts_gzip(",,,;;;q="));
}

static void test_if_none_match_compares_weakly_and_takes_lists_and_star(void **state)
{
    const char *e = "\"0123456789abcdef\"";
    assert_true(http_etag_matches(e, e));
    assert_true(http_etag_matches("W/\"0123456789abcdef\"", e));
    assert_true(http_etag_matches("\"x\", \"0123456789abcdef\"", e));
    assert_true(http_etag_matches("\"x\",\"0123456789abcdef\"", e));
    assert_true(http_etag_matches("*", e));
    assert_false(http_etag_matches(NULL, e));
    assert_false(http_etag_matches("", e));
    assert_false(http_etag_matches("\"0123456789abcdef", e));
    assert_false(http_etag_matches("\"0123456789abcdef\"x", e));
    assert_false(http_etag_matches("\"0123456789abcdef-gz\"", e));
    assert_false(http_etag_matches("0123456789abcdef", e));
}

static void test_content_types_follow_the_extension(void **state)
{
    assert_string_equal(web_content_type("/index.html"), "text/html; charset=utf-8");
    assert_string_equal(web_content_type("/assets/js/core.0123456789.js"),
                        "text/javascript; charset=utf-8");
    assert_string_equal(web_content_type("/assets/css/app.0123456789.css"), "text/css; charset=utf-8");
    assert_string_equal(web_content_type("/assets/i18n/bn.0123456789.json"), "application/json");
    assert_string_equal(web_content_type("/assets/map/world.0123456789.svg"), "image/svg+xml");
    assert_string_equal(web_content_type("/assets/x"), "application/octet-stream");
    assert_string_equal(web_content_type("/assets/x.exe"), "application/octet-stream");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_are_routed_whatever_the_id),
        cmocka_unit_test(test_other_paths_are_not_routed),
        cmocka_unit_test(test_assets_are_found_by_their_hashed_names_only),
        cmocka_unit_test(test_every_asset_has_validators_and_a_real_gzip_variant),
        cmocka_unit_test(test_every_asset_reference_is_embedded),
        cmocka_unit_test(test_gzip_is_accepted_unless_its_q_is_zero),
        cmocka_unit_test(test_if_none_match_compares_weakly_and_takes_lists_and_star),
        cmocka_unit_test(test_content_types_follow_the_extension),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
