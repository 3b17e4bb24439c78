/* trace.c - generate a scenario's reports and write them with their truth
 * (see trace.h).
 *
 * Reports come from two sources. Event reports (incidents, blips, brigades)
 * are drawn first, each event from its own random stream, collected and
 * sorted by time. Baseline counts are drawn cell by cell for every 5-minute
 * block (Poisson of the block's rate times a Gamma(k, 1/k) factor, i.e.
 * negative binomial). The file is then written block by block: the block's
 * baseline reports get their second, problem and client from the "events"
 * stream, are merged with the block's event reports, sorted by (second,
 * arrival) and formatted by hand into one buffer, so memory stays at one
 * block plus the event reports and 2 M lines take about a second. */
#include "simulate/trace.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"

#define SECOND_REPORT_SHARE 0.06 /* outage reports that are a client's second */
#define RECENT_CLIENTS 2000      /* clients an outage's second reports come from */
#define LINE_MAX_BYTES (128 + REP_SERVICE_MAX)

struct event {
    int32_t second;         /* since the trace start */
    uint32_t order;         /* arrival order: ties in second keep it */
    uint16_t cell;
    uint8_t problem;
    uint64_t client;
};

struct events {
    struct event *v;
    size_t n, cap;
};

static void events_push(struct events *e, int second, int cell, int problem, uint64_t client)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 4096;
        e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
    }
    e->v[e->n] = (struct event){second, (uint32_t)e->n, (uint16_t)cell, (uint8_t)problem, client};
    e->n++;
}

