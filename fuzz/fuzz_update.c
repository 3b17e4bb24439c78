/* fuzz_update.c - libFuzzer target for the official-update body parser
 * (src/api/updates.c, api__parse_update).
 *
 * A failure must name an error code and give a printable sentence. A
 * success must give what the API promises to store: 1..UPDATE_TEXT_MAX
 * bytes of valid UTF-8 with no surrounding whitespace and no control
 * character but '\n', and a status that is NULL or one of the four. Any
 * breach aborts, so the fuzzer keeps the input.
 *
 * Built by CMake with -DDW_FUZZ=ON (make fuzz); run from the repository root:
 *   ./fuzz_update -dict=fuzz/dict/update.dict /tmp/corpus fuzz/corpus/update */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"

static int allowed_status(const char *s)
{
    static const char *const known[] = {"investigating", "identified", "monitoring", "resolved"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(s, known[i]) == 0)
            return 1;
    return 0;
}

static int clean_text(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > UPDATE_TEXT_MAX || json_utf8_invalid_at(t, n) != n)
        return 0;
    if (strchr(" \t\r\n", t[0]) || strchr(" \t\r\n", t[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f ||
            (c == 0xc2 && (unsigned char)t[i + 1] <= 0x9f))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_update u = {NULL, NULL};
    const char *code = NULL;
    char detail[200];
    if (api__parse_update((const char *)data, size, &u, &code, detail, sizeof(detail)) < 0) {
        if (!code || !*code || strlen(detail) == 0)
            abort();
        for (const char *p = detail; *p; p++)
            if ((unsigned char)*p < 0x20)
                abort();
    } else if (!u.text || !clean_text(u.text) || (u.status && !allowed_status(u.status))) {
        abort();
    }
    free(u.text);
    return 0;
}
