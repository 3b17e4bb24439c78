/* test_guard.c - unit tests of src/guard: token buckets with explicit
 * monotonic time, one vote per (voter, service) and window of event time,
 * seeding, vote shares per address and network, bounded tables under
 * pressure, and a multi-threaded hammer test
 * (build it once with -fsanitize=thread to look for data races). Run one
 * test by name: test_guard refills_over_time (a glob pattern also works). */
#include "guard/guard.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1712161867))  /* 2024-04-03T16:31:07Z */

static struct guard *new_guard(double rate, double burst, int64_t window)
{
    struct guard_config cfg = {
        .rate = rate, .burst = burst, .bucket_slots = 1024,
        .vote_window = window, .vote_slots = 1024,
    };
    return guard_new(&cfg);
}

/* ----------------------------------------------------------- rate limit -- */

static void a_bucket_allows_its_burst_then_refuses_with_retry_seconds(void **state)
{
    (void)state;
    struct guard *g = new_guard(0.5, 5, 600);
    for (int i = 0; i < 5; i++)
        assert_int_equal(guard_take(g, 42, 1, 100 * SEC), 0);
    /* empty: one token at 0.5/s is 2 s away */
    assert_int_equal(guard_take(g, 42, 1, 100 * SEC), 2);
    /* half a second later, 1.5 s remain: rounded up */
    assert_int_equal(guard_take(g, 42, 1, 100 * SEC + SEC / 2), 2);
    assert_int_equal(guard_take(g, 42, 1, 101 * SEC + SEC / 2), 1);
    guard_free(g);
}

static void waiting_the_announced_retry_seconds_is_enough(void **state)
{
    (void)state;
    static const double rates[] = {0.1, 0.3, 1.0 / 3, 0.7, 3, 7.5};
    for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
        struct guard *g = new_guard(rates[r], 2, 600);
        int64_t now = 5 * SEC;
        for (int i = 0; i < 50; i++) {
            int wait;
            while ((wait = guard_take(g, 7, 1, now)) == 0)
                ;
            now += wait * SEC;
            assert_int_equal(guard_take(g, 7, 1, now), 0);
        }
        guard_free(g);
    }
}

static void a_bucket_refills_over_time_up_to_its_burst(void **state)
{
    (void)state;
    struct guard *g = new_guard(2, 4, 600);
    int64_t now = 10 * SEC;
    for (int i = 0; i < 4; i++)
        assert_int_equal(guard_take(g, 1, 1, now), 0);
    assert_true(guard_take(g, 1, 1, now) > 0);
    now += SEC;  /* +2 tokens */
    assert_int_equal(guard_take(g, 1, 1, now), 0);
    assert_int_equal(guard_take(g, 1, 1, now), 0);
    assert_true(guard_take(g, 1, 1, now) > 0);
    now += 3600 * SEC;  /* capped at the burst */
    for (int i = 0; i < 4; i++)
        assert_int_equal(guard_take(g, 1, 1, now), 0);
    assert_true(guard_take(g, 1, 1, now) > 0);
    guard_free(g);
}

static void a_batch_costs_one_token_per_report(void **state)
{
    (void)state;
    struct guard *g = new_guard(1, 10, 600);
    assert_int_equal(guard_take(g, 9, 7, 0), 0);
    assert_int_equal(guard_take(g, 9, 5, 0), 2);
    assert_int_equal(guard_take(g, 9, 3, 0), 0);
    guard_free(g);
}

static void a_cost_above_the_burst_waits_for_a_full_bucket(void **state)
{
    (void)state;
    struct guard *g = new_guard(2, 10, 600);
    assert_int_equal(guard_take(g, 3, 11, 0), 1);  /* full already: at least 1 */
    assert_int_equal(guard_take(g, 3, 10, 0), 0);
    assert_int_equal(guard_take(g, 3, 11, 0), 5);  /* 10 tokens at 2/s */
    guard_free(g);
}

static void a_refused_request_takes_no_tokens(void **state)
{
    (void)state;
    struct guard *g = new_guard(1, 3, 600);
    assert_int_equal(guard_take(g, 5, 2, 0), 0);
    assert_true(guard_take(g, 5, 2, 0) > 0);
    assert_int_equal(guard_take(g, 5, 1, 0), 0);
    guard_free(g);
}

static void rate_zero_is_unlimited(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(guard_take(g, 77, 1000, 0), 0);
    guard_free(g);
}

static void different_addresses_have_independent_buckets(void **state)
{
    (void)state;
    struct guard *g = new_guard(1, 2, 600);
    assert_int_equal(guard_take(g, 100, 2, 0), 0);
    assert_true(guard_take(g, 100, 1, 0) > 0);
    for (uint64_t a = 101; a < 150; a++)
        assert_int_equal(guard_take(g, a, 2, 0), 0);
    guard_free(g);
}

