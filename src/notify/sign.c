/* sign.c - HMAC-SHA256 signatures and random hex (see sign.h). The signed
 * bytes "<t>.<body>" are put together in one buffer and given to
 * OpenSSL's one-shot HMAC(); hex digits are lowercase. */
#include "notify/sign.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define DIGEST_LEN 32

static void to_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The hex HMAC of "<t>.<body>" (65 bytes with NUL). */
static void mac_hex(const char *secret, int64_t t, const char *body, size_t len,
                    char hex[2 * DIGEST_LEN + 1])
{
    struct buf signed_bytes;
    buf_init(&signed_bytes);
    buf_printf(&signed_bytes, "%" PRId64 ".", t);
    buf_append(&signed_bytes, body, len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_bytes.data,
         signed_bytes.len, mac, &maclen);
    to_hex(mac, DIGEST_LEN, hex);
    buf_free(&signed_bytes);
}

void sign_value(const char *secret, int64_t t, const char *body, size_t len,
                char out[SIGN_VALUE_MAX])
{
    char hex[2 * DIGEST_LEN + 1];
    mac_hex(secret, t, body, len, hex);
    snprintf(out, SIGN_VALUE_MAX, "t=%" PRId64 ",v1=%s", t, hex);
}

enum sign_check sign_verify(const char *secret, const char *value, const char *body, size_t len,
                            int64_t now, int64_t tolerance)
{
    /* "t=<digits>" then ",v1=<64 hex>" items; other schemes are skipped. */
    if (strncmp(value, "t=", 2) != 0)
        return SIGN_MALFORMED;
    char *end;
    long long t = strtoll(value + 2, &end, 10);
    if (end == value + 2 || (*end != ',' && *end != '\0'))
        return SIGN_MALFORMED;
    char want[2 * DIGEST_LEN + 1];
    mac_hex(secret, t, body, len, want);
    int seen = 0, matched = 0;
    for (const char *p = end; *p == ',';) {
        const char *item = p + 1;
        size_t n = strcspn(item, ",");
        if (n == 3 + 2 * DIGEST_LEN && strncmp(item, "v1=", 3) == 0) {
            seen = 1;
            matched |= CRYPTO_memcmp(item + 3, want, 2 * DIGEST_LEN) == 0;
        }
        p = item + n;
    }
    if (!seen)
        return SIGN_MALFORMED;
    if (!matched)
        return SIGN_MISMATCH;
    return llabs(now - t) <= tolerance ? SIGN_OK : SIGN_STALE;
}

int sign_random_hex(char *out, size_t nbytes)
{
    unsigned char bytes[64];
    if (nbytes > sizeof(bytes) || RAND_bytes(bytes, (int)nbytes) != 1)
        return -1;
    to_hex(bytes, nbytes, out);
    return 0;
}
