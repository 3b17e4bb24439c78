/* test_geo.c - unit tests of src/geo: address parsing and formatting, the
 * trusted-proxy X-Forwarded-For walk, and countries from Debian's GeoIP
 * country databases (package geoip-database). Run one test by name:
 *   test_geo spoofed_left_entries_are_ignored   (a glob pattern also works) */
#include "core/log.h"
#include "geo/geo.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define DB_V4 "/usr/share/GeoIP/GeoIP.dat"
#define DB_V6 "/usr/share/GeoIP/GeoIPv6.dat"

/* ------------------------------------------------------------- helpers -- */

static struct geo_addr addr(const char *text)
{
    struct geo_addr a;
    assert_int_equal(geo_addr_parse(text, strlen(text), &a), 0);
    return a;
}

static struct geo *open_proxies(const char *proxies)
{
    char err[256] = "";
    struct geo *g = geo_open(NULL, NULL, proxies, err, sizeof(err));
    assert_non_null(g);
    assert_string_equal(err, "");
    return g;
}

/* The client address for a peer and header, as text. */
static const char *client(const struct geo *g, const char *peer, const char *xff)
{
    static char out[INET6_ADDRSTRLEN];
    struct geo_addr p = addr(peer), c = geo_client_addr(g, &p, xff);
    return geo_addr_format(&c, out, sizeof(out));
}

static const char *country(const struct geo *g, const char *text)
{
    static char out[3];
    struct geo_addr a = addr(text);
    geo_country(g, &a, out);
    return out;
}

static int setup_databases(void **state)
{
    char err[256];
    *state = geo_open(DB_V4, DB_V6, NULL, err, sizeof(err));
    return *state ? 0 : -1;
}

static int teardown_databases(void **state)
{
    geo_close(*state);
    return 0;
}

/* ------------------------------------------------------------ addresses -- */

static void ipv4_is_parsed_and_formatted_as_a_dotted_quad(void **state)
{
    (void)state;
    char out[INET6_ADDRSTRLEN];
    struct geo_addr a = addr("192.0.2.33");
    static const unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                                             192, 0, 2, 33};
    assert_memory_equal(a.b, mapped, sizeof(mapped));
    assert_string_equal(geo_addr_format(&a, out, sizeof(out)), "192.0.2.33");
}

static void ipv6_is_parsed_and_formatted_in_canonical_form(void **state)
{
    (void)state;
    char out[INET6_ADDRSTRLEN];
    struct geo_addr a = addr("2001:DB8:0:0:0:0:0:1");
    assert_string_equal(geo_addr_format(&a, out, sizeof(out)), "2001:db8::1");
}

static void ipv4_mapped_ipv6_equals_plain_ipv4(void **state)
{
    (void)state;
    struct geo_addr a = addr("::ffff:198.51.100.7"), b = addr("198.51.100.7");
    assert_memory_equal(a.b, b.b, sizeof(a.b));
}

static void surrounding_blanks_are_allowed_and_length_is_honoured(void **state)
{
    (void)state;
    struct geo_addr a, want = addr("10.1.2.3");
    const char *text = " \t10.1.2.3  trailing";
    assert_int_equal(geo_addr_parse(text, 12, &a), 0);
    assert_memory_equal(a.b, want.b, sizeof(a.b));
}

static void non_addresses_are_rejected_and_leave_out_untouched(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4/8",
        "[::1]", "::1%eth0", "fe80::1::2", "unknown", "1.2.3.4:80", "0x7f.0.0.1",
        "1111:2222:3333:4444:5555:6666:7777:8888:9999",
        "0000:0000:0000:0000:0000:0000:0000:0000:0000:0001",
    };
    struct geo_addr a, sentinel;
    memset(&sentinel, 0xaa, sizeof(sentinel));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        a = sentinel;
        assert_int_equal(geo_addr_parse(bad[i], strlen(bad[i]), &a), -1);
        assert_memory_equal(a.b, sentinel.b, sizeof(a.b));
    }
    assert_int_equal(geo_addr_parse(NULL, 0, &a), -1);
}

static void an_embedded_nul_is_rejected(void **state)
{
    (void)state;
    struct geo_addr a;
    assert_int_equal(geo_addr_parse("1.2.3.4\0.5", 10, &a), -1);
}

