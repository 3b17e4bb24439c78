/* test_sender.c - unit tests of src/notify/sender.c: the retry schedule
 * doubles from the base to the cap, with its second half as jitter, so
 * below the cap pauses never shrink from one failure to the next.
 * (Transfers themselves
 * are tested over HTTP in tests/integration/test_webhooks.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "notify/sender.h"

static void pauses_double_to_the_cap_with_half_of_them_jitter(void **state)
{
    (void)state;
    assert_int_equal(sender_backoff_ms(1, 10000, 3600000, 0.0), 5000);
    assert_int_equal(sender_backoff_ms(1, 10000, 3600000, 0.999999), 9999);
    assert_int_equal(sender_backoff_ms(2, 10000, 3600000, 0.0), 10000);
    assert_int_equal(sender_backoff_ms(4, 10000, 3600000, 0.5), 60000);
    assert_int_equal(sender_backoff_ms(12, 10000, 3600000, 0.0), 1800000); /* capped */
    assert_int_equal(sender_backoff_ms(1000, 10000, 3600000, 0.0), 1800000);
}

static void below_the_cap_a_pause_is_never_shorter_than_the_one_before(void **state)
{
    (void)state;
    /* 200, 400, 800, 1600, 3200 ms: the next shortest is the last longest. */
    for (int failures = 1; failures < 5; failures++) {
        int64_t longest = sender_backoff_ms(failures, 200, 5000, 0.999999);
        int64_t shortest_next = sender_backoff_ms(failures + 1, 200, 5000, 0.0);
        assert_true(shortest_next > longest);
    }
    /* At the cap the pauses spread over its second half. */
    assert_int_equal(sender_backoff_ms(9, 200, 5000, 0.0), 2500);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pauses_double_to_the_cap_with_half_of_them_jitter),
        cmocka_unit_test(below_the_cap_a_pause_is_never_shorter_than_the_one_before),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
