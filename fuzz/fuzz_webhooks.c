/* fuzz_webhooks.c - libFuzzer target for the webhooks file parser
 * (src/notify/sub.c, sub_parse_file).
 *
 * A failure must say which line, or that the file is too large. A success
 * must give what notify.h relies on: a name that is an id of the file's
 * (not "sub_..."), unique, an http(s) URL and a secret of 16 to 256
 * visible ASCII bytes, events not empty; and every subscription must
 * render (sub_json) as strict JSON. Any breach aborts.
 *
 * Built by CMake with -DDW_FUZZ=ON (make fuzz); run from the repository root:
 *   ./fuzz_webhooks -dict=fuzz/dict/webhooks.dict /tmp/corpus fuzz/corpus/webhooks */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/json.h"
#include "notify/sub.h"

#define TOKENS 1024

static struct catalog *cat;

static void check(const struct sub *s, const struct sub *all, size_t i)
{
    size_t secret = strlen(s->secret);
    if (!s->from_file || strncmp(s->id, SUB_API_PREFIX, 4) == 0 || !*s->id ||
        strncasecmp(s->url, "http", 4) != 0 ||
        secret < SUB_SECRET_MIN || secret > SUB_SECRET_MAX || !s->events)
        abort();
    for (size_t k = 0; k < i; k++)
        if (strcmp(all[k].id, s->id) == 0)
            abort();
    struct buf out;
    buf_init(&out);
    sub_json(s, 1, &out);
    static jsmntok_t tok[TOKENS];
    char detail[160];
    if (json_parse(out.data, out.len, tok, TOKENS, detail, sizeof(detail)) <= 0)
        abort();
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cat)
        cat = catalog_builtin();
    struct sub *subs = NULL;
    char err[256] = "";
    long n = sub_parse_file((const char *)data, size, cat, &subs, err, sizeof(err));
    if (n < 0) {
        if (strncmp(err, "line ", 5) != 0 && strncmp(err, "the file is larger", 18) != 0)
            abort();
        return 0;
    }
    for (long i = 0; i < n; i++)
        check(&subs[i], subs, (size_t)i);
    sub_free_all(subs, (size_t)n);
    return 0;
}
