/* fuzz_silence.c - libFuzzer target for the body of POST /api/v1/silences
 * (src/notify/silence.c, silence_parse).
 *
 * A failure must name an error code and give a printable sentence. A
 * success must keep the promises of silence.h: a scope, a window that ends
 * after it starts and lasts at most the limit, a period of a day or a week
 * only for maintenance and longer than the window, an expiry at most 366
 * days and a window after the start; and its stored spec must read back to
 * the same silence. Any breach aborts.
 *
 * Built by CMake with -DDW_FUZZ=ON (make fuzz); run from the repository root:
 *   ./fuzz_silence -dict=fuzz/dict/silence.dict /tmp/corpus fuzz/corpus/silence */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "notify/silence.h"

#define NOW 1712160000
#define MAX_LEN (7 * 86400)

static struct catalog *cat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cat)
        cat = catalog_builtin();
    struct silence s, back;
    const char *code = NULL;
    char detail[256] = "";
    if (silence_parse((const char *)data, size, NOW, MAX_LEN, cat, &s, &code, detail,
                      sizeof(detail)) < 0) {
        if (!code || !*code || !*detail)
            abort();
        for (const char *p = detail; *p; p++)
            if ((unsigned char)*p < 0x20)
                abort();
        return 0;
    }
    if ((!s.service[0] && !s.owner[0] && !s.group[0]) || s.ends <= s.starts ||
        s.ends - s.starts > MAX_LEN || !*s.creator || !*s.reason ||
        (s.every && (s.kind != SILENCE_MAINTENANCE || s.ends - s.starts >= s.every)) ||
        (s.every != 0 && s.every != 86400 && s.every != 7 * 86400) ||
        silence_expires(&s) - s.starts > SILENCE_REPEAT_MAX + MAX_LEN)
        abort();
    struct buf spec, one, two;
    buf_init(&spec);
    buf_init(&one);
    buf_init(&two);
    silence_spec_json(&s, &spec);
    if (silence_parse(spec.data, spec.len, 0, 0, NULL, &back, &code, detail, sizeof(detail)) < 0)
        abort();
    silence_json(&s, NOW, 0, &one);
    silence_json(&back, NOW, 0, &two);
    if (strcmp(one.data, two.data) != 0)
        abort();
    buf_free(&spec);
    buf_free(&one);
    buf_free(&two);
    return 0;
}
