/* test_catalog.c - unit tests for src/catalog: the built-in services, lookup
 * by id, and the catalog file parser (extend, replace, strict errors that
 * name the line and apply nothing).
 *
 * Run one test by name: test_catalog NAME (or a glob: test_catalog 'load_*'). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog/catalog.h"
#include "core/alloc.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static int find(const struct catalog *cat, const char *id)
{
    return catalog_find(cat, id, strlen(id));
}

static const struct cat_service *get(const struct catalog *cat, const char *id)
{
    int i = find(cat, id);
    return i < 0 ? NULL : catalog_at(cat, (size_t)i);
}

static int parse(struct catalog *cat, const char *text, char *err, size_t errsz)
{
    return catalog_parse(cat, text, strlen(text), err, errsz);
}

static int valid_id(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > REP_SERVICE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 (i > 0 && (c == '.' || c == '_' || c == '-'));
        if (!ok)
            return 0;
    }
    return 1;
}

/* True if both catalogs hold the same services at the same indexes. */
static int same_catalog(const struct catalog *a, const struct catalog *b)
{
    if (catalog_count(a) != catalog_count(b))
        return 0;
    for (size_t i = 0; i < catalog_count(a); i++) {
        const struct cat_service *x = catalog_at(a, i), *y = catalog_at(b, i);
        if (strcmp(x->id, y->id) || strcmp(x->name, y->name) || strcmp(x->owner, y->owner) ||
            strcmp(x->category, y->category) || x->problems != y->problems)
            return 0;
    }
    return 1;
}

/* Write text to a fresh temporary file; the caller unlinks it. */
static void write_temp(char *path, size_t pathsz, const char *text, size_t len)
{
    int fd;

    snprintf(path, pathsz, "/tmp/test_catalog_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

#define BIT(p) (1u << (p))

/* ------------------------------------------------------------------------ */
/* Built-in catalog                                                          */

static void builtin_has_every_service_the_traffic_generator_uses(void **state)
{
    static const char *const ids[] = {"whatsapp", "instagram", "facebook", "messenger",
                                      "youtube", "gmail", "x", "telegram",
                                      "netflix", "spotify", "discord", "jio"};
    struct catalog *cat = catalog_builtin();
    (void)state;

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (find(cat, ids[i]) < 0)
            fail_msg("built-in catalog lacks \"%s\"", ids[i]);
    }
    catalog_free(cat);
}

static void meta_owns_whatsapp_instagram_facebook_and_messenger(void **state)
{
    struct catalog *cat = catalog_builtin();
    (void)state;

    assert_string_equal(get(cat, "whatsapp")->owner, "Meta");
    assert_string_equal(get(cat, "instagram")->owner, "Meta");
    assert_string_equal(get(cat, "facebook")->owner, "Meta");
    assert_string_equal(get(cat, "messenger")->owner, "Meta");
    assert_string_equal(get(cat, "youtube")->owner, "Google");
    assert_string_equal(get(cat, "gmail")->owner, "Google");
    assert_string_equal(get(cat, "x")->owner, "X Corp.");
    assert_string_equal(get(cat, "jio")->owner, "Reliance Jio");
    assert_string_equal(get(cat, "jio")->category, "telecom");
    catalog_free(cat);
}

static void builtin_has_about_fifty_services(void **state)
{
    struct catalog *cat = catalog_builtin();
    (void)state;

    assert_in_range(catalog_count(cat), 45, 60);
    catalog_free(cat);
}

static void every_builtin_id_is_valid_and_unique(void **state)
{
    struct catalog *cat = catalog_builtin();
    (void)state;

    for (size_t i = 0; i < catalog_count(cat); i++) {
        const struct cat_service *s = catalog_at(cat, i);
        if (!valid_id(s->id))
            fail_msg("invalid built-in id \"%s\"", s->id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->id, catalog_at(cat, j)->id) == 0)
                fail_msg("built-in id \"%s\" appears twice", s->id);
    }
    catalog_free(cat);
}

