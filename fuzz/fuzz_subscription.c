/* fuzz_subscription.c - libFuzzer target for the body of POST
 * /api/v1/subscriptions (src/notify/sub.c, sub_parse_json).
 *
 * A failure must name an error code and give a printable sentence. A
 * success must survive the trip through the store: its spec (with a secret,
 * as the API generates one when the body has none) read back without a
 * catalog must render exactly as the original. Any breach aborts.
 *
 * Built by CMake with -DDW_FUZZ=ON (make fuzz); run from the repository root:
 *   ./fuzz_subscription -dict=fuzz/dict/subscription.dict /tmp/corpus fuzz/corpus/subscription */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "notify/sub.h"

static struct catalog *cat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cat)
        cat = catalog_builtin();
    struct sub s = {0}, back = {0};
    const char *code = NULL;
    char detail[256] = "";
    if (sub_parse_json((const char *)data, size, cat, &s, &code, detail, sizeof(detail)) < 0) {
        if (!code || !*code || !*detail)
            abort();
        for (const char *p = detail; *p; p++)
            if ((unsigned char)*p < 0x20)
                abort();
        sub_clear(&s);
        return 0;
    }
    if (!s.secret)
        s.secret = xstrdup("whsec_0123456789abcdef");
    struct buf spec, one, two;
    buf_init(&spec);
    buf_init(&one);
    buf_init(&two);
    sub_spec_json(&s, &spec);
    if (sub_parse_json(spec.data, spec.len, NULL, &back, &code, detail, sizeof(detail)) < 0)
        abort();
    sub_json(&s, 1, &one);
    sub_json(&back, 1, &two);
    if (strcmp(one.data, two.data) != 0)
        abort();
    buf_free(&spec);
    buf_free(&one);
    buf_free(&two);
    sub_clear(&s);
    sub_clear(&back);
    return 0;
}