static void time_going_backwards_refills_nothing(void **state)
{
    (void)state;
    struct guard *g = new_guard(1, 1, 600);
    assert_int_equal(guard_take(g, 8, 1, 50 * SEC), 0);
    assert_true(guard_take(g, 8, 1, 10 * SEC) > 0);
    assert_true(guard_take(g, 8, 1, 50 * SEC) > 0);
    assert_int_equal(guard_take(g, 8, 1, 51 * SEC), 0);
    guard_free(g);
}

static void a_tiny_rate_clamps_the_retry_seconds(void **state)
{
    (void)state;
    struct guard *g = new_guard(1e-300, 1, 600);
    assert_int_equal(guard_take(g, 4, 1, 0), 0);
    assert_int_equal(guard_take(g, 4, 1, 0), INT32_MAX);
    guard_free(g);
}

static void a_flood_of_addresses_stays_bounded_and_errs_towards_allowing(void **state)
{
    (void)state;
    struct guard_config cfg = {.rate = 1, .burst = 1, .bucket_slots = 1, .vote_window = 600,
                               .vote_slots = 1};
    struct guard *g = guard_new(&cfg);
    /* 64 slots at least; a million addresses each take their first token */
    for (uint64_t a = 0; a < 1000000; a++)
        assert_int_equal(guard_take(g, a, 1, 0), 0);
    guard_free(g);
}

/* ---------------------------------------------------------------- votes -- */

/* 1 if the report counts as a vote, 0 for any repeat. */
static int counts(struct guard *g, uint64_t voter, int service, int64_t ts)
{
    return guard_vote(g, voter, service, ts) == GUARD_COUNTED;
}

static void the_first_repeat_of_a_vote_is_told_apart_from_later_ones(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    assert_int_equal(guard_vote(g, 7, 1, T0), GUARD_COUNTED);
    assert_int_equal(guard_vote(g, 7, 1, T0 + 5), GUARD_FIRST_REPEAT);
    assert_int_equal(guard_vote(g, 7, 1, T0 + 6), GUARD_REPEAT);
    assert_int_equal(guard_vote(g, 7, 1, T0 + 7), GUARD_REPEAT);
    /* A new window starts a new vote, which may be repeated once more. */
    assert_int_equal(guard_vote(g, 7, 1, T0 + 600), GUARD_COUNTED);
    assert_int_equal(guard_vote(g, 7, 1, T0 + 601), GUARD_FIRST_REPEAT);
    /* Another service of the same voter is its own vote. */
    assert_int_equal(guard_vote(g, 7, 2, T0 + 601), GUARD_COUNTED);
    guard_free(g);
}

static void one_vote_counts_per_window_per_voter_and_service(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    assert_int_equal(counts(g, 0xabc, 3, T0), 1);
    assert_int_equal(counts(g, 0xabc, 3, T0), 0);
    assert_int_equal(counts(g, 0xabc, 3, T0 + 599), 0);
    assert_int_equal(counts(g, 0xabc, 3, T0 + 600), 1);
    assert_int_equal(counts(g, 0xabc, 3, T0 + 1100), 0);
    assert_int_equal(counts(g, 0xabc, 3, T0 + 1200), 1);
    guard_free(g);
}

static void different_services_and_voters_are_independent(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    assert_int_equal(counts(g, 1, 0, T0), 1);
    assert_int_equal(counts(g, 1, 1, T0), 1);
    assert_int_equal(counts(g, 2, 0, T0), 1);
    assert_int_equal(counts(g, 1, -1, T0), 1);
    assert_int_equal(counts(g, 1, 0, T0 + 1), 0);
    assert_int_equal(counts(g, 1, 1, T0 + 1), 0);
    assert_int_equal(counts(g, 2, 0, T0 + 1), 0);
    guard_free(g);
}

static void a_slightly_earlier_report_in_a_shuffled_replay_is_a_repeat(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    assert_int_equal(counts(g, 5, 2, T0 + 100), 1);
    assert_int_equal(counts(g, 5, 2, T0 + 40), 0);
    /* the window still runs from the counted vote */
    assert_int_equal(counts(g, 5, 2, T0 + 699), 0);
    assert_int_equal(counts(g, 5, 2, T0 + 700), 1);
    guard_free(g);
}

static void a_report_older_than_a_window_is_not_counted(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    assert_int_equal(counts(g, 6, 2, T0 + 5000), 1);
    assert_int_equal(counts(g, 6, 2, T0), 0);
    assert_int_equal(counts(g, 6, 2, T0 + 10), 0);
    assert_int_equal(counts(g, 6, 2, T0 + 5600), 1);
    guard_free(g);
}

