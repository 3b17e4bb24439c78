/* bench_detect_tick.c - the detection engine's minute tick and memory at
 * scale (bench/detect runs it; not a test).
 *
 * Creates services x countries active series (det_service, then a report
 * each via det_feed), warms them up over --hours of event time with sparse
 * reports (--per-minute random series a minute), then times the minute
 * close (det_advance across one minute boundary: every cell closes its
 * minute, learns it, is scored) on this one thread, and reports the RSS
 * growth per cell (det_cells) from /proc/self/statm. A cell's memory is
 * fixed (profiles and a ring, not raw history), so the figure after two
 * days is the one after two months.
 *
 * usage: bench_detect_tick [--services N] [--countries N] [--hours H]
 *                          [--per-minute N] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "detect/detect.h"
#include "report/country.h"
#include "report/report.h"

#define T0 INT64_C(1714953600) /* 2024-05-06T00:00:00Z */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    int services = 5000, countries = 200;
    double hours = 2;
    long per_minute = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--services") == 0)
            services = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--countries") == 0)
            countries = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--hours") == 0)
            hours = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--per-minute") == 0)
            per_minute = atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_detect_tick [--services N] [--countries N] "
                            "[--hours H] [--per-minute N]\n");
            return 2;
        }
    }
    int *codes = malloc(sizeof(int) * (size_t)countries);
    int n = 0;
    for (int c = 0; c < COUNTRY_SLOTS && n < countries; c++)
        if (country_valid(c))
            codes[n++] = c;
    countries = n;

    struct det_config cfg;
    det_config_default(&cfg);
    struct det *d = det_new(&cfg, NULL, NULL);
    double rss0 = rss_bytes();
    for (int s = 0; s < services; s++) {
        char name[32];
        snprintf(name, sizeof(name), "service%d", s);
        det_service(d, name, strlen(name));
    }
    /* one report per series in the first minute: every series exists */
    int64_t t = T0;
    long total = (long)services * countries;
    for (long k = 0; k < total; k++)
        det_feed(d, (int)(k / countries), codes[k % countries], REP_OTHER, DET_VOTE,
                 T0 + (int64_t)(k * 59 / total));
    double t_warm = now_s();
    int64_t end = T0 + (int64_t)(hours * 3600);
    for (t = T0 + 60; t < end; t += 60) {
        for (long k = 0; k < per_minute; k++) {
            uint64_t r = next();
            det_feed(d, (int)(r % (uint64_t)services), codes[(r >> 32) % (uint64_t)countries],
                     (int)((r >> 20) % REP_PROBLEM_COUNT), DET_VOTE, t + (int64_t)(k * 59 / per_minute));
        }
    }
    det_advance(d, end - 1);
    t_warm = now_s() - t_warm;
    double rss1 = rss_bytes();
    size_t cells = det_cells(d);
    /* the measured tick: the close of the minute ending at `end` */
    double ticks[3];
    for (int i = 0; i < 3; i++) {
        double t1 = now_s();
        det_advance(d, end + 60 * i);
        ticks[i] = now_s() - t1;
        det_advance(d, end + 60 * i + 59);
    }
    double best = ticks[0];
    for (int i = 1; i < 3; i++)
        best = ticks[i] < best ? ticks[i] : best;
    const struct det_incident *const *incs;
    size_t nincs = det_incidents(d, &incs);
    printf("series=%zu services=%d countries=%d event_hours=%g warmup_s=%.1f "
           "tick_s=%.3f tick_s_all=%.3f,%.3f,%.3f rss_mb=%.1f bytes_per_series=%.0f "
           "incidents=%zu\n",
           cells, services, countries, hours, t_warm, best, ticks[0], ticks[1], ticks[2],
           rss1 / 1e6, (rss1 - rss0) / (double)cells, nincs);
    det_free(d);
    free(codes);
    return 0;
}
