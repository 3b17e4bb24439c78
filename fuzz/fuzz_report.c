/* fuzz_report.c - libFuzzer target for the report parser (src/report).
 *
 * The input goes to rep_parse whole, as one report, and then split on '\n',
 * as the lines of an NDJSON batch. A failure must carry a known code and a
 * printable detail. A success must give a report that obeys every field
 * rule and survives a round trip: rep_format, rep_parse of that text, and
 * rep_format again must give the same report and the same bytes. Any
 * breach aborts, so the fuzzer keeps the input.
 *
 * Build with clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 * -Isrc, with the .c files of src/core and src/report; run from the
 * repository root, writing new inputs to a scratch directory:
 *   ./fuzz_report -dict=fuzz/dict/report.dict /tmp/corpus fuzz/corpus/report */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/country.h"
#include "report/report.h"

#define TS_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static int printable(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7E)
            return 0;
    return 1;
}

static int valid(const struct rep_report *r)
{
    size_t n = strnlen(r->service, sizeof(r->service));
    if (n == 0 || n > REP_SERVICE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = r->service[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '.' || c == '_' || c == '-'))))
            return 0;
    }
    if (r->country[0] && (r->country[0] < 'A' || r->country[0] > 'Z' || r->country[1] < 'A' ||
                          r->country[1] > 'Z' || r->country[2] || country_index(r->country) < 0))
        return 0;
    n = strnlen(r->client, sizeof(r->client));
    for (size_t i = 0; i < n; i++)
        if (r->client[i] < 0x21 || r->client[i] > 0x7E)
            return 0;
    return (unsigned)r->problem < REP_PROBLEM_COUNT && n <= REP_CLIENT_MAX &&
           (r->ts == -1 || (r->ts >= 0 && r->ts <= TS_MAX));
}

static int same(const struct rep_report *a, const struct rep_report *b)
{
    return !strcmp(a->service, b->service) && !strcmp(a->country, b->country) &&
           a->problem == b->problem && !strcmp(a->client, b->client) && a->ts == b->ts;
}

static void check(const char *s, size_t len)
{
    struct rep_report r, back;
    struct rep_error err;
    if (rep_parse(s, len, &r, &err) != 0) {
        if (err.code <= REP_OK || err.code > REP_E_TS || !printable(err.detail))
            abort();
        return;
    }
    char out[REP_JSON_MAX], again[REP_JSON_MAX];
    int n = rep_format(&r, out, sizeof(out));
    if (!valid(&r) || n < 0 || rep_parse(out, (size_t)n, &back, &err) != 0 || !same(&r, &back))
        abort();
    if (rep_format(&back, again, sizeof(again)) != n || memcmp(out, again, (size_t)n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check(s, size);
    if (!memchr(s, '\n', size))
        return 0;
    for (size_t start = 0; start <= size;) {
        const char *nl = memchr(s + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - s) : size;
        check(s + start, end - start);
        start = end + 1;
    }
    return 0;
}