static void socket_addresses_of_both_families_convert(void **state)
{
    (void)state;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    struct sockaddr sun = {.sa_family = AF_UNIX};
    struct geo_addr a;
    char out[INET6_ADDRSTRLEN];

    inet_pton(AF_INET, "203.0.113.9", &sin.sin_addr);
    assert_int_equal(geo_addr_from_sockaddr((struct sockaddr *)&sin, &a), 0);
    assert_string_equal(geo_addr_format(&a, out, sizeof(out)), "203.0.113.9");

    inet_pton(AF_INET6, "2001:db8::42", &sin6.sin6_addr);
    assert_int_equal(geo_addr_from_sockaddr((struct sockaddr *)&sin6, &a), 0);
    assert_string_equal(geo_addr_format(&a, out, sizeof(out)), "2001:db8::42");

    assert_int_equal(geo_addr_from_sockaddr(&sun, &a), -1);
    assert_int_equal(geo_addr_from_sockaddr(NULL, &a), -1);
}

static void formatting_into_a_short_buffer_gives_an_empty_string(void **state)
{
    (void)state;
    char out[8];
    struct geo_addr a = addr("2001:db8::1");
    assert_string_equal(geo_addr_format(&a, out, sizeof(out)), "");
}

/* ------------------------------------------------------ trusted proxies -- */

static void a_bad_proxy_entry_fails_with_an_error_naming_it(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "10.0.0.0/8, 10.0.0.300", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1",
        "10.0.0.0/8x", "/8", "10.0.0.0/0008", "localhost", "10.0.0.0/8/8",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        assert_null(geo_open(NULL, NULL, bad[i], err, sizeof(err)));
        assert_non_null(strstr(err, "is not an IP address or CIDR prefix"));
    }
    char err[256];
    assert_null(geo_open(NULL, NULL, "192.0.2.1, bogus-proxy ,::1", err, sizeof(err)));
    assert_non_null(strstr(err, "\"bogus-proxy\""));
    assert_null(geo_open(NULL, NULL, "bogus", NULL, 0));
}

static void blanks_and_empty_entries_in_the_proxy_list_are_ignored(void **state)
{
    (void)state;
    struct geo *g = open_proxies("  10.0.0.0/8 ,, \t::1\t,");
    struct geo_addr a = addr("10.200.0.1"), b = addr("::1"), c = addr("11.0.0.1");
    assert_true(geo_is_trusted_proxy(g, &a));
    assert_true(geo_is_trusted_proxy(g, &b));
    assert_false(geo_is_trusted_proxy(g, &c));
    geo_close(g);
}

static void prefix_edges_zero_thirty_two_and_one_twenty_eight_match_exactly(void **state)
{
    (void)state;
    struct geo *g = open_proxies("192.0.2.7/32, 2001:db8::7/128");
    struct geo_addr in4 = addr("192.0.2.7"), out4 = addr("192.0.2.6");
    struct geo_addr in6 = addr("2001:db8::7"), out6 = addr("2001:db8::6");
    assert_true(geo_is_trusted_proxy(g, &in4));
    assert_false(geo_is_trusted_proxy(g, &out4));
    assert_true(geo_is_trusted_proxy(g, &in6));
    assert_false(geo_is_trusted_proxy(g, &out6));
    geo_close(g);

    g = open_proxies("0.0.0.0/0");
    struct geo_addr any4 = addr("255.255.255.255"), v6 = addr("2001:db8::1");
    assert_true(geo_is_trusted_proxy(g, &any4));
    assert_false(geo_is_trusted_proxy(g, &v6));
    geo_close(g);

    g = open_proxies("::/0");
    assert_true(geo_is_trusted_proxy(g, &any4));
    assert_true(geo_is_trusted_proxy(g, &v6));
    geo_close(g);
}

static void odd_prefix_lengths_match_on_the_bit(void **state)
{
    (void)state;
    struct geo *g = open_proxies("172.16.0.0/12, fe80::/10");
    struct geo_addr in4 = addr("172.31.255.255"), out4 = addr("172.32.0.0");
    struct geo_addr in6 = addr("febf::1"), out6 = addr("fec0::1");
    assert_true(geo_is_trusted_proxy(g, &in4));
    assert_false(geo_is_trusted_proxy(g, &out4));
    assert_true(geo_is_trusted_proxy(g, &in6));
    assert_false(geo_is_trusted_proxy(g, &out6));
    geo_close(g);
}

