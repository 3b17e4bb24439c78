/* metric.c - `downwatch series`: score one numeric series (see metric.h).
 *
 * Reads the CSV line by line (csv.h), feeds each row to a scorer
 * (scorer.h: the detector core's seasonal surprise and the count, each
 * made a rarity in days against the series' own daily maxima, with an
 * alarm shadow) and prints the row with its score as soon as it is read,
 * so a row's score depends only on the rows before it and itself. A
 * malformed row stops the run with the rows before it printed: skipping it
 * would let a truncated or mis-exported file score silently. */
#include "metric/metric.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "metric/csv.h"
#include "metric/scorer.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: downwatch series FILE.csv\n"
            "\n"
            "Score one numeric series for anomalies with the detector core.\n"
            "Reads `timestamp,value` rows (a header line is optional; FILE may be -\n"
            "for standard input) and prints `timestamp,value,anomaly_score`, one row\n"
            "per input row in input order, the score in [0, 1]: 0 as expected, 0.5\n"
            "for a row the series reaches about once in ten days, 0 again for rows\n"
            "within a day of a score they are not twice as rare as. A row's score\n"
            "uses only the rows before it and itself.\n"
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
    struct scorer *s = scorer_new();
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
