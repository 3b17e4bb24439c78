/* geo.c - client address and country of a request (see geo.h).
 *
 * Addresses are kept as 16 bytes with IPv4 mapped into ::ffff:0:0/96, so
 * one prefix matcher serves the trusted proxy list and the table of
 * non-public ranges. The X-Forwarded-For walk scans the header once from the
 * right, entry by entry, without copying it. Countries come from libGeoIP
 * with GEOIP_MEMORY_CACHE and without GEOIP_CHECK_CACHE, so the database is
 * never reloaded under a reader; but every libGeoIP lookup also stores the
 * "last netmask" into the shared handle (gi->netmask), a data race in C11
 * terms, so each database has a mutex held for the few hundred nanoseconds
 * of a lookup. */
#include "geo/geo.h"
#include "core/alloc.h"
#include "core/log.h"

#include <GeoIP.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct prefix {
    struct geo_addr net;  /* host bits cleared */
    unsigned bits;        /* 0..128, in the 128-bit (mapped) space */
};

struct geo_db {
    GeoIP *gi;
    pthread_mutex_t lock;  /* libGeoIP writes gi->netmask on every lookup */
};

struct geo {
    struct geo_db *v4;  /* NULL when missing: lookups answer "ZZ" */
    struct geo_db *v6;
    struct prefix *proxies;
    size_t nproxies;
};

/* IPv4 ranges that are not any country's (RFC 6890 special-purpose). */
static const struct {
    uint32_t net;
    unsigned bits;
} nonpublic_v4[] = {
    {0x00000000u, 8},   /* 0.0.0.0/8 "this network", unspecified */
    {0x0a000000u, 8},   /* 10.0.0.0/8 private */
    {0x64400000u, 10},  /* 100.64.0.0/10 shared address space (CGNAT) */
    {0x7f000000u, 8},   /* 127.0.0.0/8 loopback */
    {0xa9fe0000u, 16},  /* 169.254.0.0/16 link-local */
    {0xac100000u, 12},  /* 172.16.0.0/12 private */
    {0xc0000000u, 24},  /* 192.0.0.0/24 IETF protocol assignments */
    {0xc0000200u, 24},  /* 192.0.2.0/24 documentation (TEST-NET-1) */
    {0xc0a80000u, 16},  /* 192.168.0.0/16 private */
    {0xc6120000u, 15},  /* 198.18.0.0/15 benchmarking */
    {0xc6336400u, 24},  /* 198.51.100.0/24 documentation (TEST-NET-2) */
    {0xcb007100u, 24},  /* 203.0.113.0/24 documentation (TEST-NET-3) */
    {0xe0000000u, 4},   /* 224.0.0.0/4 multicast */
    {0xf0000000u, 4},   /* 240.0.0.0/4 reserved, broadcast */
};

/* IPv6 ranges that are not any country's. */
static const struct prefix nonpublic_v6[] = {
    {{{0}}, 128},                           /* :: unspecified */
    {{{[15] = 1}}, 128},                    /* ::1 loopback */
    {{{0x01, 0x00}}, 64},                   /* 100::/64 discard-only */
    {{{0x20, 0x01, 0x0d, 0xb8}}, 32},       /* 2001:db8::/32 documentation */
    {{{0x3f, 0xff}}, 20},                   /* 3fff::/20 documentation */
    {{{0xfc}}, 7},                          /* fc00::/7 unique-local */
    {{{0xfe, 0x80}}, 10},                   /* fe80::/10 link-local */
    {{{0xfe, 0xc0}}, 10},                   /* fec0::/10 site-local (deprecated) */
    {{{0xff}}, 8},                          /* ff00::/8 multicast */
};

/* Codes of the legacy database that are not ISO 3166-1 countries. */
static const char *const pseudo_countries[] = {"A1", "A2", "O1", "AP", "EU"};

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ------------------------------------------------------------ addresses -- */

static int addr_is_v4(const struct geo_addr *a)
{
    return memcmp(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

static uint32_t addr_v4_num(const struct geo_addr *a)
{
    return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
           (uint32_t)a->b[15];
}

static void addr_set_v4(struct geo_addr *a, const unsigned char v4[4])
{
    memcpy(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
    memcpy(a->b + sizeof(v4_mapped_prefix), v4, 4);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Shrink [*s, *s + *len) past spaces and tabs at both ends. */
static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*s)[*len - 1]))
        (*len)--;
}

int geo_addr_from_sockaddr(const struct sockaddr *sa, struct geo_addr *out)
{
    if (!sa)
        return -1;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        addr_set_v4(out, (const unsigned char *)&sin->sin_addr.s_addr);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        memcpy(out->b, sin6->sin6_addr.s6_addr, sizeof(out->b));
        return 0;
    }
    return -1;
}

