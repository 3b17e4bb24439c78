/* offline.c - `downwatch detect`: read a trace, vote, detect, print.
 *
 * Each line is parsed by the same strict parser as the API (report.h) and
 * goes through the same vote guard (guard.h, the server's default window)
 * into the same engine (detect.h) as inside `downwatch serve`, so a trace
 * gives here the incidents the server gives when it is replayed into it.
 * Reports need their event time (ts); a report without a client is its own
 * voter. Lines that are not reports are skipped, counted, and the first few
 * quoted on stderr (--strict stops at the first instead).
 *
 * Output: one JSON incident per line (detect.h's format), in the order the
 * incidents were opened, each in its final state; with --updates, a line
 * for every change as it happens instead (the same id on several lines,
 * the last one being the final state). Time never goes past the last
 * report, so incidents still open at the end print "end":null. */
#include "offline/offline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "detect/detect.h"
#include "guard/guard.h"
#include "report/country.h"
#include "report/report.h"

#define ERRORS_QUOTED 5

_Static_assert((int)GUARD_REPEAT == DET_REPEAT && (int)GUARD_COUNTED == DET_VOTE &&
                   (int)GUARD_FIRST_REPEAT == DET_FIRST_REPEAT,
               "the guard's answer is fed as it is");

struct options {
    const char *file;
    const char *explain;
    int updates, strict;
    int vote_window;
    struct det_config det;
};

static void usage(FILE *out)
{
    struct det_config d;
    det_config_default(&d);
    fprintf(out,
            "usage: downwatch detect FILE.ndjson [--updates] [--strict] [options]\n"
            "\n"
            "Detect incidents in a report trace (one JSON report per line, with ts,\n"
            "in time order) and print them as NDJSON, one incident per line:\n"
            "  {\"id\",\"service\",\"start\",\"detected_at\",\"end\",\"countries\",\"problems\",\n"
            "   \"group\",\"peak_per_min\", and why: \"score\",\"expected\",\"observed\",\n"
            "   \"window_minutes\",\"clients\"}\n"
            "  --updates          print every change as it happens, not final states\n"
            "  --strict           stop at the first line that is not a report\n"
            "  --vote-window S    one vote per client and service per S seconds\n"
            "                     (default 600, as the server)\n"
            "  --open-score X     -log10 p that opens an incident (default %g)\n"
            "  --country-extra X  extra score for one country alone (default %g)\n"
            "  --min-clients N    effective clients needed in the window (default %g)\n"
            "  --min-ratio R      observed / expected needed (default %g)\n"
            "  --calm-minutes N   calm minutes before resolving (default %d)\n"
            "  --tick S           seconds between scorings within a minute (default %d)\n"
            "  --vote-maturity S  seconds a vote waits before it counts, while a\n"
            "                     client's repeat counts at once (default %d; rounded\n"
            "                     up to whole ticks, at most 12 ticks; 0: at once)\n"
            "  --cascade-bonus X  score forgiven while another service's incident is\n"
            "                     minutes old (default %g), ...\n"
            "  --sibling-bonus X  ... or one of the same owner's (default %g),\n"
            "  --cascade-min-clients N  with this many clients (default %g)\n"
            "  --explain SERVICE[:CC]  print SERVICE's (or its country CC's) counts,\n"
            "                     expectation and best score at every tick to stderr\n"
            "FILE may be - for standard input.\n",
            d.open_score, d.country_extra, d.min_clients, d.min_ratio, d.calm_minutes,
            d.tick_seconds, d.vote_maturity, d.cascade_bonus, d.sibling_bonus, d.cascade_min_clients);
}

/* The numeric options: each sets a real or a whole number (truncated). */
struct number_option {
    const char *name;
    double lo, hi;
    double *real;
    int *whole;
};

