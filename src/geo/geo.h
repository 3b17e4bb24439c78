/* geo.h - where a report comes from: the client address of a request and
 * its country.
 *
 * The address is the peer of the TCP connection, unless that peer is one of
 * the configured trusted proxies: then the right-most address of
 * X-Forwarded-For that is not itself a trusted proxy is taken (the standard
 * walk from the right, so a client cannot forge its way past the proxy by
 * prepending addresses). The country comes from Debian's GeoIP country
 * databases (legacy GeoIP.dat / GeoIPv6.dat through libGeoIP); private,
 * loopback, link-local and unknown addresses give "ZZ". */
#ifndef DW_GEO_H
#define DW_GEO_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* An address as 16 bytes (IPv4 mapped into ::ffff:a.b.c.d). */
struct geo_addr {
    unsigned char b[16];
};

struct geo;

/* Open the databases (either path may be NULL or missing: lookups then
 * answer "ZZ" and a warning is logged) and parse trusted_proxies, a
 * comma-separated list of addresses or CIDR prefixes ("10.0.0.0/8, ::1").
 * Returns NULL on a bad proxy list with a sentence in err. */
struct geo *geo_open(const char *db_v4, const char *db_v6, const char *trusted_proxies,
                     char *err, size_t errsz);
void geo_close(struct geo *g);

/* Convert a socket address; returns 0 or -1 for a family other than
 * AF_INET/AF_INET6. */
int geo_addr_from_sockaddr(const struct sockaddr *sa, struct geo_addr *out);
/* Parse a textual IPv4/IPv6 address (surrounding spaces allowed); 0 or -1. */
int geo_addr_parse(const char *s, size_t len, struct geo_addr *out);
/* Text form of an address (IPv4-mapped shown as dotted quad) into out. */
const char *geo_addr_format(const struct geo_addr *a, char *out, size_t outsz);

/* The client address of a request: peer, or from xff (the X-Forwarded-For
 * header value, may be NULL) when the peer is a trusted proxy. */
struct geo_addr geo_client_addr(const struct geo *g, const struct geo_addr *peer,
                                const char *xff);
/* Whether an address is inside one of the trusted proxy prefixes. */
int geo_is_trusted_proxy(const struct geo *g, const struct geo_addr *a);

/* Country of an address as an upper-case code into out[3] ("ZZ" when
 * unknown or non-public). Thread-safe. */
void geo_country(const struct geo *g, const struct geo_addr *a, char out[3]);

#endif
