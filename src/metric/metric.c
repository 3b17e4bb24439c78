/* metric.c - score one numeric series (see metric.h).
 *
 * Each row is scored, then learned, so its score depends only on the rows
 * before it and itself. The step is the median of the recent positive gaps
 * between timestamps; values are counts per step for the baseline of
 * src/detect (a series that goes negative is shifted up by its lowest value
 * so far). Rows that repeat or go back in time are scored against the
 * expectation at their time but not learned: the baseline stays in order.
 *
 * A row's surprise s is tail_score of its count against the expectation
 * (-log10 of the chance of a count at least this high). Series differ in
 * how well the count model fits them (bursty ones produce large s all the
 * time), so s is made relative: x = s / (1 + the largest s seen before).
 * A burst lasts many rows and only its first row is news, so within 12
 * hours of a row, x must be 3 times higher or it is damped tenfold. The
 * score is x / (x + 1): 0 as expected, 0.5 as surprising as the worst so
 * far, never 1. Nothing is scored during the baseline's first day. */
#include "metric/metric.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "detect/baseline.h"
#include "detect/tail.h"
#include "metric/csv.h"

#define GAP_SAMPLES 63     /* recent gaps the step is the median of */
#define COUNT_MAX 1e12     /* counts beyond this are clamped for the model */
#define WARM_HOURS 24      /* history before rows are scored */
#define QUIET_SECONDS 43200 /* an alarm's shadow: 12 hours */
#define QUIET_RISE 3.0     /* a row in the shadow must be this much higher */
#define QUIET_DAMP 0.1     /* or its relative surprise is scaled by this */
#define SHADOW_ROWS 1024  /* at most this many rows in the shadow */

struct scorer {
    struct base base;
    int64_t gaps[GAP_SAMPLES]; /* recent positive gaps, a ring */
    int ngaps, gap_next;
    int64_t last_t; /* the latest time learned */
    int have_last;
    double low;      /* lowest value so far, at most 0 */
    double past_max; /* largest surprise so far */
    double shadow[SHADOW_ROWS]; /* the latest relative surprises, a ring */
    int shadow_next;
};

static void scorer_init(struct scorer *s)
{
    memset(s, 0, sizeof(*s));
    base_init(&s->base);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Seconds per step: the median recent positive gap, 0 while none is known. */
static int64_t scorer_step(const struct scorer *s)
{
    if (s->ngaps == 0)
        return 0;
    int64_t sorted[GAP_SAMPLES];
    memcpy(sorted, s->gaps, sizeof(sorted[0]) * (size_t)s->ngaps);
    qsort(sorted, (size_t)s->ngaps, sizeof(sorted[0]), cmp_i64);
    return sorted[s->ngaps / 2];
}

/* The surprise of a count, relative to the past, with alarms' shadows;
 * updates the past. */
static double relative(struct scorer *s, double surprise, double step)
{
    double x = surprise / (s->past_max + 1);
    s->past_max = fmax(s->past_max, surprise);
    int rows = (int)fmin(QUIET_SECONDS / step, SHADOW_ROWS);
    double recent = 0;
    for (int i = 1; i <= rows; i++)
        recent = fmax(recent, s->shadow[(s->shadow_next - i + SHADOW_ROWS) % SHADOW_ROWS]);
    if (x <= QUIET_RISE * recent)
        x *= QUIET_DAMP;
    s->shadow[s->shadow_next] = x;
    s->shadow_next = (s->shadow_next + 1) % SHADOW_ROWS;
    return x;
}

/* Score one row, then learn it; returns the score in [0, 1). */
static double scorer_next(struct scorer *s, int64_t t, double value)
{
    int in_order = !s->have_last || t > s->last_t;
    if (s->have_last && t > s->last_t) {
        s->gaps[s->gap_next] = t - s->last_t;
        s->gap_next = (s->gap_next + 1) % GAP_SAMPLES;
        if (s->ngaps < GAP_SAMPLES)
            s->ngaps++;
    }
    if (in_order) {
        s->last_t = t;
        s->have_last = 1;
    }
    if (value < s->low)
        s->low = value;
    double count = fmin(value - s->low, COUNT_MAX);
    int64_t step = scorer_step(s);
    if (step <= 0)
        return 0;
    double minutes = step / 60.0, x = 0;
    if (base_hours(&s->base) >= WARM_HOURS) {
        double mu = base_expected(&s->base, t, minutes);
        double surprise = tail_score(count, mu, base_inv_size(&s->base, t, minutes));
        x = relative(s, surprise, (double)step);
    }
    if (in_order)
        base_observe(&s->base, t, count, minutes, 0);
    return x / (x + 1);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: downwatch series FILE.csv\n"
            "\n"
            "Score one numeric series for anomalies with the detector core.\n"
            "Reads `timestamp,value` rows (a header line is optional; FILE may be -\n"
            "for standard input) and prints `timestamp,value,anomaly_score`, one row\n"
            "per input row in input order, the score in [0, 1] (0: as expected).\n"
            "A row's score uses only the rows before it and itself.\n"
            "\n"
            "Timestamps: YYYY-MM-DD HH:MM:SS, ISO 8601 (T, fraction, Z or offset),\n"
            "or Unix seconds. Values: decimal numbers, read as counts per step (the\n"
            "step is the median gap between timestamps); a negative series is\n"
            "shifted up by its lowest value so far. Rows that repeat or go back in\n"
            "time are scored but not learned. A malformed row stops the run with\n"
            "exit status 1 and its line number on stderr.\n");
}

int metric_main(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "downwatch series: unknown option %s\n", argv[i]);
            return 2;
        } else if (path) {
            fprintf(stderr, "downwatch series: only one file, please\n");
            return 2;
        }
        path = argv[i];
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "downwatch series: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct scorer *s = xmalloc(sizeof(*s));
    scorer_init(s);
    char *line = NULL, err[160];
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0, seen_row = 0;
    printf("timestamp,value,anomaly_score\n");
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        if (line[n - 1] == '\n')
            n--;
        struct csv_row row;
        int kind = csv_parse_line(line, (size_t)n, &row, err, sizeof(err));
        if (kind == CSV_BLANK || (kind == CSV_HEADER && !seen_row))
            continue;
        if (kind == CSV_HEADER)
            err_set(err, sizeof(err), "a header line after the data");
        if (kind != CSV_ROW) {
            fprintf(stderr, "downwatch series: %s:%ld: %s\n", path, lineno, err);
            rc = 1;
            break;
        }
        seen_row = 1;
        double score = scorer_next(s, row.t, row.value);
        printf("%.*s,%.*s,%.17g\n", (int)row.ts_len, row.ts_text, (int)row.value_len,
               row.value_text, score);
    }
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, "downwatch series: reading %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "downwatch series: writing the scores: %s\n", strerror(errno));
        rc = 1;
    }
    free(line);
    free(s);
    if (in != stdin)
        fclose(in);
    return rc;
}
