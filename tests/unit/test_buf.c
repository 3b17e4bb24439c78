/* test_buf.c - unit tests for src/core/buf.c: growth, the terminating NUL,
 * reset and steal, printf appends that outgrow the buffer, and the JSON
 * string escaping every response relies on.
 *
 * Run one test by name: test_buf NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

/* buf_json_str of n bytes, as a C string the caller frees. */
static char *json_of(const char *s, size_t n)
{
    struct buf b;
    buf_init(&b);
    buf_json_str(&b, s, n);
    return buf_steal(&b, NULL);
}

static void assert_json(const char *s, size_t n, const char *expected)
{
    char *got = json_of(s, n);
    assert_string_equal(got, expected);
    free(got);
}

static void test_new_buffer_is_empty_and_has_not_allocated(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    buf_free(&b);
}

static void test_append_grows_and_keeps_a_terminating_nul(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    char chunk[100];
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 50; i++) {
        buf_append(&b, chunk, sizeof(chunk));
        assert_int_equal(b.len, (size_t)(i + 1) * sizeof(chunk));
        assert_true(b.cap > b.len);
        assert_int_equal(b.data[b.len], '\0');
    }
    assert_int_equal(strlen(b.data), 50 * sizeof(chunk));
    buf_free(&b);
}

static void test_appending_nothing_still_gives_an_empty_string(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append(&b, NULL, 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_puts_and_putc_append_text(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "down");
    buf_putc(&b, '-');
    buf_puts(&b, "watch");
    assert_string_equal(b.data, "down-watch");
    assert_int_equal(b.len, 10);
    buf_free(&b);
}

static void test_append_keeps_embedded_nul_bytes(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    buf_free(&b);
}

static void test_printf_appends_formatted_text(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "n=");
    buf_printf(&b, "%d %s %.2f", 42, "reports", 0.5);
    assert_string_equal(b.data, "n=42 reports 0.50");
    assert_int_equal(b.len, strlen(b.data));
    buf_free(&b);
}

static void test_printf_grows_the_buffer_as_often_as_needed(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    char expected[8192];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        buf_printf(&b, "%d,", i);
        n += (size_t)snprintf(expected + n, sizeof(expected) - n, "%d,", i);
    }
    assert_int_equal(b.len, n);
    assert_string_equal(b.data, expected);
    buf_free(&b);
}

static void test_put_uint_writes_decimal_digits_of_any_size(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_put_uint(&b, 0);
    buf_putc(&b, ',');
    buf_put_uint(&b, 9);
    buf_putc(&b, ',');
    buf_put_uint(&b, 10);
    buf_putc(&b, ',');
    buf_put_uint(&b, UINT64_MAX);
    assert_string_equal(b.data, "0,9,10,18446744073709551615");
    assert_int_equal(b.len, strlen(b.data));
    buf_free(&b);
}

static void test_printf_that_just_overflows_the_room_left_is_whole(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '<'); /* 256 bytes allocated, 254 left for text */
    char text[300];
    memset(text, 'y', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (int len = 250; len < 260; len++) {
        buf_reset(&b);
        buf_putc(&b, '<');
        buf_printf(&b, "%.*s>", len, text);
        assert_int_equal(b.len, (size_t)len + 2);
        assert_int_equal(b.data[b.len - 1], '>');
        assert_int_equal(b.data[b.len], '\0');
    }
    buf_free(&b);
}

static void test_one_printf_larger_than_the_first_allocation_fits(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_putc(&b, '[');
    buf_printf(&b, "%s]", big);
    assert_int_equal(b.len, sizeof(big) + 1);
    assert_int_equal(b.data[0], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    buf_free(&b);
}

static void test_printf_of_nothing_leaves_the_buffer_as_it_was(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "x");
    buf_printf(&b, "%s", "");
    assert_string_equal(b.data, "x");
    assert_int_equal(b.len, 1);
    buf_free(&b);
}

static void test_reset_forgets_the_contents_but_keeps_the_memory(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "hello");
    char *data = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    buf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    buf_free(&b);
}

static void test_steal_hands_over_the_data_and_empties_the_buffer(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "mine");
    size_t len = 0;
    char *s = buf_steal(&b, &len);
    assert_string_equal(s, "mine");
    assert_int_equal(len, 4);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
    s = buf_steal(&b, &len); /* an empty buffer gives "", never NULL */
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
}