static void every_builtin_service_has_a_name_owner_and_category(void **state)
{
    struct catalog *cat = catalog_builtin();
    (void)state;

    for (size_t i = 0; i < catalog_count(cat); i++) {
        const struct cat_service *s = catalog_at(cat, i);
        assert_true(s->name[0] != '\0');
        assert_true(s->owner[0] != '\0');
        assert_true(s->category[0] != '\0');
    }
    catalog_free(cat);
}

static void every_builtin_service_accepts_other_and_only_known_problems(void **state)
{
    struct catalog *cat = catalog_builtin();
    (void)state;

    for (size_t i = 0; i < catalog_count(cat); i++) {
        const struct cat_service *s = catalog_at(cat, i);
        assert_true(s->problems & BIT(REP_OTHER));
        assert_int_equal(s->problems >> REP_PROBLEM_COUNT, 0);
        /* every service has at least one specific symptom besides "other" */
        assert_true(s->problems & ~BIT(REP_OTHER));
    }
    assert_true(get(cat, "whatsapp")->problems & BIT(REP_CALLS));
    assert_true(get(cat, "instagram")->problems & BIT(REP_FEED));
    catalog_free(cat);
}

static void load_without_a_path_gives_the_builtin_catalog(void **state)
{
    char err[256];
    struct catalog *builtin = catalog_builtin();
    struct catalog *a = catalog_load(NULL, err, sizeof(err));
    struct catalog *b = catalog_load("", err, sizeof(err));
    (void)state;

    assert_non_null(a);
    assert_non_null(b);
    assert_true(same_catalog(a, builtin));
    assert_true(same_catalog(b, builtin));
    catalog_free(a);
    catalog_free(b);
    catalog_free(builtin);
}

/* ------------------------------------------------------------------------ */
/* Lookup                                                                    */

static void find_returns_the_dense_index_of_every_service(void **state)
{
    struct catalog *cat = catalog_builtin();
    (void)state;

    for (size_t i = 0; i < catalog_count(cat); i++)
        assert_int_equal(find(cat, catalog_at(cat, i)->id), (int)i);
    catalog_free(cat);
}

static void find_reads_only_len_bytes_of_the_id(void **state)
{
    struct catalog *cat = catalog_builtin();
    char buf[8];
    (void)state;

    memcpy(buf, "whatsapp", sizeof(buf)); /* exactly 8 bytes, no NUL */
    assert_int_equal(catalog_find(cat, buf, sizeof(buf)), find(cat, "whatsapp"));
    assert_int_equal(catalog_find(cat, "xbox-one", 1), find(cat, "x"));
    assert_int_equal(catalog_find(cat, "instagram\",\"country\"", 9), find(cat, "instagram"));
    catalog_free(cat);
}

static void find_rejects_unknown_prefix_longer_empty_and_upper_case_ids(void **state)
{
    struct catalog *cat = catalog_builtin();
    char longid[REP_SERVICE_MAX + 10];
    (void)state;

    memset(longid, 'a', sizeof(longid));
    assert_int_equal(find(cat, "myspace"), -1);
    assert_int_equal(find(cat, "whats"), -1);
    assert_int_equal(find(cat, "whatsappx"), -1);
    assert_int_equal(find(cat, "WhatsApp"), -1);
    assert_int_equal(catalog_find(cat, "whatsapp", 0), -1);
    assert_int_equal(catalog_find(cat, longid, sizeof(longid)), -1);
    catalog_free(cat);
}

static void at_returns_null_past_the_end(void **state)
{
    struct catalog *cat = catalog_builtin();
    (void)state;

    assert_non_null(catalog_at(cat, catalog_count(cat) - 1));
    assert_null(catalog_at(cat, catalog_count(cat)));
    assert_null(catalog_at(cat, SIZE_MAX));
    catalog_free(cat);
}

/* ------------------------------------------------------------------------ */
/* Catalog files                                                             */

