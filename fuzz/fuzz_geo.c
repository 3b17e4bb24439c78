/* fuzz_geo.c - libFuzzer target for the text parsers of src/geo: addresses,
 * the trusted proxy list and the X-Forwarded-For walk.
 *
 * The input is split at its first newline into a proxy list and an
 * X-Forwarded-For value. The list is opened without databases; if it parses,
 * the header is walked from two peers (IPv4 and IPv6). The header is also
 * walked through a fixed proxy list, and the whole input is parsed as one
 * address. Beyond the sanitizers' part it checks the contracts: a refused
 * list writes an error; an untrusted peer is its own client; every address
 * formats and parses back to the same bytes; without databases every
 * country is "ZZ". Seeds: fuzz/corpus/geo/, dictionary: fuzz/dict/geo.dict. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "geo/geo.h"

static struct geo *fixed;

static void check_addr(const struct geo *g, const struct geo_addr *a)
{
    char text[INET6_ADDRSTRLEN], cc[3];
    struct geo_addr back;

    geo_addr_format(a, text, sizeof(text));
    if (text[0] == '\0' || geo_addr_parse(text, strlen(text), &back) != 0 ||
        memcmp(a->b, back.b, sizeof(a->b)) != 0)
        abort();
    geo_country(g, a, cc);
    if (strcmp(cc, "ZZ") != 0)
        abort();
}

static void walk(const struct geo *g, const char *peer_text, const char *xff)
{
    struct geo_addr peer, client;

    if (geo_addr_parse(peer_text, strlen(peer_text), &peer) != 0)
        abort();
    client = geo_client_addr(g, &peer, xff);
    if (!geo_is_trusted_proxy(g, &peer) && memcmp(client.b, peer.b, sizeof(peer.b)) != 0)
        abort();
    check_addr(g, &client);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    fixed = geo_open(NULL, NULL, "10.0.0.0/8, 192.0.2.0/24, ::1, 2001:db8::/32", NULL, 0);
    return fixed ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t split = nl ? (size_t)(nl - (const char *)data) : size;
    char *proxies = xstrndup((const char *)data, split);
    char *xff = xstrndup(nl ? nl + 1 : "", nl ? size - split - 1 : 0);
    char err[256] = "";
    struct geo_addr a;

    struct geo *g = geo_open(NULL, NULL, proxies, err, sizeof(err));
    if (!g) {
        if (err[0] == '\0')
            abort();
    } else {
        walk(g, "10.0.0.1", xff);
        walk(g, "::1", xff);
        geo_close(g);
    }
    walk(fixed, "10.0.0.1", xff);
    walk(fixed, "203.0.113.9", xff);
    if (geo_addr_parse((const char *)data, size, &a) == 0)
        check_addr(fixed, &a);

    free(xff);
    free(proxies);
    return 0;
}