int geo_addr_parse(const char *s, size_t len, struct geo_addr *out)
{
    char text[INET6_ADDRSTRLEN];
    struct geo_addr a;

    if (!s)
        return -1;
    trim(&s, &len);
    if (len == 0 || len >= sizeof(text) || memchr(s, '\0', len))
        return -1;
    memcpy(text, s, len);
    text[len] = '\0';
    if (memchr(text, ':', len)) {
        if (inet_pton(AF_INET6, text, a.b) != 1)
            return -1;
    } else {
        unsigned char v4[4];
        if (inet_pton(AF_INET, text, v4) != 1)
            return -1;
        addr_set_v4(&a, v4);
    }
    *out = a;
    return 0;
}

const char *geo_addr_format(const struct geo_addr *a, char *out, size_t outsz)
{
    if (outsz == 0)
        return out;
    const char *r;
    if (addr_is_v4(a))
        r = inet_ntop(AF_INET, a->b + sizeof(v4_mapped_prefix), out, (socklen_t)outsz);
    else
        r = inet_ntop(AF_INET6, a->b, out, (socklen_t)outsz);
    if (!r)
        out[0] = '\0';
    return out;
}

/* ------------------------------------------------------------- prefixes -- */

static int prefix_contains(const struct geo_addr *net, unsigned bits, const struct geo_addr *a)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(net->b, a->b, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net->b[whole] & mask) == (a->b[whole] & mask);
}

/* Clear the bits of a below the prefix length; returns whether any was set. */
static int prefix_clear_host_bits(struct geo_addr *a, unsigned bits)
{
    int had = 0;
    for (unsigned i = 0; i < sizeof(a->b); i++) {
        unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
        unsigned char mask = (unsigned char)(0xff00 >> keep);
        had |= (a->b[i] & ~mask) != 0;
        a->b[i] &= mask;
    }
    return had;
}

/* Parse one entry of the proxy list ("addr" or "addr/len", trimmed). */
static int prefix_parse(const char *s, size_t len, struct prefix *out)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    int v6 = memchr(s, ':', alen) != NULL;
    unsigned max = v6 ? 128 : 32, bits = max;

    if (geo_addr_parse(s, alen, &out->net) != 0)
        return -1;
    if (slash) {
        const char *d = slash + 1;
        size_t dlen = len - alen - 1;
        if (dlen == 0 || dlen > 3)
            return -1;
        bits = 0;
        for (size_t i = 0; i < dlen; i++) {
            if (d[i] < '0' || d[i] > '9')
                return -1;
            bits = bits * 10 + (unsigned)(d[i] - '0');
        }
        if (bits > max)
            return -1;
    }
    out->bits = v6 ? bits : 96 + bits;
    if (prefix_clear_host_bits(&out->net, out->bits)) {
        char q[96], text[80];
        snprintf(text, sizeof(text), "%.*s", (int)(len < 64 ? len : 64), s);
        log_warn("trusted proxy prefix has host bits set", "entry=%s",
                 log_quote(text, q, sizeof(q)));
    }
    return 0;
}

static void set_err(char *err, size_t errsz, const char *s, size_t len)
{
    if (err && errsz)
        snprintf(err, errsz, "trusted_proxies: \"%.*s\" is not an IP address or CIDR prefix",
                 (int)(len < 64 ? len : 64), s);
}

/* Parse the comma-separated list into g->proxies; 0 or -1 with err set. */
static int proxies_parse(struct geo *g, const char *list, char *err, size_t errsz)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    g->proxies = xmalloc(n * sizeof(*g->proxies));

    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *s = p;
        trim(&s, &len);
        if (len > 0) {
            if (prefix_parse(s, len, &g->proxies[g->nproxies]) != 0) {
                set_err(err, errsz, s, len);
                return -1;
            }
            g->nproxies++;
        }
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int geo_is_trusted_proxy(const struct geo *g, const struct geo_addr *a)
{
    for (size_t i = 0; i < g->nproxies; i++) {
        if (prefix_contains(&g->proxies[i].net, g->proxies[i].bits, a))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------ X-Forwarded-For -- */

/* Whether [s, s + len) is a port number, 0..65535 in 1-5 digits. */
static int is_port(const char *s, size_t len)
{
    unsigned v = 0;
    if (len == 0 || len > 5)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= 65535;
}

/* One X-Forwarded-For entry: an address, "[v6]", "[v6]:port" or
 * "a.b.c.d:port" (the port is checked, then ignored). A bare IPv6 address
 * is never split at a colon. */
static int xff_entry_parse(const char *s, size_t len, struct geo_addr *out)
{
    trim(&s, &len);
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return -1;
        size_t inner = (size_t)(close - s) - 1, after = len - inner - 2;
        if (after > 0 && (close[1] != ':' || !is_port(close + 2, after - 1)))
            return -1;
        if (!memchr(s + 1, ':', inner))
            return -1;
        return geo_addr_parse(s + 1, inner, out);
    }
    const char *colon = memchr(s, ':', len);
    if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) {
        if (!is_port(colon + 1, len - (size_t)(colon - s) - 1))
            return -1;
        len = (size_t)(colon - s);
    }
    return geo_addr_parse(s, len, out);
}

