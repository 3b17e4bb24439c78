/* sign.h - webhook signatures and the random secrets they use, with
 * OpenSSL's libcrypto (Debian libssl-dev), never crypto of our own.
 *
 * Every delivery carries a header in the manner of Stripe's:
 *   Downwatch-Signature: t=1712162000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 * where t is the Unix time of the attempt and v1 the lowercase hex
 * HMAC-SHA256, keyed with the subscription's secret, of the bytes
 * "<t>.<body>". A receiver recomputes it over the body exactly as received
 * and refuses a mismatch (tampering) and a t too far from its own clock (a
 * replay of an old delivery); sign_verify is that check. */
#ifndef DW_SIGN_H
#define DW_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_HEADER "Downwatch-Signature"
#define SIGN_VALUE_MAX 96 /* "t=" 20 digits ",v1=" 64 hex, NUL */

/* Write the header's value for body[0..len) signed at time t into out
 * (SIGN_VALUE_MAX bytes). */
void sign_value(const char *secret, int64_t t, const char *body, size_t len,
                char out[SIGN_VALUE_MAX]);

enum sign_check { SIGN_OK = 0, SIGN_MALFORMED = -1, SIGN_MISMATCH = -2, SIGN_STALE = -3 };

/* Check a header value against body as a receiver does: SIGN_OK when a v1
 * matches (compared in constant time) and |now - t| <= tolerance seconds. */
enum sign_check sign_verify(const char *secret, const char *value, const char *body, size_t len,
                            int64_t now, int64_t tolerance);

/* nbytes random bytes from OpenSSL's CSPRNG as 2*nbytes hex digits and a
 * NUL into out. 0, or -1 when the generator fails. */
int sign_random_hex(char *out, size_t nbytes);

#endif