static void test_buffer_is_reusable_after_free(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "one");
    buf_free(&b);
    assert_null(b.data);
    buf_puts(&b, "two");
    assert_string_equal(b.data, "two");
    buf_free(&b);
}

static void test_json_string_escapes_quote_and_backslash(void **state)
{
    (void)state;
    assert_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    assert_json("\"\"", 2, "\"\\\"\\\"\"");
    assert_json("", 0, "\"\"");
}

static void test_json_string_escapes_newline_return_and_tab_briefly(void **state)
{
    (void)state;
    assert_json("a\nb\rc\td", 7, "\"a\\nb\\rc\\td\"");
}

static void test_json_string_escapes_other_control_characters_as_u00xx(void **state)
{
    (void)state;
    for (int c = 0; c < 0x20; c++) {
        if (c == '\n' || c == '\r' || c == '\t')
            continue;
        char in[3] = {'x', (char)c, 'y'}, expected[16];
        snprintf(expected, sizeof(expected), "\"x\\u%04xy\"", c);
        assert_json(in, sizeof(in), expected);
    }
}

static void test_json_string_copies_slash_del_and_utf8_as_they_are(void **state)
{
    (void)state;
    assert_json("a/b", 3, "\"a/b\"");
    assert_json("\x7f", 1, "\"\x7f\"");
    static const char utf8[] = "caf\xC3\xA9 \xF0\x9F\x98\x80";
    assert_json(utf8, sizeof(utf8) - 1, "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

static void test_json_string_writes_only_len_bytes(void **state)
{
    (void)state;
    assert_json("abcdef", 3, "\"abc\"");
}

static void test_json_key_writes_a_quoted_key_and_a_colon(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '{');
    buf_json_key(&b, "error");
    buf_json_cstr(&b, "unknown field \"contry\"");
    buf_putc(&b, '}');
    assert_string_equal(b.data, "{\"error\":\"unknown field \\\"contry\\\"\"}");
    buf_free(&b);
}

static void test_long_json_strings_escape_across_growth(void **state)
{
    (void)state;
    char in[3000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = i % 3 == 0 ? '"' : 'a';
    char *got = json_of(in, sizeof(in));
    size_t quotes = 0;
    for (const char *p = got + 1; p[1]; p++) {
        if (*p == '\\') {
            assert_int_equal(p[1], '"');
            quotes++;
            p++;
        }
    }
    assert_int_equal(quotes, sizeof(in) / 3);
    assert_int_equal(strlen(got), 2 + sizeof(in) + quotes);
    free(got);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_buffer_is_empty_and_has_not_allocated),
        cmocka_unit_test(test_append_grows_and_keeps_a_terminating_nul),
        cmocka_unit_test(test_appending_nothing_still_gives_an_empty_string),
        cmocka_unit_test(test_puts_and_putc_append_text),
        cmocka_unit_test(test_append_keeps_embedded_nul_bytes),
        cmocka_unit_test(test_printf_appends_formatted_text),
        cmocka_unit_test(test_printf_grows_the_buffer_as_often_as_needed),
        cmocka_unit_test(test_one_printf_larger_than_the_first_allocation_fits),
        cmocka_unit_test(test_put_uint_writes_decimal_digits_of_any_size),
        cmocka_unit_test(test_printf_that_just_overflows_the_room_left_is_whole),
        cmocka_unit_test(test_printf_of_nothing_leaves_the_buffer_as_it_was),
        cmocka_unit_test(test_reset_forgets_the_contents_but_keeps_the_memory),
        cmocka_unit_test(test_steal_hands_over_the_data_and_empties_the_buffer),
        cmocka_unit_test(test_buffer_is_reusable_after_free),
        cmocka_unit_test(test_json_string_escapes_quote_and_backslash),
        cmocka_unit_test(test_json_string_escapes_newline_return_and_tab_briefly),
        cmocka_unit_test(test_json_string_escapes_other_control_characters_as_u00xx),
        cmocka_unit_test(test_json_string_copies_slash_del_and_utf8_as_they_are),
        cmocka_unit_test(test_json_string_writes_only_len_bytes),
        cmocka_unit_test(test_json_key_writes_a_quoted_key_and_a_colon),
        cmocka_unit_test(test_long_json_strings_escape_across_growth),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
