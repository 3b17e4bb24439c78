/* test_sign.c - unit tests of src/notify/sign.c: the header value is
 * Stripe-style "t=...,v1=<hex HMAC-SHA256 of "<t>.<body>">" (checked
 * against a vector computed with Python's hmac module), and sign_verify
 * refuses a tampered body, another secret, a stale time and malformed
 * values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "notify/sign.h"

#define SECRET "whsec_test_secret_0123"
#define BODY "{\"event\":\"opened\"}"

static void the_value_is_the_hmac_of_time_dot_body(void **state)
{
    (void)state;
    char value[SIGN_VALUE_MAX];
    sign_value(SECRET, 1712162000, BODY, strlen(BODY), value);
    /* python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test_secret_0123',
     *   b'1712162000.{\"event\":\"opened\"}', hashlib.sha256).hexdigest())" */
    assert_string_equal(value, "t=1712162000,v1=b0d515ba7db51e90b4b06e11f15d65e4dbf0e4f1c5195ffaf"
                               "59595ea616a18ba");
}

static void a_receiver_refuses_tampering_other_secrets_and_replays(void **state)
{
    (void)state;
    char value[SIGN_VALUE_MAX];
    sign_value(SECRET, 1712162000, BODY, strlen(BODY), value);
    assert_int_equal(sign_verify(SECRET, value, BODY, strlen(BODY), 1712162100, 300), SIGN_OK);
    const char tampered[] = "{\"event\":\"opened \"}";
    assert_int_equal(sign_verify(SECRET, value, tampered, strlen(tampered), 1712162000, 300),
                     SIGN_MISMATCH);
    assert_int_equal(sign_verify("another-secret-123", value, BODY, strlen(BODY), 1712162000, 300),
                     SIGN_MISMATCH);
    assert_int_equal(sign_verify(SECRET, value, BODY, strlen(BODY), 1712162000 + 301, 300),
                     SIGN_STALE);
    assert_int_equal(sign_verify(SECRET, value, BODY, strlen(BODY) - 1, 1712162000, 300),
                     SIGN_MISMATCH); /* a cut body */
}

static void one_good_v1_among_several_is_enough_and_bad_shapes_are_malformed(void **state)
{
    (void)state;
    char value[SIGN_VALUE_MAX], rotated[2 * SIGN_VALUE_MAX];
    sign_value(SECRET, 1712162000, BODY, strlen(BODY), value);
    /* A receiver in the middle of a secret rotation sees two v1 values. */
    snprintf(rotated, sizeof(rotated), "t=1712162000,v1=%064d,v0=old,%s", 0, value + 13);
    assert_int_equal(sign_verify(SECRET, rotated, BODY, strlen(BODY), 1712162000, 300), SIGN_OK);
    const char *malformed[] = {"", "v1=abc", "t=,v1=00", "t=12x,v1=00", "t=1712162000",
                               "t=1712162000,v1=short", ("t=1712162000,v2=" BODY)};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        assert_int_equal(sign_verify(SECRET, malformed[i], BODY, strlen(BODY), 1712162000, 300),
                         SIGN_MALFORMED);
}

static void random_hex_is_hex_of_the_asked_length_and_differs(void **state)
{
    (void)state;
    char a[49], b[49];
    assert_int_equal(sign_random_hex(a, 24), 0);
    assert_int_equal(sign_random_hex(b, 24), 0);
    assert_int_equal(strlen(a), 48);
    assert_int_equal(strspn(a, "0123456789abcdef"), 48);
    assert_string_not_equal(a, b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_value_is_the_hmac_of_time_dot_body),
        cmocka_unit_test(a_receiver_refuses_tampering_other_secrets_and_replays),
        cmocka_unit_test(one_good_v1_among_several_is_enough_and_bad_shapes_are_malformed),
        cmocka_unit_test(random_hex_is_hex_of_the_asked_length_and_differs),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
