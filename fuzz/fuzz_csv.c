/* fuzz_csv.c - libFuzzer target for the `timestamp,value` line parser
 * (src/metric/csv.c).
 *
 * The input is split on '\n' and each line goes to csv_parse_line. Beyond
 * the sanitizers' part it checks the contracts: the result is a known kind;
 * a refusal writes a reason; a row's text pointers lie inside the line, its
 * value is finite and its time within years 1970..9999; and the row's own
 * text, written back as "ts,value", parses to the same time and value.
 * Any breach aborts, so the fuzzer keeps the input. Seeds:
 * fuzz/corpus/csv/, dictionary: fuzz/dict/csv.dict. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metric/csv.h"

#define TS_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static int inside(const char *p, size_t n, const char *line, size_t len)
{
    return p >= line && p + n <= line + len;
}

static void check_line(const char *line, size_t len)
{
    struct csv_row row, back;
    char err[160] = "";
    int kind = csv_parse_line(line, len, &row, err, sizeof(err));
    if (kind == CSV_BAD) {
        if (err[0] == '\0')
            abort();
        return;
    }
    if (kind != CSV_ROW) {
        if (kind != CSV_BLANK && kind != CSV_HEADER)
            abort();
        return;
    }
    if (!inside(row.ts_text, row.ts_len, line, len) ||
        !inside(row.value_text, row.value_len, line, len) || !isfinite(row.value) ||
        row.t < 0 || row.t > TS_MAX)
        abort();
    /* Both texts lie inside the line, so they fit in its length plus a
     * comma (a time like 30.2666... may be hundreds of digits long). */
    size_t size = row.ts_len + row.value_len + 2;
    char *text = malloc(size);
    if (!text)
        abort();
    int n = snprintf(text, size, "%.*s,%.*s", (int)row.ts_len, row.ts_text,
                     (int)row.value_len, row.value_text);
    if (n < 0 || (size_t)n >= size ||
        csv_parse_line(text, (size_t)n, &back, err, sizeof(err)) != CSV_ROW ||
        back.t != row.t || back.value != row.value)
        abort();
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        check_line(p, len);
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}
