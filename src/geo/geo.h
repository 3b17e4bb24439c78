/* geo.h - where a report comes from: the client address of a request and
 * its country.
 *
 * The address is the peer of the TCP connection, unless that peer is one of
 * the configured trusted proxies: then the right-most address of
 * X-Forwarded-For that is not itself a trusted proxy is taken (the standard
 * walk from the right, so a client cannot forge its way past the proxy by
 * prepending addresses). The country comes from Debian's GeoIP country
 * databases (legacy GeoIP.dat / GeoIPv6.dat through libGeoIP); private,
 * loopback, link-local and unknown addresses give "ZZ".
 *
 * A struct geo is immutable once opened: every function below may be called
 * from any number of threads at once (geo_close() excepted). */
#ifndef DW_GEO_H
#define DW_GEO_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* An address as 16 bytes in network order (IPv4 mapped into
 * ::ffff:a.b.c.d, so one representation serves both families and a
 * dual-stack socket's mapped peers compare equal to plain IPv4 ones). */
struct geo_addr {
    unsigned char b[16];
};

struct geo;

/* X-Forwarded-For entries that geo_client_addr() looks at, at most. */
#define GEO_XFF_MAX_HOPS 32

/* Open the databases and parse the trusted proxy list.
 *
 * db_v4, db_v6: paths of a GeoIP country database (GeoIP.dat) and of an
 * IPv6 country database (GeoIPv6.dat). Either may be NULL, missing or not a
 * country database: lookups in that family then answer "ZZ", and a warning
 * is logged. The databases are read into memory once.
 *
 * trusted_proxies: NULL, or a comma-separated list of IPv4/IPv6 addresses or
 * CIDR prefixes ("10.0.0.0/8, 192.0.2.7, ::1, 2001:db8::/32"); spaces around
 * entries and empty entries are ignored. An IPv4 prefix covers IPv4 (and
 * IPv4-mapped) addresses only: "0.0.0.0/0" is every IPv4 address, "::/0"
 * every address. Host bits below the prefix length are cleared (with a
 * warning).
 *
 * Returns the handle (free with geo_close()), or NULL when an entry of the
 * proxy list is not an address or prefix: err (size errsz, may be NULL)
 * then holds a sentence that quotes the entry. */
struct geo *geo_open(const char *db_v4, const char *db_v6, const char *trusted_proxies,
                     char *err, size_t errsz);
/* Release the handle and its databases. NULL is allowed. No other thread
 * may be using g. */
void geo_close(struct geo *g);

/* Convert a socket address (AF_INET or AF_INET6, port ignored); returns 0,
 * or -1 for a NULL address or another family (out is then untouched). */
int geo_addr_from_sockaddr(const struct sockaddr *sa, struct geo_addr *out);
/* Parse a textual IPv4 (dotted quad) or IPv6 address of len bytes, which
 * need not be NUL-terminated; spaces and tabs around it are allowed. No
 * brackets, ports, zone ids or prefix lengths. Returns 0, or -1 if the text
 * is not an address (out is then untouched). */
int geo_addr_parse(const char *s, size_t len, struct geo_addr *out);
/* Text form of an address into out (IPv4-mapped shown as a dotted quad);
 * outsz of INET6_ADDRSTRLEN is always enough. Returns out ("" if it was
 * too small). */
const char *geo_addr_format(const struct geo_addr *a, char *out, size_t outsz);

/* The client address of a request: the peer, unless the peer is a trusted
 * proxy and xff (the X-Forwarded-For header value; NULL when absent) is
 * given. If a request carried several X-Forwarded-For lines, pass them
 * joined with "," in the order received.
 *
 * The walk goes from the right-most entry leftwards, skipping trusted
 * proxies, and returns the first address that is not one. An entry that is
 * not an address ends the walk: the last trusted hop seen is returned, so
 * garbage is never believed. If every entry is trusted the left-most is
 * returned. Entries may be surrounded by spaces and may carry a port
 * ("192.0.2.1:4711", "[2001:db8::1]:4711", as some load balancers write
 * them); the port is ignored. At most GEO_XFF_MAX_HOPS entries are looked
 * at; past them the last trusted hop seen is returned. Work is linear in
 * the length of xff. */
struct geo_addr geo_client_addr(const struct geo *g, const struct geo_addr *peer,
                                const char *xff);
/* Whether an address is inside one of the trusted proxy prefixes (1/0). */
int geo_is_trusted_proxy(const struct geo *g, const struct geo_addr *a);

/* Country of an address as an upper-case ISO 3166-1 alpha-2 code into
 * out[3]. "ZZ" when unknown, when the database is missing, for non-public
 * addresses (private, shared/CGNAT, loopback, link-local, unique-local,
 * unspecified, multicast, reserved, documentation and benchmarking ranges)
 * and for the legacy database's pseudo-countries (A1 anonymous proxy,
 * A2 satellite, O1 other, AP Asia/Pacific, EU Europe). Thread-safe. */
void geo_country(const struct geo *g, const struct geo_addr *a, char out[3]);

#endif