static int by_time(const void *pa, const void *pb)
{
    const struct event *a = pa, *b = pb;
    if (a->second != b->second)
        return a->second < b->second ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Cumulative problem weights, to draw a problem from one uniform number. */
struct problem_table {
    double cum[REP_PROBLEM_COUNT];
    uint8_t problem[REP_PROBLEM_COUNT];
    int n;
};

static void problem_table_init(struct problem_table *t, const double *weights)
{
    double total = 0, acc = 0;
    for (int p = 0; p < REP_PROBLEM_COUNT; p++)
        total += weights[p] > 0 ? weights[p] : 0;
    t->n = 0;
    for (int p = 0; p < REP_PROBLEM_COUNT; p++) {
        if (weights[p] <= 0)
            continue;
        acc += weights[p] / total;
        t->cum[t->n] = acc;
        t->problem[t->n++] = (uint8_t)p;
    }
    t->cum[t->n - 1] = 2.0; /* rounding never falls off the end */
}

static int problem_draw(const struct problem_table *t, double u)
{
    int i = 0;
    while (u >= t->cum[i])
        i++;
    return t->problem[i];
}

/* ------------------------------------------------------------------------ */
/* Event reports                                                             */

/* Draw an incident's or blip's reports from its expected excess: per minute
 * Poisson(excess x Gamma(25, 1/25)), a few clients reporting twice. Returns
 * how many. */
static long long draw_event_reports(const struct sim_model *m, const char *stream,
                                    const struct sim_excess *ex, const double *problems,
                                    struct events *out)
{
    gsl_rng *r = sim_rng(m->seed, stream);
    struct problem_table table;
    problem_table_init(&table, problems);
    uint64_t *recent = xmalloc(RECENT_CLIENTS * sizeof(*recent));
    long long total = 0;
    for (int i = 0; i < ex->n_rows; i++) {
        const struct sim_excess_row *row = &ex->rows[i];
        int n_recent = 0;
        for (int t = 0; t < row->n; t++) {
            double e = row->per_min[t];
            if (e <= 0)
                continue;
            double mean = e > 0.5 ? e * gsl_ran_gamma(r, 25.0, 1.0 / 25.0) : e;
            unsigned n = gsl_ran_poisson(r, mean);
            for (unsigned k = 0; k < n; k++) {
                int second = (row->first_minute + t) * 60 + (int)gsl_rng_uniform_int(r, 60);
                int problem = problem_draw(&table, gsl_rng_uniform(r));
                uint64_t client;
                if (n_recent > 0 && gsl_rng_uniform(r) < SECOND_REPORT_SHARE) {
                    client = recent[gsl_rng_uniform_int(r, (unsigned long)n_recent)];
                } else {
                    client = sim_client(m, row->country,
                                        (uint32_t)gsl_rng_uniform_int(r, m->pool[row->country]));
                    if (n_recent < RECENT_CLIENTS)
                        recent[n_recent++] = client;
                }
                events_push(out, second, row->cell, problem, client);
            }
            total += n;
        }
    }
    free(recent);
    gsl_rng_free(r);
    return total;
}

/* A brigade: a few clients, each with a random weight, sending a fixed
 * number of reports (not scaled) spread evenly over the window. */
static long long draw_brigade_reports(const struct sim_model *m, int index,
                                      const struct sim_brigade *b, struct events *out)
{
    static const double default_problems[REP_PROBLEM_COUNT] = {
        [REP_LOGIN] = .5, [REP_MESSAGES] = .3, [REP_OTHER] = .2};
    char stream[32];
    snprintf(stream, sizeof(stream), "brigade%d", index);
    gsl_rng *r = sim_rng(m->seed, stream);
    int cell = sim_cell(m, sim_service_find(b->service), sim_country_find(b->country));
    int m0 = sim_minute_of(m, b->start), m1 = sim_minute_of(m, b->end);
    struct problem_table table;
    int has_mix = 0;
    for (int p = 0; p < REP_PROBLEM_COUNT; p++)
        has_mix |= b->problems[p] > 0;
    problem_table_init(&table, has_mix ? b->problems : default_problems);

    uint64_t *clients = xmalloc((size_t)b->clients * sizeof(*clients));
    double *weights = xmalloc((size_t)b->clients * sizeof(*weights)), weight_total = 0;
    for (int i = 0; i < b->clients; i++) {
        clients[i] = (uint64_t)gsl_rng_get(r) << 32 | gsl_rng_get(r);
        weights[i] = gsl_ran_flat(r, 0.5, 1.5);
        weight_total += weights[i];
    }
    long long total = 0;
    for (int i = 0; i < b->clients; i++) {
        unsigned n = gsl_ran_poisson(r, b->reports * weights[i] / weight_total);
        for (unsigned k = 0; k < n; k++) {
            int second = m0 * 60 + (int)gsl_rng_uniform_int(r, (unsigned long)(m1 - m0) * 60);
            events_push(out, second, cell, problem_draw(&table, gsl_rng_uniform(r)), clients[i]);
        }
        total += n;
    }
    free(weights);
    free(clients);
    gsl_rng_free(r);
    return total;
}

/* ------------------------------------------------------------------------ */
/* Ground truth                                                              */

struct non_incident {
    int64_t start;
    int order;
    char line[512];         /* the JSON object */
};

static int by_start(const void *pa, const void *pb)
{
    const struct non_incident *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->order - b->order;
}

struct truth_doc {
    struct buf incidents;               /* JSON objects, one per line */
    struct non_incident *non_incidents;
    int n_non_incidents;
};

static void format_minute(const struct sim_model *m, int minute, char *out, size_t outsz)
{
    time_format(m->start + (int64_t)minute * 60, out, outsz);
}

static void add_incident_truth(struct truth_doc *doc, const struct sim_model *m,
                               const struct sim_incident *inc, const struct sim_excess *ex,
                               long long generated)
{
    struct sim_truth truth;
    sim_truth_of(m, inc, ex, &truth);
    char end[24];
    format_minute(m, sim_minute_of(m, inc->start) + inc->shape.duration_min, end, sizeof(end));
    struct buf *b = &doc->incidents;
    if (b->len)
        buf_puts(b, ",\n");
    buf_printf(b, "  {\"service\":\"%s\",\"start\":\"%s\",\"end\":\"%s\",\"countries\":[",
               inc->service, inc->start, end);
    for (int i = 0; i < truth.n_countries; i++)
        buf_printf(b, "%s\"%s\"", i ? "," : "", sim_countries[truth.countries[i]].code);
    buf_puts(b, "],\"problems\":[");
    for (int i = 0; i < truth.n_problems; i++)
        buf_printf(b, "%s\"%s\"", i ? "," : "", rep_problem_name(truth.problems[i]));
    buf_puts(b, "],\"group\":");
    if (inc->group)
        buf_json_cstr(b, inc->group);
    else
        buf_puts(b, "null");
    buf_printf(b, ",\"expected_extra_reports\":%lld,\"generated_extra_reports\":%lld}",
               llround(sim_excess_total(ex)), generated);
}

static void add_non_incident(struct truth_doc *doc, const struct sim_model *m, const char *service,
                             const char *country, int from_minute, int to_minute,
                             const char *kind, const char *why)
{
    struct non_incident *n = &doc->non_incidents[doc->n_non_incidents];
    char start[24], end[24];
    format_minute(m, from_minute, start, sizeof(start));
    format_minute(m, to_minute, end, sizeof(end));
    n->start = m->start + (int64_t)from_minute * 60;
    n->order = doc->n_non_incidents++;
    snprintf(n->line, sizeof(n->line),
             "  {\"service\":\"%s\",\"countries\":[\"%s\"],\"start\":\"%s\",\"end\":\"%s\","
             "\"kind\":\"%s\",\"why\":\"%s\"}",
             service, country, start, end, kind, why);
}

/* Python's repr of a float: the shortest text that reads back the same,
 * with ".0" on whole numbers. */
static void put_float(struct buf *b, double v)
{
    char text[40];
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(text, sizeof(text), "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    buf_puts(b, text);
    if (!strpbrk(text, ".e"))
        buf_puts(b, ".0");
}

static void truth_document(const struct truth_doc *doc, const struct sim_model *m,
                           struct buf *out)
{
    const struct sim_scenario *sc = m->scenario;
    buf_printf(out, "{\"trace\":\"%s\",\"start\":\"%s\",\"end\":\"%s\",\"scale\":", sc->name,
               sc->start, sc->end);
    put_float(out, m->scale);
    buf_printf(out, ",\"seed\":%llu,\n \"incidents\":[%s", (unsigned long long)m->seed,
               doc->incidents.len ? "\n" : "");
    buf_puts(out, doc->incidents.len ? doc->incidents.data : "");
    buf_printf(out, "%s],\n \"non_incidents\":[%s", doc->incidents.len ? "\n " : "",
               doc->n_non_incidents ? "\n" : "");
    for (int i = 0; i < doc->n_non_incidents; i++)
        buf_printf(out, "%s%s", i ? ",\n" : "", doc->non_incidents[i].line);
    buf_printf(out, "%s]}\n", doc->n_non_incidents ? "\n " : "");
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

static char *put(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_hex64(char *p, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        p[i] = digits[v & 15];
    return p + 16;
}

/* Open dir/name+suffix's temporary twin for writing. */
static FILE *open_temp(const char *dir, const char *name, const char *suffix, char *path,
                       size_t pathsz, char *err, size_t errsz)
{
    snprintf(path, pathsz, "%s/%s%s.tmp", dir, name, suffix);
    FILE *f = fopen(path, "wb");
    if (!f)
        err_set(err, errsz, "cannot write %s: %s", path, strerror(errno));
    return f;
}

/* Close f and rename its temporary path into place (path minus ".tmp"). */
static int close_and_rename(FILE *f, const char *path, char *err, size_t errsz)
{
    errno = 0;
    int failed = ferror(f);
    failed |= fclose(f) != 0;
    char final[4096];
    snprintf(final, sizeof(final), "%.*s", (int)(strlen(path) - 4), path);
    if (failed || rename(path, final) != 0) {
        err_set(err, errsz, "cannot write %s: %s", final, strerror(errno ? errno : EIO));
        remove(path);
        return -1;
    }
    return 0;
}

/* Baseline counts per cell and block, cell-major, from stream "baseline". */
static uint32_t *draw_baseline_counts(const struct sim_model *m)
{
    gsl_rng *r = sim_rng(m->seed, "baseline");
    uint32_t *counts = xmalloc((size_t)m->n_cells * (size_t)m->n_blocks * sizeof(*counts));
    for (int ci = 0; ci < m->n_cells; ci++) {
        for (int b = 0; b < m->n_blocks; b++) {
            double mean = sim_rate_per_block(m, ci, b);
            if (mean >= 0.2)
                mean *= gsl_ran_gamma(r, m->gamma_k, 1.0 / m->gamma_k);
            counts[(size_t)ci * m->n_blocks + b] = gsl_ran_poisson(r, mean);
        }
    }
    gsl_rng_free(r);
    return counts;
}

/* Write every report, block by block (write errors show in ferror(f)). */
static void write_reports(const struct sim_model *m, const struct events *extra, FILE *f,
                          struct sim_trace_stats *stats)
{
    const int span = 60 * SIM_BLOCK_MIN;
    uint32_t *counts = draw_baseline_counts(m);
    struct problem_table *tables = xmalloc((size_t)m->n_cells * sizeof(*tables));
    for (int ci = 0; ci < m->n_cells; ci++)
        problem_table_init(&tables[ci], sim_services[m->cells[ci].service].mix);
    gsl_rng *r = sim_rng(m->seed, "events");
    struct events block = {0};
    char *text = NULL;
    size_t text_cap = 0, next_extra = 0;
    for (int b = 0; b < m->n_blocks; b++) {
        block.n = 0;
        for (; next_extra < extra->n && extra->v[next_extra].second < (b + 1) * span; next_extra++) {
            const struct event *e = &extra->v[next_extra];
            events_push(&block, e->second, e->cell, e->problem, e->client);
        }
        for (int ci = 0; ci < m->n_cells; ci++) {
            uint32_t n = counts[(size_t)ci * m->n_blocks + b];
            int country = m->cells[ci].country;
            for (uint32_t k = 0; k < n; k++) {
                int second = b * span + (int)gsl_rng_uniform_int(r, span);
                int problem = problem_draw(&tables[ci], gsl_rng_uniform(r));
                uint32_t draw = (uint32_t)gsl_rng_uniform_int(r, m->pool[country]);
                events_push(&block, second, ci, problem, sim_client(m, country, draw));
            }
        }
        if (block.n == 0)
            continue;
        qsort(block.v, block.n, sizeof(block.v[0]), by_time);

        char minute_prefix[SIM_BLOCK_MIN][24];
        for (int i = 0; i < SIM_BLOCK_MIN; i++)
            format_minute(m, b * SIM_BLOCK_MIN + i, minute_prefix[i], sizeof(minute_prefix[i]));
        if (text_cap < block.n * LINE_MAX_BYTES) {
            text_cap = 2 * block.n * LINE_MAX_BYTES;
            text = xrealloc(text, text_cap);
        }
        char *p = text;
        for (size_t i = 0; i < block.n; i++) {
            const struct event *e = &block.v[i];
            const struct sim_cell *c = &m->cells[e->cell];
            int in_block = e->second - b * span;
            p = put(p, "{\"ts\":\"");
            memcpy(p, minute_prefix[in_block / 60], 17); /* "YYYY-MM-DDTHH:MM:" */
            p += 17;
            *p++ = (char)('0' + in_block % 60 / 10);
            *p++ = (char)('0' + in_block % 10);
            p = put(p, "Z\",\"service\":\"");
            p = put(p, sim_services[c->service].id);
            p = put(p, "\",\"country\":\"");
            p = put(p, sim_countries[c->country].code);
            p = put(p, "\",\"problem\":\"");
            p = put(p, rep_problem_name(e->problem));
            p = put(p, "\",\"client\":\"");
            p = put_hex64(p, e->client);
            p = put(p, "\"}\n");
        }
        fwrite(text, 1, (size_t)(p - text), f);
        stats->lines += (long long)block.n;
        stats->bytes += p - text;
    }
    free(text);
    free(block.v);
    gsl_rng_free(r);
    free(tables);
    free(counts);
}

int sim_write_trace(const struct sim_model *m, const char *dir, struct sim_trace_stats *stats,
                    char *err, size_t errsz)
{
    const struct sim_scenario *sc = m->scenario;
    struct events extra = {0};
    struct truth_doc doc = {0};
    struct sim_blip *blips = xcalloc((size_t)sc->blips + 1, sizeof(*blips));
    int n_blips = sim_place_blips(m, blips, sc->blips);
    doc.non_incidents = xcalloc((size_t)(sc->n_brigades + n_blips) + 1, sizeof(*doc.non_incidents));
    buf_init(&doc.incidents);
    struct buf truth;
    buf_init(&truth);
    char path[4096];
    FILE *f = NULL;
    int rc = -1;
    memset(stats, 0, sizeof(*stats));

    for (int i = 0; i < sc->n_incidents; i++) {
        char stream[32];
        struct sim_excess ex;
        snprintf(stream, sizeof(stream), "inc%d", i);
        if (sim_excess(m, &sc->incidents[i], &ex, err, errsz) < 0)
            goto fail;
        long long n = draw_event_reports(m, stream, &ex, sc->incidents[i].problems, &extra);
        add_incident_truth(&doc, m, &sc->incidents[i], &ex, n);
        sim_excess_free(&ex);
    }
    for (int i = 0; i < sc->n_brigades; i++) {
        const struct sim_brigade *b = &sc->brigades[i];
        char why[128];
        snprintf(why, sizeof(why), "brigading: %d clients sent %lld reports", b->clients,
                 draw_brigade_reports(m, i, b, &extra));
        add_non_incident(&doc, m, b->service, b->country, sim_minute_of(m, b->start),
                         sim_minute_of(m, b->end), "brigade", why);
    }
    for (int i = 0; i < n_blips; i++) {
        const struct sim_incident *e = &blips[i].event;
        char stream[32], why[128];
        struct sim_excess ex;
        snprintf(stream, sizeof(stream), "blip%d", i);
        if (sim_excess(m, e, &ex, err, errsz) < 0)
            goto fail;
        long long n = draw_event_reports(m, stream, &ex, e->problems, &extra);
        sim_excess_free(&ex);
        snprintf(why, sizeof(why), "blip: %.2fx baseline for %d min, %lld extra reports",
                 e->multiple, e->shape.duration_min, n);
        int m0 = sim_minute_of(m, e->start);
        add_non_incident(&doc, m, e->service, e->countries[0] ? e->countries[0] : "*", m0,
                         m0 + e->shape.duration_min, "blip", why);
    }
    qsort(extra.v, extra.n, sizeof(extra.v[0]), by_time);
    qsort(doc.non_incidents, (size_t)doc.n_non_incidents, sizeof(doc.non_incidents[0]), by_start);

    if (!(f = open_temp(dir, sc->name, ".ndjson", path, sizeof(path), err, errsz)))
        goto fail;
    write_reports(m, &extra, f, stats);
    rc = close_and_rename(f, path, err, errsz);
    if (rc < 0)
        goto fail;
    rc = -1;
    truth_document(&doc, m, &truth);
    if (!(f = open_temp(dir, sc->name, ".truth.json", path, sizeof(path), err, errsz)))
        goto fail;
    fwrite(truth.data, 1, truth.len, f);
    rc = close_and_rename(f, path, err, errsz);
fail:
    buf_free(&truth);
    buf_free(&doc.incidents);
    free(doc.non_incidents);
    free(blips);
    free(extra.v);
    return rc;
}