static void window_zero_counts_every_report(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(counts(g, 1, 1, T0), 1);
    guard_free(g);
}

static void extreme_timestamps_do_not_overflow(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    assert_int_equal(counts(g, 9, 9, INT64_MIN), 1);
    assert_int_equal(counts(g, 9, 9, INT64_MAX), 1);
    assert_int_equal(counts(g, 9, 9, INT64_MIN), 0);
    assert_int_equal(counts(g, 9, 9, INT64_MAX - 1), 0);
    guard_free(g);
}

static void a_seeded_vote_makes_a_report_in_its_window_a_repeat(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    guard_seed_vote(g, 11, 4, T0);
    assert_int_equal(counts(g, 11, 4, T0 + 300), 0);
    assert_int_equal(counts(g, 11, 4, T0 + 600), 1);
    assert_int_equal(counts(g, 12, 4, T0 + 300), 1);
    guard_free(g);
}

static void seeding_keeps_the_later_time(void **state)
{
    (void)state;
    struct guard *g = new_guard(0, 1, 600);
    guard_seed_vote(g, 13, 1, T0 + 500);
    guard_seed_vote(g, 13, 1, T0);
    assert_int_equal(counts(g, 13, 1, T0 + 700), 0);
    assert_int_equal(counts(g, 13, 1, T0 + 1100), 1);
    guard_seed_vote(g, 13, 1, T0 + 2000);
    assert_int_equal(counts(g, 13, 1, T0 + 1800), 0);
    assert_int_equal(counts(g, 13, 1, T0 + 2600), 1);
    guard_free(g);
}

static void a_full_vote_table_replaces_the_oldest_and_stays_bounded(void **state)
{
    (void)state;
    struct guard_config cfg = {.rate = 0, .burst = 1, .bucket_slots = 64, .vote_window = 600,
                               .vote_slots = 64};
    struct guard *g = guard_new(&cfg);
    /* far more voters than 64 slots: each new one counts */
    for (uint64_t v = 0; v < 100000; v++)
        assert_int_equal(counts(g, v, 1, T0 + (int64_t)v), 1);
    /* the most recent voter is still remembered */
    assert_int_equal(counts(g, 99999, 1, T0 + 100000), 0);
    /* the oldest were forgotten: errs towards counting */
    assert_int_equal(counts(g, 0, 1, T0 + 100001), 1);
    guard_free(g);
}

/* --------------------------------------------------------------- threads -- */

#define THREADS 4
#define ROUNDS 200000

struct hammer {
    struct guard *g;
    int id;
    long counted;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t who = (uint64_t)(i % 512);
        guard_take(h->g, who, 1, (int64_t)i * 1000);
        /* every thread votes for the same (voter, service) pairs at the
         * same event time: exactly one vote of each pair may count */
        h->counted += counts(h->g, who, i % 3, T0);
        if (i % 1000 == 0)
            guard_seed_vote(h->g, who + 100000, h->id, T0 + i);
    }
    return NULL;
}

static void concurrent_callers_count_each_vote_exactly_once(void **state)
{
    (void)state;
    struct guard_config cfg = {.rate = 10, .burst = 20, .bucket_slots = 4096,
                               .vote_window = 3600, .vote_slots = 1 << 16};
    struct guard *g = guard_new(&cfg);
    pthread_t t[THREADS];
    struct hammer h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (struct hammer){.g = g, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
    }
    long counted = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        counted += h[i].counted;
    }
    /* 512 voters x 3 services, each counted once across all threads */
    assert_int_equal(counted, 512 * 3);
    guard_free(g);
}

/* --------------------------------------------------------- vote shares -- */

static struct guard *new_share_guard(double address_votes, double network_votes)
{
    struct guard_config cfg = {
        .rate = 0, .burst = 1, .bucket_slots = 1024, .vote_window = 600, .vote_slots = 4096,
        .address_votes = address_votes, .network_votes = network_votes,
    };
    return guard_new(&cfg);
}

static void rotating_client_ids_from_one_address_count_its_share_only(void **state)
{
    (void)state;
    struct guard *g = new_share_guard(4, 64);
    struct guard_origin one = {.address = 11, .network = 12};
    int counted = 0;
    for (uint64_t id = 1; id <= 50; id++)
        counted += guard_vote_from(g, id, &one, 3, T0 + (int64_t)id) == GUARD_COUNTED;
    assert_int_equal(counted, 4);
    /* Its share comes back over a window, for that service only ... */
    assert_int_equal(guard_vote_from(g, 100, &one, 3, T0 + 60), GUARD_REPEAT);
    assert_int_equal(guard_vote_from(g, 101, &one, 4, T0 + 60), GUARD_COUNTED);
    assert_int_equal(guard_vote_from(g, 102, &one, 3, T0 + 50 + 150), GUARD_COUNTED);
    /* ... and a trusted source has none. */
    for (uint64_t id = 200; id < 250; id++)
        assert_int_equal(guard_vote_from(g, id, NULL, 3, T0 + 300), GUARD_COUNTED);
    guard_free(g);
}