static void a_file_adds_new_services_after_the_builtin_ones(void **state)
{
    struct catalog *cat = catalog_builtin();
    size_t n = catalog_count(cat);
    char err[256] = "";
    const struct cat_service *s;
    (void)state;

    assert_int_equal(parse(cat, "bluesky | Bluesky | Bluesky Social PBC | social | login,feed\n"
                                "mastodon.social|Mastodon|Mastodon gGmbH|social|feed", err, sizeof(err)), 0);
    assert_int_equal(catalog_count(cat), n + 2);
    assert_int_equal(find(cat, "bluesky"), (int)n);
    assert_int_equal(find(cat, "mastodon.social"), (int)n + 1);
    s = get(cat, "bluesky");
    assert_string_equal(s->name, "Bluesky");
    assert_string_equal(s->owner, "Bluesky Social PBC");
    assert_string_equal(s->category, "social");
    assert_int_equal(s->problems, BIT(REP_LOGIN) | BIT(REP_FEED) | BIT(REP_OTHER));
    assert_int_equal(find(cat, "whatsapp"), 0);
    catalog_free(cat);
}

static void a_file_entry_with_a_builtin_id_replaces_it_in_place(void **state)
{
    struct catalog *cat = catalog_builtin();
    size_t n = catalog_count(cat);
    int idx = find(cat, "x");
    char err[256] = "";
    (void)state;

    assert_int_equal(parse(cat, "x | Twitter | Twitter, Inc. | social | feed, login\n", err, sizeof(err)), 0);
    assert_int_equal(catalog_count(cat), n);
    assert_int_equal(find(cat, "x"), idx);
    assert_string_equal(get(cat, "x")->name, "Twitter");
    assert_string_equal(get(cat, "x")->owner, "Twitter, Inc.");
    assert_int_equal(get(cat, "x")->problems, BIT(REP_FEED) | BIT(REP_LOGIN) | BIT(REP_OTHER));
    assert_string_equal(get(cat, "whatsapp")->name, "WhatsApp");
    catalog_free(cat);
}

static void replace_directive_drops_the_builtin_services(void **state)
{
    struct catalog *cat = catalog_builtin();
    char err[256] = "";
    (void)state;

    assert_int_equal(parse(cat, "# our own services only\n"
                                "!replace\n"
                                "shop | Our Shop | Example Ltd | shopping | website,app\n"
                                "whatsapp | WhatsApp | Meta | messaging | messages\n", err, sizeof(err)), 0);
    assert_int_equal(catalog_count(cat), 2);
    assert_int_equal(find(cat, "shop"), 0);
    assert_int_equal(find(cat, "whatsapp"), 1);
    assert_int_equal(find(cat, "instagram"), -1);
    catalog_free(cat);
}

static void comments_blank_lines_whitespace_crlf_and_a_bom_are_accepted(void **state)
{
    struct catalog *cat = catalog_builtin();
    size_t n = catalog_count(cat);
    char err[256] = "";
    const struct cat_service *s;
    (void)state;

    assert_int_equal(parse(cat, "\xef\xbb\xbf# comment | with | pipes\r\n"
                                "\r\n"
                                "   \t\n"
                                "  # indented comment\n"
                                "\t news.example |  Les Échos  \t| Groupe Les Échos |news| website , app \r\n",
                           err, sizeof(err)), 0);
    assert_int_equal(catalog_count(cat), n + 1);
    s = get(cat, "news.example");
    assert_non_null(s);
    assert_string_equal(s->name, "Les Échos");
    assert_string_equal(s->owner, "Groupe Les Échos");
    assert_string_equal(s->category, "news");
    assert_int_equal(s->problems, BIT(REP_WEBSITE) | BIT(REP_APP) | BIT(REP_OTHER));
    catalog_free(cat);
}

static void an_empty_file_leaves_the_catalog_as_it_was(void **state)
{
    struct catalog *cat = catalog_builtin();
    struct catalog *ref = catalog_builtin();
    char err[256] = "";
    (void)state;

    assert_int_equal(catalog_parse(cat, "", 0, err, sizeof(err)), 0);
    assert_int_equal(parse(cat, "# nothing here\n\n", err, sizeof(err)), 0);
    assert_true(same_catalog(cat, ref));
    catalog_free(cat);
    catalog_free(ref);
}

