/* test_atom.c - unit tests for src/atom/atom.c: the elements RFC 4287
 * requires, in the Atom namespace, RFC 3339 times, and escaping: the five
 * XML specials in text and attributes, and the characters XML 1.0 cannot
 * carry at all replaced, while UTF-8 text passes unchanged.
 *
 * Run one test by name: test_atom NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "atom/atom.h"
#include "core/buf.h"

static char *escaped(const char *text)
{
    struct buf b;
    buf_init(&b);
    atom_escape(&b, text);
    return buf_steal(&b, NULL);
}

static void assert_escapes(const char *text, const char *expected)
{
    char *got = escaped(text);
    assert_string_equal(got, expected);
    free(got);
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("\"%s\" not in:\n%s", part, text);
}

static void test_the_five_xml_specials_are_escaped(void **state)
{
    (void)state;
    assert_escapes("Tom & Jerry's <\"Chat\">",
                   "Tom &amp; Jerry&apos;s &lt;&quot;Chat&quot;&gt;");
    assert_escapes("&amp;", "&amp;amp;"); /* text, not markup: escaped again */
}

static void test_characters_xml_cannot_carry_are_replaced(void **state)
{
    (void)state;
    assert_escapes("a\x01" "b\x1f" "c\x7f", "a?b?c\x7f");
    assert_escapes("tab\tnl\ncr\r", "tab\tnl\ncr\r");
    assert_escapes("x\xEF\xBF\xBEy\xEF\xBF\xBFz", "x?y?z"); /* U+FFFE, U+FFFF */
}

static void test_utf8_text_passes_unchanged(void **state)
{
    (void)state;
    assert_escapes("Côte d’Ivoire — 東京 🙂", "Côte d’Ivoire — 東京 🙂");
    assert_escapes("\xEF\xBF\xBD", "\xEF\xBF\xBD"); /* U+FFFD is allowed */
}

static void test_a_feed_has_the_required_elements_in_the_atom_namespace(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    struct atom_feed feed = {
        .id = "tag:example.org,2024:feeds/incidents",
        .title = "A & B",
        .updated = 1712161800,
        .self = "https://example.org/feeds/incidents.atom?a=1&b=2",
        .author = "downwatch",
    };
    atom_open(&b, &feed);
    struct atom_entry entry = {
        .id = "tag:example.org,2024:incident/x-1",
        .title = "X <down>",
        .updated = 1712165400,
        .published = -1,
        .link = "https://example.org/i/x-1",
        .summary = "Line one.\nLine two & more.",
        .category = "x",
        .category_label = "X \"the app\"",
    };
    atom_entry(&b, &entry);
    atom_close(&b);
    assert_true(strncmp(b.data, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n", 39) == 0);
    assert_contains(b.data, "<feed xmlns=\"http://www.w3.org/2005/Atom\">");
    assert_contains(b.data, "  <id>tag:example.org,2024:feeds/incidents</id>");
    assert_contains(b.data, "  <title>A &amp; B</title>");
    assert_contains(b.data, "  <updated>2024-04-03T16:30:00Z</updated>");
    assert_contains(b.data, "<link rel=\"self\" type=\"application/atom+xml\" "
                            "href=\"https://example.org/feeds/incidents.atom?a=1&amp;b=2\"/>");
    assert_contains(b.data, "<author>\n    <name>downwatch</name>\n  </author>");
    assert_contains(b.data, "    <id>tag:example.org,2024:incident/x-1</id>");
    assert_contains(b.data, "    <title>X &lt;down&gt;</title>");
    assert_contains(b.data, "    <updated>2024-04-03T17:30:00Z</updated>");
    assert_contains(b.data, "<link rel=\"alternate\" type=\"text/html\" "
                            "href=\"https://example.org/i/x-1\"/>");
    assert_contains(b.data, "<category term=\"x\" label=\"X &quot;the app&quot;\"/>");
    assert_contains(b.data, "<summary type=\"text\">Line one.\nLine two &amp; more.</summary>");
    assert_null(strstr(b.data, "<published>")); /* left out when < 0 */
    assert_null(strstr(b.data, "<subtitle>"));  /* optional, absent */
    assert_true(strcmp(b.data + b.len - 8, "</feed>\n") == 0);
    buf_free(&b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_five_xml_specials_are_escaped),
        cmocka_unit_test(test_characters_xml_cannot_carry_are_replaced),
        cmocka_unit_test(test_utf8_text_passes_unchanged),
        cmocka_unit_test(test_a_feed_has_the_required_elements_in_the_atom_namespace),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