static void host_bits_in_a_proxy_prefix_are_cleared(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.1.2.3/8");
    struct geo_addr a = addr("10.9.9.9");
    assert_true(geo_is_trusted_proxy(g, &a));
    geo_close(g);
}

/* ------------------------------------------------------ X-Forwarded-For -- */

static void an_untrusted_peer_ignores_x_forwarded_for(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    assert_string_equal(client(g, "198.51.100.1", "203.0.113.5"), "198.51.100.1");
    geo_close(g);
}

static void no_proxy_list_means_the_peer_is_always_the_client(void **state)
{
    (void)state;
    struct geo *g = open_proxies(NULL);
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5"), "10.0.0.1");
    geo_close(g);
}

static void a_trusted_peer_without_the_header_is_the_client(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    assert_string_equal(client(g, "10.0.0.1", NULL), "10.0.0.1");
    assert_string_equal(client(g, "10.0.0.1", ""), "10.0.0.1");
    assert_string_equal(client(g, "10.0.0.1", "   "), "10.0.0.1");
    geo_close(g);
}

static void a_trusted_peer_gives_the_right_most_entry(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5"), "203.0.113.5");
    geo_close(g);
}

static void spoofed_left_entries_are_ignored(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    assert_string_equal(client(g, "10.0.0.1", "1.1.1.1, 10.0.0.9, 203.0.113.5"), "203.0.113.5");
    geo_close(g);
}

static void a_chain_of_trusted_proxies_is_walked_through(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8, 192.0.2.0/24");
    assert_string_equal(client(g, "10.0.0.1", "8.8.8.8, 203.0.113.5, 192.0.2.10, 10.1.1.1"),
                        "203.0.113.5");
    geo_close(g);
}

static void when_every_entry_is_trusted_the_left_most_is_the_client(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    assert_string_equal(client(g, "10.0.0.1", "10.0.0.7, 10.0.0.8"), "10.0.0.7");
    geo_close(g);
}

static void garbage_stops_the_walk_at_the_last_trusted_hop(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5, unknown, 10.0.0.8"), "10.0.0.8");
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5, garbage"), "10.0.0.1");
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5,,10.0.0.8"), "10.0.0.8");
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5,"), "10.0.0.1");
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5:99999"), "10.0.0.1");
    geo_close(g);
}

static void entries_with_blanks_and_ports_are_accepted(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8, 2001:db8:1::/48");
    assert_string_equal(client(g, "10.0.0.1", "  203.0.113.5 \t"), "203.0.113.5");
    assert_string_equal(client(g, "10.0.0.1", "203.0.113.5:51234"), "203.0.113.5");
    assert_string_equal(client(g, "10.0.0.1", "[2001:db8::5]:443"), "2001:db8::5");
    assert_string_equal(client(g, "10.0.0.1", "[2001:db8::5]"), "2001:db8::5");
    assert_string_equal(client(g, "10.0.0.1", "2001:db8::5, [2001:db8:1::1]:80"), "2001:db8::5");
    geo_close(g);
}