static void names_of_exactly_the_size_limit_are_accepted(void **state)
{
    struct catalog *cat = catalog_builtin();
    char line[512], name[CAT_NAME_MAX + 1], id[REP_SERVICE_MAX + 1];
    char err[256] = "";
    (void)state;

    /* 32 two-byte characters: 64 bytes of UTF-8 */
    name[0] = '\0';
    for (int i = 0; i < CAT_NAME_MAX / 2; i++)
        strcat(name, "\xc3\xa9");
    memset(id, 'a', REP_SERVICE_MAX);
    id[REP_SERVICE_MAX] = '\0';
    snprintf(line, sizeof(line), "%s | %s | %s | abcdefghijklmnopqrstuvwxyz01234 | other", id,
             name, name);
    assert_int_equal(parse(cat, line, err, sizeof(err)), 0);
    assert_string_equal(get(cat, id)->name, name);
    assert_string_equal(get(cat, id)->category, "abcdefghijklmnopqrstuvwxyz01234");
    catalog_free(cat);
}

/* One bad file and the error it must give. */
struct bad_case {
    const char *text;
    const char *error; /* expected error message (exact) */
};

static const struct bad_case bad_cases[] = {
    {"ok | OK | Ok | misc | app\nWhatsApp | WhatsApp | Meta | messaging | login\n",
     "line 2: id \"WhatsApp\" has an upper-case letter; ids are lower-case"},
    {"ok | OK | Ok | misc | app\n\n-bad | Bad | Bad | misc | app\n",
     "line 3: id \"-bad\" is not of the form [a-z0-9][a-z0-9._-]*"},
    {"my service | S | O | misc | app\n",
     "line 1: id \"my service\" is not of the form [a-z0-9][a-z0-9._-]*"},
    {" | S | O | misc | app\n", "line 1: id is empty"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | S | O | misc | app\n",
     "line 1: id \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is 65 bytes long; the limit is 64"},
    {"svc |  | Owner | misc | app\n", "line 1: name is empty"},
    {"svc | Name |   | misc | app\n", "line 1: owner is empty"},
    {"svc | 12345678901234567890123456789012345678901234567890123456789012345 | O | misc | app\n",
     "line 1: name is 65 bytes long; the limit is 64"},
    {"svc | Caf\xe9 | O | misc | app\n", "line 1: name \"Caf\\xe9\" is not valid UTF-8 (byte 4)"},
    {"svc | N | \xc0\xaf | misc | app\n", "line 1: owner \"\\xc0\\xaf\" is not valid UTF-8 (byte 1)"},
    {"svc | \xed\xa0\x80 | O | misc | app\n",
     "line 1: name \"\\xed\\xa0\\x80\" is not valid UTF-8 (byte 1)"},
    {"svc | \xe2\x82 | O | misc | app\n", "line 1: name \"\\xe2\\x82\" is not valid UTF-8 (byte 1)"},
    {"svc | A\tB | O | misc | app\n",
     "line 1: name \"A\\x09B\" contains the control character U+0009"},
    {"svc | A\xc2\x85 | O | misc | app\n",
     "line 1: name \"A\\xc2\\x85\" contains the control character U+0085"},
    {"# fine\nsvc | A\x01 | O | misc | app\n", "line 2: control character 0x01 in column 8"},
    {"svc | A | O | misc | app\rx\n", "line 1: control character 0x0d in column 25"},
    {"svc | A | O | misc | app\n\x7f\n", "line 2: control character 0x7f in column 1"},
    {"svc | A | O | misc | logn\n",
     "line 1: unknown problem \"logn\" (known: login, messages, calls, app, website, feed, "
     "connection, other)"},
    {"svc | A | O | misc | Login\n",
     "line 1: unknown problem \"Login\" (known: login, messages, calls, app, website, feed, "
     "connection, other)"},
    {"svc | A | O | misc | login,,app\n", "line 1: empty problem name in the list \"login,,app\""},
    {"svc | A | O | misc | \n",
     "line 1: no problems listed; name at least one (\"other\" fits any service)"},
    {"svc | A | O | misc | app, login, app\n", "line 1: problem \"app\" is listed twice"},
    {"svc | A | O | | app\n", "line 1: category is empty"},
    {"svc | A | O | Video | app\n", "line 1: category \"Video\" is not of the form [a-z0-9][a-z0-9_-]*"},
    {"svc | A | O | abcdefghijklmnopqrstuvwxyz012345 | app\n",
     "line 1: category \"abcdefghijklmnopqrstuvwxyz012345\" is 32 bytes long; the limit is 31"},
    {"svc | A | O | misc\n",
     "line 1: expected 5 fields separated by '|' (id | name | owner | category | problems), found 4"},
    {"svc | A | O | misc | app | extra\n",
     "line 1: expected 5 fields separated by '|' (id | name | owner | category | problems), found 6"},
    {"svc\n",
     "line 1: expected 5 fields separated by '|' (id | name | owner | category | problems), found 1"},
    {"a | A | O | misc | app\nb | B | O | misc | app\n\na | A2 | O | misc | app\n",
     "line 4: duplicate id \"a\" (first on line 1)"},
    {"whatsapp | W | Meta | messaging | app\nwhatsapp | W | Meta | messaging | app\n",
     "line 2: duplicate id \"whatsapp\" (first on line 1)"},
    {"!replace\n!replace\n", "line 2: !replace must come once, before any service"},
    {"svc | A | O | misc | app\n!replace\n", "line 2: !replace must come once, before any service"},
    {"!extend\n", "line 1: unknown directive \"!extend\" (the only one is !replace)"},
    {"!replace # all of it\n",
     "line 1: unknown directive \"!replace # all of it\" (the only one is !replace)"},
    {"!replace\n# nothing\n", "the file says !replace but lists no service"},
};