static void a_vote_over_its_share_is_taken_back_not_held_against_the_client(void **state)
{
    (void)state;
    struct guard *g = new_share_guard(1, 64);
    struct guard_origin one = {.address = 21, .network = 22};
    assert_int_equal(guard_vote_from(g, 1, &one, 3, T0), GUARD_COUNTED);
    assert_int_equal(guard_vote_from(g, 2, &one, 3, T0 + 1), GUARD_REPEAT);
    /* Client 2 never had a vote: once the share is back, it counts, and it
     * is not a repeat of a vote that never counted. */
    assert_int_equal(guard_vote_from(g, 2, &one, 3, T0 + 601), GUARD_COUNTED);
    guard_free(g);
}

static void many_addresses_of_one_network_share_its_votes(void **state)
{
    (void)state;
    struct guard *g = new_share_guard(4, 10);
    int counted = 0;
    for (uint64_t a = 1; a <= 30; a++) {
        struct guard_origin o = {.address = 1000 + a, .network = 7};
        counted += guard_vote_from(g, a, &o, 3, T0) == GUARD_COUNTED;
    }
    assert_int_equal(counted, 10);
    struct guard_origin elsewhere = {.address = 5000, .network = 8};
    assert_int_equal(guard_vote_from(g, 99, &elsewhere, 3, T0), GUARD_COUNTED);
    guard_free(g);
}

static void a_network_has_its_own_rate_limit(void **state)
{
    (void)state;
    struct guard_config cfg = {.rate = 100, .burst = 100, .network_rate = 1, .network_burst = 10,
                               .bucket_slots = 1024, .vote_window = 600, .vote_slots = 1024};
    struct guard *g = guard_new(&cfg);
    assert_int_equal(guard_take(g, 1, 8, 0), 0);
    assert_int_equal(guard_take_network(g, 9, 8, 0), 0);
    assert_int_equal(guard_take(g, 2, 8, 0), 0);          /* another address ... */
    assert_int_equal(guard_take_network(g, 9, 8, 0), 6); /* ... of the same network */
    assert_int_equal(guard_take_network(g, 10, 8, 0), 0);
    guard_free(g);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_bucket_allows_its_burst_then_refuses_with_retry_seconds),
        cmocka_unit_test(waiting_the_announced_retry_seconds_is_enough),
        cmocka_unit_test(a_bucket_refills_over_time_up_to_its_burst),
        cmocka_unit_test(a_batch_costs_one_token_per_report),
        cmocka_unit_test(a_cost_above_the_burst_waits_for_a_full_bucket),
        cmocka_unit_test(a_refused_request_takes_no_tokens),
        cmocka_unit_test(rate_zero_is_unlimited),
        cmocka_unit_test(different_addresses_have_independent_buckets),
        cmocka_unit_test(time_going_backwards_refills_nothing),
        cmocka_unit_test(a_tiny_rate_clamps_the_retry_seconds),
        cmocka_unit_test(a_flood_of_addresses_stays_bounded_and_errs_towards_allowing),
        cmocka_unit_test(one_vote_counts_per_window_per_voter_and_service),
        cmocka_unit_test(the_first_repeat_of_a_vote_is_told_apart_from_later_ones),
        cmocka_unit_test(different_services_and_voters_are_independent),
        cmocka_unit_test(a_slightly_earlier_report_in_a_shuffled_replay_is_a_repeat),
        cmocka_unit_test(a_report_older_than_a_window_is_not_counted),
        cmocka_unit_test(window_zero_counts_every_report),
        cmocka_unit_test(extreme_timestamps_do_not_overflow),
        cmocka_unit_test(a_seeded_vote_makes_a_report_in_its_window_a_repeat),
        cmocka_unit_test(seeding_keeps_the_later_time),
        cmocka_unit_test(a_full_vote_table_replaces_the_oldest_and_stays_bounded),
        cmocka_unit_test(concurrent_callers_count_each_vote_exactly_once),
        cmocka_unit_test(rotating_client_ids_from_one_address_count_its_share_only),
        cmocka_unit_test(a_vote_over_its_share_is_taken_back_not_held_against_the_client),
        cmocka_unit_test(many_addresses_of_one_network_share_its_votes),
        cmocka_unit_test(a_network_has_its_own_rate_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