static void malformed_brackets_and_ports_are_garbage(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    static const char *const bad[] = {
        "[2001:db8::5", "[2001:db8::5]:", "[2001:db8::5]x80", "[2001:db8::5]:123456",
        "[203.0.113.5]", "203.0.113.5:", "203.0.113.5:8a", "[]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_string_equal(client(g, "10.0.0.1", bad[i]), "10.0.0.1");
    geo_close(g);
}

static void ipv6_proxies_are_walked_like_ipv4_ones(void **state)
{
    (void)state;
    struct geo *g = open_proxies("2001:db8:ffff::/48, ::1");
    assert_string_equal(client(g, "::1", "2001:db8::99, 2001:db8:ffff::2"), "2001:db8::99");
    assert_string_equal(client(g, "::1", "198.51.100.4, 2001:db8:ffff::2"), "198.51.100.4");
    assert_string_equal(client(g, "2001:db8:fffe::1", "198.51.100.4"), "2001:db8:fffe::1");
    geo_close(g);
}

static void a_mapped_peer_of_a_dual_stack_socket_matches_an_ipv4_proxy(void **state)
{
    (void)state;
    struct geo *g = open_proxies("127.0.0.1");
    assert_string_equal(client(g, "::ffff:127.0.0.1", "203.0.113.5"), "203.0.113.5");
    geo_close(g);
}

static void the_walk_stops_after_a_bounded_number_of_hops(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    char xff[4096] = "203.0.113.5";
    for (int i = 0; i < GEO_XFF_MAX_HOPS + 10; i++)
        strcat(xff, ", 10.0.0.2");
    strcat(xff, ", 10.0.0.3");
    assert_string_equal(client(g, "10.0.0.1", xff), "10.0.0.2");
    geo_close(g);
}

static void a_very_long_header_is_handled(void **state)
{
    (void)state;
    struct geo *g = open_proxies("10.0.0.0/8");
    size_t n = 1 << 20;
    char *xff = test_malloc(n + 32);
    memset(xff, 'x', n);
    strcpy(xff + n, ", 10.0.0.7");
    assert_string_equal(client(g, "10.0.0.1", xff), "10.0.0.7");
    memset(xff, ',', n);
    strcpy(xff + n, "10.0.0.7");
    assert_string_equal(client(g, "10.0.0.1", xff), "10.0.0.7");
    test_free(xff);
    geo_close(g);
}

/* ------------------------------------------------------------ countries -- */

static void maxmind_test_address_is_in_great_britain(void **state)
{
    assert_string_equal(country(*state, "81.2.69.160"), "GB");
}

static void public_ipv4_addresses_get_their_country(void **state)
{
    assert_string_equal(country(*state, "8.8.8.8"), "US");
    assert_string_equal(country(*state, "200.147.67.142"), "BR");
    assert_string_equal(country(*state, "49.44.0.1"), "IN");
    assert_string_equal(country(*state, "::ffff:81.2.69.160"), "GB");
}

static void public_ipv6_addresses_get_their_country(void **state)
{
    assert_string_equal(country(*state, "2001:4860:4860::8888"), "US");
    assert_string_equal(country(*state, "2804:14c::1"), "BR");
}

static void non_public_addresses_are_zz(void **state)
{
    static const char *const nonpublic[] = {
        "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
        "100.127.255.254", "127.0.0.1", "169.254.1.1", "0.0.0.0", "224.0.0.1",
        "255.255.255.255", "192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1",
        "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    };
    for (size_t i = 0; i < sizeof(nonpublic) / sizeof(nonpublic[0]); i++)
        assert_string_equal(country(*state, nonpublic[i]), "ZZ");
}

static void addresses_next_to_private_ranges_are_public(void **state)
{
    assert_string_not_equal(country(*state, "172.32.0.1"), "ZZ");
    assert_string_not_equal(country(*state, "100.128.0.1"), "ZZ");
}

static void unknown_addresses_are_zz(void **state)
{
    /* Unallocated IPv6 space is in no database. */
    assert_string_equal(country(*state, "4000::1"), "ZZ");
}

struct lookup_thread {
    const struct geo *g;
    int wrong;
};

static void *lookup_run(void *arg)
{
    struct lookup_thread *t = arg;
    static const char *const cases[][2] = {
        {"81.2.69.160", "GB"}, {"8.8.8.8", "US"}, {"2804:14c::1", "BR"}, {"10.0.0.1", "ZZ"},
    };
    for (int i = 0; i < 20000; i++) {
        char out[3];
        struct geo_addr a;
        const char *const *c = cases[i % 4];
        geo_addr_parse(c[0], strlen(c[0]), &a);
        geo_country(t->g, &a, out);
        t->wrong += strcmp(out, c[1]) != 0;
    }
    return NULL;
}

static void concurrent_lookups_agree_with_single_ones(void **state)
{
    pthread_t t[4];
    struct lookup_thread lt[4];
    for (int i = 0; i < 4; i++) {
        lt[i] = (struct lookup_thread){.g = *state};
        assert_int_equal(pthread_create(&t[i], NULL, lookup_run, &lt[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(lt[i].wrong, 0);
    }
}

static void missing_databases_answer_zz_everywhere(void **state)
{
    (void)state;
    char err[256];
    struct geo *g = geo_open("/nonexistent/GeoIP.dat", NULL, NULL, err, sizeof(err));
    assert_non_null(g);
    assert_string_equal(country(g, "81.2.69.160"), "ZZ");
    assert_string_equal(country(g, "8.8.8.8"), "ZZ");
    assert_string_equal(country(g, "2001:4860:4860::8888"), "ZZ");
    geo_close(g);
}

static void a_database_of_the_wrong_family_is_not_used(void **state)
{
    (void)state;
    char err[256];
    struct geo *g = geo_open(DB_V6, DB_V4, NULL, err, sizeof(err));
    assert_non_null(g);
    assert_string_equal(country(g, "8.8.8.8"), "ZZ");
    assert_string_equal(country(g, "2001:4860:4860::8888"), "ZZ");
    geo_close(g);
}

int main(int argc, char **argv)
{
    log_set_level(LOG_ERROR);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_is_parsed_and_formatted_as_a_dotted_quad),
        cmocka_unit_test(ipv6_is_parsed_and_formatted_in_canonical_form),
        cmocka_unit_test(ipv4_mapped_ipv6_equals_plain_ipv4),
        cmocka_unit_test(surrounding_blanks_are_allowed_and_length_is_honoured),
        cmocka_unit_test(non_addresses_are_rejected_and_leave_out_untouched),
        cmocka_unit_test(an_embedded_nul_is_rejected),
        cmocka_unit_test(socket_addresses_of_both_families_convert),
        cmocka_unit_test(formatting_into_a_short_buffer_gives_an_empty_string),
        cmocka_unit_test(a_bad_proxy_entry_fails_with_an_error_naming_it),
        cmocka_unit_test(blanks_and_empty_entries_in_the_proxy_list_are_ignored),
        cmocka_unit_test(prefix_edges_zero_thirty_two_and_one_twenty_eight_match_exactly),
        cmocka_unit_test(odd_prefix_lengths_match_on_the_bit),
        cmocka_unit_test(host_bits_in_a_proxy_prefix_are_cleared),
        cmocka_unit_test(an_untrusted_peer_ignores_x_forwarded_for),
        cmocka_unit_test(no_proxy_list_means_the_peer_is_always_the_client),
        cmocka_unit_test(a_trusted_peer_without_the_header_is_the_client),
        cmocka_unit_test(a_trusted_peer_gives_the_right_most_entry),
        cmocka_unit_test(spoofed_left_entries_are_ignored),
        cmocka_unit_test(a_chain_of_trusted_proxies_is_walked_through),
        cmocka_unit_test(when_every_entry_is_trusted_the_left_most_is_the_client),
        cmocka_unit_test(garbage_stops_the_walk_at_the_last_trusted_hop),
        cmocka_unit_test(entries_with_blanks_and_ports_are_accepted),
        cmocka_unit_test(malformed_brackets_and_ports_are_garbage),
        cmocka_unit_test(ipv6_proxies_are_walked_like_ipv4_ones),
        cmocka_unit_test(a_mapped_peer_of_a_dual_stack_socket_matches_an_ipv4_proxy),
        cmocka_unit_test(the_walk_stops_after_a_bounded_number_of_hops),
        cmocka_unit_test(a_very_long_header_is_handled),
        cmocka_unit_test_setup_teardown(maxmind_test_address_is_in_great_britain,
                                        setup_databases, teardown_databases),
        cmocka_unit_test_setup_teardown(public_ipv4_addresses_get_their_country,
                                        setup_databases, teardown_databases),
        cmocka_unit_test_setup_teardown(public_ipv6_addresses_get_their_country,
                                        setup_databases, teardown_databases),
        cmocka_unit_test_setup_teardown(non_public_addresses_are_zz, setup_databases,
                                        teardown_databases),
        cmocka_unit_test_setup_teardown(addresses_next_to_private_ranges_are_public,
                                        setup_databases, teardown_databases),
        cmocka_unit_test_setup_teardown(unknown_addresses_are_zz, setup_databases,
                                        teardown_databases),
        cmocka_unit_test_setup_teardown(concurrent_lookups_agree_with_single_ones,
                                        setup_databases, teardown_databases),
        cmocka_unit_test(missing_databases_answer_zz_everywhere),
        cmocka_unit_test(a_database_of_the_wrong_family_is_not_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