static void bad_lines_are_reported_with_their_line_number_and_change_nothing(void **state)
{
    struct catalog *ref = catalog_builtin();
    (void)state;

    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct catalog *cat = catalog_builtin();
        char err[256] = "";
        int rc = parse(cat, bad_cases[i].text, err, sizeof(err));
        int unchanged = same_catalog(cat, ref);

        catalog_free(cat);
        if (rc != -1 || strcmp(err, bad_cases[i].error) != 0) {
            catalog_free(ref);
            fail_msg("case %zu: rc %d, error\n  got:  %s\n  want: %s", i, rc, err,
                     bad_cases[i].error);
        }
        if (!unchanged) {
            catalog_free(ref);
            fail_msg("case %zu: a failed parse changed the catalog", i);
        }
    }
    catalog_free(ref);
}

static void a_failed_parse_applies_none_of_the_good_lines_before_it(void **state)
{
    struct catalog *cat = catalog_builtin();
    struct catalog *ref = catalog_builtin();
    char err[256] = "";
    (void)state;

    assert_int_equal(parse(cat, "new | New | N | misc | app\n"
                                "whatsapp | Broken | Nobody | misc | app\n"
                                "bad | B | O | misc | nope\n", err, sizeof(err)), -1);
    assert_string_equal(err, "line 3: unknown problem \"nope\" (known: login, messages, calls, "
                             "app, website, feed, connection, other)");
    assert_true(same_catalog(cat, ref));
    assert_int_equal(find(cat, "new"), -1);

    assert_int_equal(parse(cat, "!replace\nnew | New | N | misc | app\nbad\n", err, sizeof(err)), -1);
    assert_true(same_catalog(cat, ref));
    catalog_free(cat);
    catalog_free(ref);
}

static void a_text_without_a_final_newline_or_nul_is_parsed_to_its_length(void **state)
{
    struct catalog *cat = catalog_builtin();
    static const char text[] = "svc | S | O | misc | app\nzzz | Z | O | misc | app";
    char err[256] = "";
    (void)state;

    /* stop before "zzz": only the first line and an empty tail are read */
    assert_int_equal(catalog_parse(cat, text, strlen("svc | S | O | misc | app\n"), err, sizeof(err)), 0);
    assert_true(find(cat, "svc") >= 0);
    assert_int_equal(find(cat, "zzz"), -1);
    /* cut inside the last line, no NUL there: "zzz | Z | O | misc | ap" */
    assert_int_equal(catalog_parse(cat, text + strlen("svc | S | O | misc | app\n"),
                                   strlen("zzz | Z | O | misc | ap"), err, sizeof(err)), -1);
    assert_string_equal(err, "line 1: unknown problem \"ap\" (known: login, messages, calls, "
                             "app, website, feed, connection, other)");
    catalog_free(cat);
}

