/* fuzz_web.c - libFuzzer target for what the status page's server reads
 * from requests (src/web/web.c): the path routed to an embedded file, the
 * Accept-Encoding list with its q-values, and the If-None-Match list
 * (http_etag_matches, which the API's 304s use too).
 *
 * The input is cut at its first two '\n' into a path, an Accept-Encoding
 * value and an If-None-Match value (missing parts are absent headers). A
 * route must be NULL or one of the embedded files; a list that ends with
 * the etag itself, or is "*", must match; the answers must be 0 or 1 and
 * not depend on a trailing comma. Any breach aborts, so the fuzzer keeps
 * the input.
 *
 * Built by CMake with -DDW_FUZZ=ON (make fuzz); run from the repository root:
 *   ./fuzz_web -dict=fuzz/dict/web.dict /tmp/corpus fuzz/corpus/web */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"
#include "web/web.h"

#define ETAG "\"0123456789abcdef\""

static char *part(const uint8_t **data, size_t *size, int *present)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *data, n);
    s[n] = '\0';
    *present = nl != NULL || *size > 0;
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int has_path, has_ae, has_inm;
    char *path = part(&data, &size, &has_path);
    char *ae = part(&data, &size, &has_ae);
    char *inm = part(&data, &size, &has_inm);

    const struct web_asset *a = web_route(path);
    if (a && (web_find(a->path) != a || !a->data || !a->etag))
        abort();
    int gz = web_accepts_gzip(has_ae ? ae : NULL);
    if (gz != 0 && gz != 1)
        abort();
    int match = http_etag_matches(has_inm ? inm : NULL, ETAG);
    if (match != 0 && match != 1)
        abort();
    size_t n = strlen(inm);
    char *with = malloc(n + sizeof(ETAG) + 2);
    if (!with)
        abort();
    snprintf(with, n + sizeof(ETAG) + 2, "%s,%s", inm, ETAG);
    if (http_etag_matches(with, ETAG) != 1 || http_etag_matches("*", ETAG) != 1)
        abort();
    free(with);
    free(path);
    free(ae);
    free(inm);
    return 0;
}
