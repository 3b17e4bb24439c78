/* fuzz_query.c - libFuzzer target for the API's query string values
 * (src/api/query.c): flags, counts, times and steps.
 *
 * The input, cut at its first NUL, goes to every parser. A success must be
 * in the documented range and survive a round trip (a time printed as ISO
 * 8601 and as seconds, a step as seconds, a count as digits, each parsed
 * again to the same value); the parsers must agree where their forms meet
 * (digits that are a count are the same seconds as a time). Any breach
 * aborts, so the fuzzer keeps the input.
 *
 * Built by CMake with -DDW_FUZZ=ON (make fuzz); run from the repository root:
 *   ./fuzz_query -dict=fuzz/dict/query.dict /tmp/corpus fuzz/corpus/query */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "core/timeutil.h"

#define COUNT_MAX 1000

static void check_time(const char *s)
{
    int64_t t;
    if (query_time(s, &t) < 0)
        return;
    if (t < 0 || t > QUERY_TIME_MAX)
        abort();
    char text[40];
    int64_t again;
    time_format(t, text, sizeof(text));
    if (query_time(text, &again) < 0 || again != t)
        abort();
    snprintf(text, sizeof(text), "%lld", (long long)t);
    if (query_time(text, &again) < 0 || again != t)
        abort();
}

static void check_step(const char *s)
{
    int step;
    if (query_step(s, &step) < 0)
        return;
    if (step < 1 || step > QUERY_STEP_MAX)
        abort();
    char text[24];
    int again;
    snprintf(text, sizeof(text), "%ds", step);
    if (query_step(text, &again) < 0 || again != step)
        abort();
}

static void check_count(const char *s)
{
    int n;
    if (query_count(s, COUNT_MAX, &n) < 0)
        return;
    if (n < 1 || n > COUNT_MAX)
        abort();
    int64_t t;
    int step;
    if (query_time(s, &t) < 0 || t != n || query_step(s, &step) < 0 || step != n)
        abort();
}

static void check_flag(const char *s)
{
    int f = -1;
    if (query_flag(s, &f) == 0 && f != 0 && f != 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_time(s);
    check_step(s);
    check_count(s);
    check_flag(s);
    free(s);
    return 0;
}