static void nul_bytes_in_the_text_are_control_characters(void **state)
{
    struct catalog *cat = catalog_builtin();
    static const char text[] = "svc | S\0X | O | misc | app\n";
    char err[256] = "";
    (void)state;

    assert_int_equal(catalog_parse(cat, text, sizeof(text) - 1, err, sizeof(err)), -1);
    assert_string_equal(err, "line 1: control character 0x00 in column 8");
    catalog_free(cat);
}

/* Build a file of n distinct services, after "!replace" if replace. */
static char *many_services(size_t n, int replace)
{
    size_t cap = n * 48 + 16, len = 0;
    char *text = xmalloc(cap);

    len += (size_t)snprintf(text, cap, "%s", replace ? "!replace\n" : "");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "svc%zu | Service %zu | Owner | misc | app\n", i, i);
    assert_true(len < cap);
    return text;
}

static void a_catalog_holds_up_to_the_service_limit_and_no_more(void **state)
{
    struct catalog *cat = catalog_builtin();
    size_t n = catalog_count(cat);
    char err[256] = "";
    char *text;
    char want[128];
    (void)state;

    text = many_services(CAT_MAX_SERVICES, 1);
    assert_int_equal(parse(cat, text, err, sizeof(err)), 0);
    assert_int_equal(catalog_count(cat), CAT_MAX_SERVICES);
    for (size_t i = 0; i < CAT_MAX_SERVICES; i += 97) {
        char id[32];
        snprintf(id, sizeof(id), "svc%zu", i);
        assert_int_equal(find(cat, id), (int)i);
    }
    free(text);
    catalog_free(cat);

    cat = catalog_builtin();
    text = many_services(CAT_MAX_SERVICES - n + 1, 0);
    assert_int_equal(parse(cat, text, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "line %zu: too many services; the limit is %d",
             CAT_MAX_SERVICES - n + 1, CAT_MAX_SERVICES);
    assert_string_equal(err, want);
    assert_int_equal(catalog_count(cat), n);
    free(text);
    catalog_free(cat);
}

static void a_short_error_buffer_is_cut_and_still_terminated(void **state)
{
    struct catalog *cat = catalog_builtin();
    char err[12];
    (void)state;

    memset(err, 'z', sizeof(err));
    assert_int_equal(parse(cat, "svc | A | O | misc | logn\n", err, sizeof(err)), -1);
    assert_string_equal(err, "line 1: unk");
    assert_int_equal(parse(cat, "svc | A | O | misc | logn\n", NULL, 0), -1);
    catalog_free(cat);
}

static void successive_files_extend_the_catalog_they_are_given(void **state)
{
    struct catalog *cat = catalog_builtin();
    size_t n = catalog_count(cat);
    char err[256] = "";
    (void)state;

    assert_int_equal(parse(cat, "one | One | O | misc | app\n", err, sizeof(err)), 0);
    /* a new file may redefine what an earlier file added */
    assert_int_equal(parse(cat, "two | Two | O | misc | app\none | One! | O | misc | app\n",
                           err, sizeof(err)), 0);
    assert_int_equal(catalog_count(cat), n + 2);
    assert_int_equal(find(cat, "one"), (int)n);
    assert_string_equal(get(cat, "one")->name, "One!");
    assert_int_equal(find(cat, "two"), (int)n + 1);
    catalog_free(cat);
}

/* ------------------------------------------------------------------------ */
/* catalog_load                                                              */

static void load_extends_the_builtin_catalog_with_a_file(void **state)
{
    static const char text[] = "bluesky | Bluesky | Bluesky Social PBC | social | login,feed\n";
    char path[64], err[256] = "";
    struct catalog *cat;
    (void)state;

    write_temp(path, sizeof(path), text, sizeof(text) - 1);
    cat = catalog_load(path, err, sizeof(err));
    unlink(path);
    assert_non_null(cat);
    assert_true(find(cat, "bluesky") >= 0);
    assert_true(find(cat, "whatsapp") >= 0);
    catalog_free(cat);
}

static void load_reports_a_missing_file_with_the_system_reason(void **state)
{
    char err[256] = "";
    (void)state;

    assert_null(catalog_load("/nonexistent/catalog.txt", err, sizeof(err)));
    assert_string_equal(err, "cannot read catalog file /nonexistent/catalog.txt: "
                             "No such file or directory");
    assert_null(catalog_load("/tmp", err, sizeof(err)));
    assert_string_equal(err, "cannot read catalog file /tmp: Is a directory");
}

static void load_names_the_file_and_line_of_a_bad_entry(void **state)
{
    static const char text[] = "# ours\nshop | Shop | Us | shopping | checkout\n";
    char path[64], err[256] = "", want[256];
    (void)state;

    write_temp(path, sizeof(path), text, sizeof(text) - 1);
    assert_null(catalog_load(path, err, sizeof(err)));
    unlink(path);
    snprintf(want, sizeof(want), "catalog file %s: line 2: unknown problem \"checkout\" (known: "
             "login, messages, calls, app, website, feed, connection, other)", path);
    assert_string_equal(err, want);
}

static void load_refuses_a_file_over_the_size_limit(void **state)
{
    size_t len = (size_t)CAT_FILE_MAX + 1;
    char *text = xmalloc(len);
    char path[64], err[256] = "", want[256];
    struct catalog *cat;
    (void)state;

    memset(text, '\n', len);
    write_temp(path, sizeof(path), text, len);
    assert_null(catalog_load(path, err, sizeof(err)));
    snprintf(want, sizeof(want), "catalog file %s is larger than the limit of %d bytes", path,
             CAT_FILE_MAX);
    assert_string_equal(err, want);
    unlink(path);

    /* exactly the limit is fine */
    write_temp(path, sizeof(path), text, len - 1);
    cat = catalog_load(path, err, sizeof(err));
    unlink(path);
    assert_non_null(cat);
    catalog_free(cat);
    free(text);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_has_every_service_the_traffic_generator_uses),
        cmocka_unit_test(meta_owns_whatsapp_instagram_facebook_and_messenger),
        cmocka_unit_test(builtin_has_about_fifty_services),
        cmocka_unit_test(every_builtin_id_is_valid_and_unique),
        cmocka_unit_test(every_builtin_service_has_a_name_owner_and_category),
        cmocka_unit_test(every_builtin_service_accepts_other_and_only_known_problems),
        cmocka_unit_test(load_without_a_path_gives_the_builtin_catalog),
        cmocka_unit_test(find_returns_the_dense_index_of_every_service),
        cmocka_unit_test(find_reads_only_len_bytes_of_the_id),
        cmocka_unit_test(find_rejects_unknown_prefix_longer_empty_and_upper_case_ids),
        cmocka_unit_test(at_returns_null_past_the_end),
        cmocka_unit_test(a_file_adds_new_services_after_the_builtin_ones),
        cmocka_unit_test(a_file_entry_with_a_builtin_id_replaces_it_in_place),
        cmocka_unit_test(replace_directive_drops_the_builtin_services),
        cmocka_unit_test(comments_blank_lines_whitespace_crlf_and_a_bom_are_accepted),
        cmocka_unit_test(an_empty_file_leaves_the_catalog_as_it_was),
        cmocka_unit_test(names_of_exactly_the_size_limit_are_accepted),
        cmocka_unit_test(bad_lines_are_reported_with_their_line_number_and_change_nothing),
        cmocka_unit_test(a_failed_parse_applies_none_of_the_good_lines_before_it),
        cmocka_unit_test(a_text_without_a_final_newline_or_nul_is_parsed_to_its_length),
        cmocka_unit_test(nul_bytes_in_the_text_are_control_characters),
        cmocka_unit_test(a_catalog_holds_up_to_the_service_limit_and_no_more),
        cmocka_unit_test(a_short_error_buffer_is_cut_and_still_terminated),
        cmocka_unit_test(successive_files_extend_the_catalog_they_are_given),
        cmocka_unit_test(load_extends_the_builtin_catalog_with_a_file),
        cmocka_unit_test(load_reports_a_missing_file_with_the_system_reason),
        cmocka_unit_test(load_names_the_file_and_line_of_a_bad_entry),
        cmocka_unit_test(load_refuses_a_file_over_the_size_limit),
    };

    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