/* Set the option named a from v, if it is one: 1 set, 0 not one, -1 bad. */
static int set_number(const struct number_option *opts, size_t n, const char *a, const char *v)
{
    for (size_t i = 0; i < n; i++) {
        const struct number_option *o = &opts[i];
        if (strcmp(a, o->name) != 0)
            continue;
        char *end;
        double x = strtod(v, &end);
        if (*end || end == v || !(x >= o->lo && x <= o->hi)) {
            fprintf(stderr, "downwatch detect: %s needs a number in %g..%g\n", a, o->lo, o->hi);
            return -1;
        }
        if (o->real)
            *o->real = x;
        else
            *o->whole = (int)x;
        return 1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->vote_window = 600;
    det_config_default(&o->det);
    const struct number_option numbers[] = {
        {"--vote-window", 0, 86400 * 7, NULL, &o->vote_window},
        {"--open-score", 1, 300, &o->det.open_score, NULL},
        {"--country-extra", 0, 100, &o->det.country_extra, NULL},
        {"--min-clients", 0, 1e6, &o->det.min_clients, NULL},
        {"--min-ratio", 1, 1000, &o->det.min_ratio, NULL},
        {"--calm-minutes", 1, 1440, NULL, &o->det.calm_minutes},
        {"--tick", 1, 60, NULL, &o->det.tick_seconds},
        {"--cascade-bonus", 0, 300, &o->det.cascade_bonus, NULL},
        {"--sibling-bonus", 0, 300, &o->det.sibling_bonus, NULL},
        {"--cascade-min-clients", 0, 1e6, &o->det.cascade_min_clients, NULL},
        {"--vote-maturity", 0, 120, NULL, &o->det.vote_maturity},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int number = v ? set_number(numbers, sizeof(numbers) / sizeof(numbers[0]), a, v) : 0;
        if (number < 0)
            return -1;
        if (number > 0) {
            i++;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--updates") == 0) {
            o->updates = 1;
        } else if (strcmp(a, "--strict") == 0) {
            o->strict = 1;
        } else if (v && strcmp(a, "--explain") == 0) {
            const char *colon = strchr(v, ':');
            if (colon && country_index(colon + 1) < 0) {
                fprintf(stderr, "downwatch detect: --explain %s: %s is not a country code\n", v,
                        colon + 1);
                return -1;
            }
            o->explain = v, i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "downwatch detect: unknown or incomplete option %s\n", a);
            return -1;
        } else if (!o->file) {
            o->file = a;
        } else {
            fprintf(stderr, "downwatch detect: only one file, please\n");
            return -1;
        }
    }
    if (60 % o->det.tick_seconds != 0) {
        fprintf(stderr, "downwatch detect: --tick must divide 60\n");
        return -1;
    }
    if (o->det.vote_maturity > 12 * o->det.tick_seconds) {
        fprintf(stderr, "downwatch detect: --vote-maturity is at most 12 ticks\n");
        return -1;
    }
    if (!o->file) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static void print_event(const struct det_incident *inc, enum det_event ev, void *ctx)
{
    struct det **d = ctx;
    struct buf line;
    buf_init(&line);
    det_incident_json(*d, inc, &line);
    buf_putc(&line, '\n');
    fwrite(line.data, 1, line.len, stdout);
    buf_free(&line);
    (void)ev;
}

int offline_main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    FILE *in = strcmp(o.file, "-") == 0 ? stdin : fopen(o.file, "rb");
    if (!in) {
        fprintf(stderr, "downwatch detect: cannot open %s: %s\n", o.file, strerror(errno));
        return 1;
    }
    static char inbuf[1 << 20];
    setvbuf(in, inbuf, _IOFBF, sizeof(inbuf));

    struct det *d = NULL;
    d = det_new(&o.det, o.updates ? print_event : NULL, &d);
    /* The server's default vote table: a smaller one would forget votes at the
     * Meta evening's peak, and count differently. */
    struct guard_config gc = {.rate = 0, .burst = 1, .bucket_slots = 64,
                              .vote_window = o.vote_window, .vote_slots = 1u << 20};
    struct guard *g = guard_new(&gc);
    struct catalog *cat = catalog_builtin();
    if (o.explain) {
        const char *colon = strchr(o.explain, ':');
        size_t len = colon ? (size_t)(colon - o.explain) : strlen(o.explain);
        det_explain(d, det_service(d, o.explain, len), colon ? country_index(colon + 1) : -1,
                    stderr);
    }
    int64_t t0 = time_mono_ns();
    long long lineno = 0, reports = 0, skipped = 0;
    uint64_t anonymous = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int status = 0;
    while ((len = getline(&line, &cap, in)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        struct rep_report r;
        struct rep_error err;
        const char *why = NULL;
        if (rep_parse(line, (size_t)len, &r, &err) < 0)
            why = err.detail;
        else if (r.ts < 0)
            why = "no ts: offline detection needs each report's event time";
        if (why) {
            if (skipped++ < ERRORS_QUOTED || o.strict)
                fprintf(stderr, "downwatch detect: %s:%lld: %s\n", o.file, lineno, why);
            if (o.strict) {
                status = 1;
                break;
            }
            continue;
        }
        size_t slen = strlen(r.service);
        int known = det_services(d);
        int service = det_service(d, r.service, slen);
        if (service >= known) { /* first report of it: its owner, if the catalog knows it */
            int entry = catalog_find(cat, r.service, slen);
            if (entry >= 0)
                det_service_owner(d, service, catalog_at(cat, (size_t)entry)->owner);
        }
        int country = country_index(r.country[0] ? r.country : COUNTRY_UNKNOWN_CODE);
        size_t clen = strlen(r.client);
        uint64_t voter = clen ? guard_client_voter(r.client, clen) : ++anonymous;
        enum guard_vote_result vote = guard_vote(g, voter, service, r.ts);
        det_feed(d, service, country, (int)r.problem, (enum det_vote)vote, r.ts);
        reports++;
    }
    if (ferror(in)) {
        fprintf(stderr, "downwatch detect: reading %s: %s\n", o.file, strerror(errno));
        status = 1;
    }
    free(line);
    if (in != stdin)
        fclose(in);

    const struct det_incident *const *incs;
    size_t n = det_incidents(d, &incs);
    if (!o.updates && status == 0) {
        struct buf out;
        buf_init(&out);
        for (size_t i = 0; i < n; i++) {
            det_incident_json(d, incs[i], &out);
            buf_putc(&out, '\n');
        }
        if (out.len) /* no incident: out.data is NULL, which fwrite must not get */
            fwrite(out.data, 1, out.len, stdout);
        buf_free(&out);
    }
    fprintf(stderr, "downwatch detect: %lld reports, %lld lines skipped, %zu incidents, "
                    "%zu series, %.2f s\n",
            reports, skipped, n, det_cells(d), (double)(time_mono_ns() - t0) / 1e9);
    guard_free(g);
    catalog_free(cat);
    det_free(d);
    return status;
}
