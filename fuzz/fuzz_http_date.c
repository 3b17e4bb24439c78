/* fuzz_http_date.c - libFuzzer target for the HTTP date parser
 * (time_parse_http in src/core/timeutil.c), which reads the
 * If-Modified-Since header of feed requests: outside input.
 *
 * The input, cut at its first NUL, is parsed. A success must be a time the
 * formatter writes back as the same text but for the weekday (not checked
 * against the date) and a leap second (":60" reads as ":59"), and that
 * text must parse to the same time. Any breach aborts, so the fuzzer keeps
 * the input.
 *
 * Built by CMake with -DDW_FUZZ=ON (make fuzz); run from the repository root:
 *   ./fuzz_http_date -dict=fuzz/dict/http_date.dict /tmp/corpus fuzz/corpus/http_date */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t t, again;
    if (time_parse_http(s, &t) == 0) {
        char text[40];
        time_format_http(t, text, sizeof(text));
        int leap = strncmp(s + 23, "60", 2) == 0 && strncmp(text + 23, "59", 2) == 0;
        if (t < 0 || strlen(text) != 29 || strncmp(text + 3, s + 3, 20) != 0 ||
            (!leap && strncmp(text + 23, s + 23, 2) != 0) || strcmp(text + 25, s + 25) != 0 ||
            time_parse_http(text, &again) != 0 || again != t)
            abort();
    }
    free(s);
    return 0;
}