struct geo_addr geo_client_addr(const struct geo *g, const struct geo_addr *peer,
                                const char *xff)
{
    struct geo_addr last = *peer, a;
    if (!xff || !geo_is_trusted_proxy(g, peer))
        return last;

    size_t end = strlen(xff);
    for (unsigned hop = 0; hop < GEO_XFF_MAX_HOPS; hop++) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        if (xff_entry_parse(xff + start, end - start, &a) != 0)
            return last;
        if (!geo_is_trusted_proxy(g, &a))
            return a;
        last = a;
        if (start == 0)
            break;
        end = start - 1;
    }
    return last;
}

/* ------------------------------------------------------------ countries -- */

static struct geo_db *db_open(const char *path, int family)
{
    if (!path) {
        log_warn("geoip database not configured", "family=%s",
                 family == AF_INET ? "ipv4" : "ipv6");
        return NULL;
    }
    char q[512];
    GeoIP *gi = GeoIP_open(path, GEOIP_MEMORY_CACHE | GEOIP_SILENCE);
    if (!gi) {
        log_warn("geoip database missing", "path=%s", log_quote(path, q, sizeof(q)));
        return NULL;
    }
    int ed = GeoIP_database_edition(gi);
    int ok = family == AF_INET
                 ? ed == GEOIP_COUNTRY_EDITION || ed == GEOIP_LARGE_COUNTRY_EDITION
                 : ed == GEOIP_COUNTRY_EDITION_V6 || ed == GEOIP_LARGE_COUNTRY_EDITION_V6;
    if (!ok) {
        log_warn("geoip database is not a country database", "path=%s edition=%d family=%s",
                 log_quote(path, q, sizeof(q)), ed, family == AF_INET ? "ipv4" : "ipv6");
        GeoIP_delete(gi);
        return NULL;
    }
    struct geo_db *db = xmalloc(sizeof(*db));
    db->gi = gi;
    pthread_mutex_init(&db->lock, NULL);
    return db;
}

static void db_close(struct geo_db *db)
{
    if (!db)
        return;
    GeoIP_delete(db->gi);
    pthread_mutex_destroy(&db->lock);
    free(db);
}

struct geo *geo_open(const char *db_v4, const char *db_v6, const char *trusted_proxies,
                     char *err, size_t errsz)
{
    struct geo *g = xcalloc(1, sizeof(*g));
    if (trusted_proxies && proxies_parse(g, trusted_proxies, err, errsz) != 0)
        goto fail;
    g->v4 = db_open(db_v4, AF_INET);
    g->v6 = db_open(db_v6, AF_INET6);
    return g;

fail:
    free(g->proxies);
    free(g);
    return NULL;
}

void geo_close(struct geo *g)
{
    if (!g)
        return;
    db_close(g->v6);
    db_close(g->v4);
    free(g->proxies);
    free(g);
}

static int is_nonpublic(const struct geo_addr *a)
{
    if (addr_is_v4(a)) {
        uint32_t n = addr_v4_num(a);
        for (size_t i = 0; i < sizeof(nonpublic_v4) / sizeof(nonpublic_v4[0]); i++) {
            uint32_t mask = ~(uint32_t)0 << (32 - nonpublic_v4[i].bits);
            if ((n & mask) == nonpublic_v4[i].net)
                return 1;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof(nonpublic_v6) / sizeof(nonpublic_v6[0]); i++) {
        if (prefix_contains(&nonpublic_v6[i].net, nonpublic_v6[i].bits, a))
            return 1;
    }
    return 0;
}

/* Whether a code from the database names a real country. */
static int is_country(const char *code)
{
    if (!code || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2])
        return 0;
    for (size_t i = 0; i < sizeof(pseudo_countries) / sizeof(pseudo_countries[0]); i++) {
        if (strcmp(code, pseudo_countries[i]) == 0)
            return 0;
    }
    return 1;
}

void geo_country(const struct geo *g, const struct geo_addr *a, char out[3])
{
    const char *code = NULL;
    int v4 = addr_is_v4(a);
    struct geo_db *db = v4 ? g->v4 : g->v6;

    if (db && !is_nonpublic(a)) {
        /* The codes point into libGeoIP's static table: safe after unlock. */
        pthread_mutex_lock(&db->lock);
        if (v4) {
            code = GeoIP_country_code_by_ipnum(db->gi, addr_v4_num(a));
        } else {
            geoipv6_t in6;
            memcpy(in6.s6_addr, a->b, sizeof(in6.s6_addr));
            code = GeoIP_country_code_by_ipnum_v6(db->gi, in6);
        }
        pthread_mutex_unlock(&db->lock);
    }
    if (!is_country(code))
        code = "ZZ";
    memcpy(out, code, 3);
}
