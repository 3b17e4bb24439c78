/* test_country.c - unit tests for src/report/country.c: exactly the 249
 * assigned ISO 3166-1 alpha-2 codes plus "ZZ" are valid, the index mapping
 * and its inverse, case folding, and the names.
 *
 * Run one test by name: test_country NAME (a cmocka filter pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "report/country.h"

/* The officially assigned codes (ISO 3166-1, as of 2024; tzdata's
 * iso3166.tab lists the same 249). */
static const char assigned[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI "
    "BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN "
    "CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK "
    "FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK "
    "ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
    "NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW ";

static int in_list(const char *code)
{
    for (const char *p = assigned; *p; p += 3)
        if (p[0] == code[0] && p[1] == code[1])
            return 1;
    return 0;
}

static void test_exactly_the_assigned_codes_and_zz_are_valid(void **state)
{
    (void)state;
    int valid = 0;
    for (int i = 0; i < COUNTRY_SLOTS; i++) {
        char code[3];
        country_code(i, code);
        int expected = in_list(code) || !strcmp(code, COUNTRY_UNKNOWN_CODE);
        if (country_valid(i) != expected)
            fail_msg("%s: valid is %d, expected %d", code, country_valid(i), expected);
        valid += expected;
    }
    assert_int_equal(valid, 249 + 1);
}

static void test_index_is_computed_from_the_two_letters(void **state)
{
    (void)state;
    assert_int_equal(country_index("AD"), 3);
    assert_int_equal(country_index("BR"), 1 * 26 + 17);
    assert_int_equal(country_index("IN"), 8 * 26 + 13);
    assert_int_equal(country_index("ZZ"), COUNTRY_SLOTS - 1);
}

static void test_lowercase_and_mixed_case_codes_are_accepted(void **state)
{
    (void)state;
    assert_int_equal(country_index("gb"), country_index("GB"));
    assert_int_equal(country_index("Gb"), country_index("GB"));
    assert_int_equal(country_index("gB"), country_index("GB"));
    assert_int_equal(country_index("zz"), COUNTRY_SLOTS - 1);
}

static void test_reserved_and_withdrawn_codes_are_rejected(void **state)
{
    (void)state;
    static const char *const codes[] = {"UK", "EU", "UN", "SU", "YU", "CS", "AN", "TP",
                                        "XK", "AA", "QM", "XX", "OO"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (country_index(codes[i]) != -1)
            fail_msg("%s is accepted", codes[i]);
}

static void test_anything_but_two_ascii_letters_is_rejected(void **state)
{
    (void)state;
    static const char *const codes[] = {"", "I", "1A", "A1", "@A", "[A", "`a", "{a",
                                        "A@", "A[", " IN", "I N", "\xC3\x89S"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (country_index(codes[i]) != -1)
            fail_msg("\"%s\" is accepted", codes[i]);
}

static void test_index_reads_only_the_first_two_bytes(void **state)
{
    (void)state;
    char *two = xmalloc(2); /* no NUL: ASan would see a third read */
    memcpy(two, "IN", 2);
    assert_int_equal(country_index(two), country_index("IN"));
    free(two);
    assert_int_equal(country_index("INDIA"), country_index("IN"));
}

static void test_code_and_index_round_trip_for_every_valid_code(void **state)
{
    (void)state;
    for (int i = 0; i < COUNTRY_SLOTS; i++) {
        if (!country_valid(i))
            continue;
        char code[3];
        assert_ptr_equal(country_code(i, code), code);
        assert_int_equal(strlen(code), 2);
        assert_true(code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z');
        assert_int_equal(country_index(code), i);
    }
}

static void test_code_of_an_index_out_of_range_is_empty(void **state)
{
    (void)state;
    char code[3] = "XY";
    assert_string_equal(country_code(-1, code), "");
    assert_string_equal(country_code(COUNTRY_SLOTS, code), "");
    assert_false(country_valid(-1));
    assert_false(country_valid(COUNTRY_SLOTS));
}

static void test_names_are_the_english_short_names(void **state)
{
    (void)state;
    assert_string_equal(country_name(country_index("IN")), "India");
    assert_string_equal(country_name(country_index("BR")), "Brazil");
    assert_string_equal(country_name(country_index("GB")), "United Kingdom");
    assert_string_equal(country_name(country_index("US")), "United States");
    assert_string_equal(country_name(country_index("CI")), "C\xC3\xB4te d'Ivoire");
    assert_string_equal(country_name(country_index("ZZ")), "Unknown");
}

static void test_every_valid_code_has_a_name_and_no_other_does(void **state)
{
    (void)state;
    for (int i = 0; i < COUNTRY_SLOTS; i++) {
        const char *name = country_name(i);
        if (country_valid(i))
            assert_true(name != NULL && name[0] != '\0');
        else
            assert_null(name);
    }
    assert_null(country_name(-1));
    assert_null(country_name(COUNTRY_SLOTS));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exactly_the_assigned_codes_and_zz_are_valid),
        cmocka_unit_test(test_index_is_computed_from_the_two_letters),
        cmocka_unit_test(test_lowercase_and_mixed_case_codes_are_accepted),
        cmocka_unit_test(test_reserved_and_withdrawn_codes_are_rejected),
        cmocka_unit_test(test_anything_but_two_ascii_letters_is_rejected),
        cmocka_unit_test(test_index_reads_only_the_first_two_bytes),
        cmocka_unit_test(test_code_and_index_round_trip_for_every_valid_code),
        cmocka_unit_test(test_code_of_an_index_out_of_range_is_empty),
        cmocka_unit_test(test_names_are_the_english_short_names),
        cmocka_unit_test(test_every_valid_code_has_a_name_and_no_other_does),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
