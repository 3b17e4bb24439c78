/* test_detect.c - unit tests of src/detect/detect: the engine driven
 * directly (det_new, det_service, det_feed, det_advance, det_incidents) with
 * synthetic streams built here: a few services x countries with Poisson
 * baselines on a daily curve (GSL's generator, fixed seeds), outages,
 * brigades voted by the real guard, and properties (more reports never
 * score lower, order within a tick does not matter, services are
 * independent, runs are deterministic), grouping and time jumps. Run one
 * test by name: test_detect brigade (a glob pattern also works). */
#include "detect/detect.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/buf.h"
#include "guard/guard.h"
#include "report/country.h"
#include "report/report.h"

#define T0 INT64_C(1714953600) /* 2024-05-06T00:00:00Z, a Monday */
#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)
#define PI 3.14159265358979323846
#define MAX_SERVICES 8

/* ------------------------------------------------------------ streams -- */

struct ev {
    int64_t ts;
    uint32_t seq;     /* generation order: a stable sort key */
    int16_t service;
    int16_t country;
    uint8_t problem;
    uint8_t vote;     /* enum det_vote */
    uint64_t voter;   /* 0: a voter of its own (always counted) */
};

struct stream {
    struct ev *ev;
    size_t n, cap;
    int nservices;
};

static void push(struct stream *s, int64_t ts, int service, int country, int problem,
                 uint64_t voter)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->ev = realloc(s->ev, s->cap * sizeof(*s->ev));
        assert_non_null(s->ev);
    }
    s->ev[s->n] = (struct ev){ts, (uint32_t)s->n, (int16_t)service, (int16_t)country,
                              (uint8_t)problem, DET_VOTE, voter};
    s->n++;
    if (service + 1 > s->nservices)
        s->nservices = service + 1;
}

static int by_time(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by event time, then vote like the server's guard would (one counted
 * vote per voter and service per 600 s; reports without a voter count). */
static void finish(struct stream *s)
{
    qsort(s->ev, s->n, sizeof(*s->ev), by_time);
    struct guard_config gc = {.rate = 0, .burst = 1, .bucket_slots = 64, .vote_window = 600,
                              .vote_slots = 1u << 16};
    struct guard *g = guard_new(&gc);
    for (size_t i = 0; i < s->n; i++) {
        struct ev *e = &s->ev[i];
        e->vote = e->voter ? (uint8_t)guard_vote(g, e->voter, e->service, e->ts) : DET_VOTE;
    }
    guard_free(g);
}

static void stream_free(struct stream *s)
{
    free(s->ev);
    memset(s, 0, sizeof(*s));
}

static double curve(double mean, int64_t t)
{
    double h = (double)((t % DAY + DAY) % DAY) / 3600.0;
    return mean * (1.0 + 0.6 * sin(2 * PI * (h - 12) / 24.0));
}

static int country(const char *code)
{
    return country_index(code);
}

/* Normal traffic: every service in every country, mean reports a minute per
 * cell on the daily curve, problems spread evenly. */
static void normal(struct stream *s, gsl_rng *r, int nservices, const char *const *codes,
                   int ncodes, double mean, int64_t from, int64_t to)
{
    for (int64_t m = from; m < to; m += 60)
        for (int sv = 0; sv < nservices; sv++)
            for (int c = 0; c < ncodes; c++) {
                unsigned n = gsl_ran_poisson(r, curve(mean, m));
                for (unsigned i = 0; i < n; i++)
                    push(s, m + (int64_t)gsl_rng_uniform_int(r, 60), sv, country(codes[c]),
                         (int)gsl_rng_uniform_int(r, REP_PROBLEM_COUNT), 0);
            }
}

/* An outage: (factor - 1) x mean extra a minute in each country, 70% login. */
static void outage(struct stream *s, gsl_rng *r, int service, const char *const *codes,
                   int ncodes, double mean, double factor, int64_t from, int64_t to)
{
    for (int64_t m = from; m < to; m += 60)
        for (int c = 0; c < ncodes; c++) {
            unsigned n = gsl_ran_poisson(r, (factor - 1) * curve(mean, m));
            for (unsigned i = 0; i < n; i++) {
                int problem = gsl_rng_uniform(r) < 0.7
                                  ? REP_LOGIN
                                  : (int)gsl_rng_uniform_int(r, REP_PROBLEM_COUNT);
                push(s, m + (int64_t)gsl_rng_uniform_int(r, 60), service, country(codes[c]),
                     problem, 0);
            }
        }
}

/* A brigade: `clients` voters, each sending 1-8 reports a minute (its own
 * rate, exponential gaps) for `minutes` from its start within the first
 * minute. */
static void brigade(struct stream *s, gsl_rng *r, int service, const char *code, int clients,
                    int64_t from, int minutes, uint64_t voter_base)
{
    for (int k = 0; k < clients; k++) {
        double per_min = 1 + 7 * gsl_rng_uniform(r);
        double t = (double)from + 60 * gsl_rng_uniform(r);
        while (t < (double)from + minutes * 60) {
            push(s, (int64_t)t, service, country(code), REP_APP, voter_base + (uint64_t)k + 1);
            t += gsl_ran_exponential(r, 60.0 / per_min);
        }
    }
}

/* ------------------------------------------------------------ running -- */

struct run_opts {
    int tick_seconds;        /* 0: default */
    double open_score;       /* 0: default */
    const char *owners[MAX_SERVICES]; /* NULL: none */
    int only_service;        /* >= 0: feed only this service's reports */
    FILE *explain;           /* det_explain of service 0 ... */
    int64_t explain_from;    /* ... from this event time on */
};

static const struct run_opts DEFAULTS = {.only_service = -1};

static struct det *run(const struct stream *s, int64_t start, int64_t end,
                       const struct run_opts *o)
{
    struct det_config cfg;
    det_config_default(&cfg);
    if (o->tick_seconds)
        cfg.tick_seconds = o->tick_seconds;
    if (o->open_score)
        cfg.open_score = o->open_score;
    struct det *d = det_new(&cfg, NULL, NULL);
    for (int i = 0; i < s->nservices; i++) {
        char name[16];
        snprintf(name, sizeof(name), "svc%d", i);
        assert_int_equal(det_service(d, name, strlen(name)), i);
        if (o->owners[i])
            det_service_owner(d, i, o->owners[i]);
    }
    det_advance(d, start);
    int explaining = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct ev *e = &s->ev[i];
        if (o->explain && !explaining && e->ts >= o->explain_from) {
            det_advance(d, o->explain_from);
            det_explain(d, 0, -1, o->explain);
            explaining = 1;
        }
        if (o->only_service >= 0 && e->service != o->only_service)
            continue;
        det_feed(d, e->service, e->country, e->problem, (enum det_vote)e->vote, e->ts);
    }
    det_advance(d, end);
    return d;
}

/* All incidents (of one service, or all with service < 0) as JSON lines;
 * without_group blanks the "group" field. Caller frees. */
static char *incidents_json(const struct det *d, int service, int without_group)
{
    const struct det_incident *const *incs;
    size_t n = det_incidents(d, &incs);
    struct buf out;
    buf_init(&out);
    for (size_t i = 0; i < n; i++) {
        if (service >= 0 && incs[i]->service != service)
            continue;
        struct det_incident copy = *incs[i];
        if (without_group)
            copy.group = NULL;
        det_incident_json(d, &copy, &out);
        buf_putc(&out, '\n');
    }
    buf_putc(&out, '\0');
    char *text = strdup(out.data);
    buf_free(&out);
    return text;
}

static size_t count_of(const struct det *d, int service)
{
    const struct det_incident *const *incs;
    size_t n = det_incidents(d, &incs), k = 0;
    for (size_t i = 0; i < n; i++)
        k += service < 0 || incs[i]->service == service;
    return k;
}

static const struct det_incident *first_of(const struct det *d, int service)
{
    const struct det_incident *const *incs;
    size_t n = det_incidents(d, &incs);
    for (size_t i = 0; i < n; i++)
        if (incs[i]->service == service)
            return incs[i];
    return NULL;
}

static int has_country(const struct det_incident *p, const char *code)
{
    for (int i = 0; i < p->ncountries; i++)
        if (p->countries[i] == country(code))
            return 1;
    return 0;
}

static void print_incidents(const struct det *d)
{
    char *text = incidents_json(d, -1, 0);
    print_message("%s", text);
    free(text);
}

static const char *const CODES[] = {"US", "DE", "BR", "IN", "JP"};
#define NCODES 5

/* ------------------------------------------------------------- tests ---- */

static void a_clear_outage_opens_fast_with_its_countries_and_resolves_once(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    struct stream s = {0};
    int64_t onset = T0 + 4 * DAY + 14 * HOUR + 7 * 60, stop = onset + 45 * 60;
    normal(&s, r, 3, CODES, NCODES, 2.0, T0, T0 + 4 * DAY + 18 * HOUR);
    outage(&s, r, 0, CODES, 3, 2.0, 20, onset, stop);
    finish(&s);
    struct det *d = run(&s, T0, T0 + 4 * DAY + 18 * HOUR, &DEFAULTS);
    print_incidents(d);
    assert_int_equal(count_of(d, -1), 1); /* one incident, no fragment, nothing else */
    const struct det_incident *p = first_of(d, 0);
    assert_non_null(p);
    assert_true(p->detected_at >= onset && p->detected_at <= onset + 60);
    assert_true(llabs(p->start - onset) <= 120);
    assert_int_equal(p->ncountries, 3);
    assert_true(has_country(p, "US") && has_country(p, "DE") && has_country(p, "BR"));
    int top = 0;
    for (int k = 1; k < REP_PROBLEM_COUNT; k++)
        if (p->problems[k] > p->problems[top])
            top = k;
    assert_int_equal(top, REP_LOGIN);
    assert_true(p->end >= stop - 5 * 60 && p->end <= stop + 20 * 60);
    det_free(d);
    stream_free(&s);
    gsl_rng_free(r);
}

/* Run the stream over [from, to) and assert that nothing opens (printing
 * what did, if anything), then free the stream. */
static void assert_nothing_opens(struct stream *s, int64_t from, int64_t to, const char *what)
{
    finish(s);
    struct det *d = run(s, from, to, &DEFAULTS);
    print_message("%s: %zu reports, %zu incidents\n", what, s->n, count_of(d, -1));
    if (count_of(d, -1))
        print_incidents(d);
    assert_int_equal(count_of(d, -1), 0);
    det_free(d);
    stream_free(s);
}

static void a_quiet_week_opens_nothing(void **state)
{
    (void)state;
    static const unsigned long SEEDS[] = {101, 102, 103, 104};
    for (size_t i = 0; i < sizeof(SEEDS) / sizeof(SEEDS[0]); i++) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, SEEDS[i]);
        struct stream s = {0};
        normal(&s, r, 2, CODES, 3, 1.5 + (double)i, T0, T0 + 7 * DAY);
        char what[32];
        snprintf(what, sizeof(what), "seed %lu", SEEDS[i]);
        assert_nothing_opens(&s, T0, T0 + 7 * DAY, what);
        gsl_rng_free(r);
    }
}

static void a_brigade_opens_nothing(void **state)
{
    (void)state;
    static const int CLIENTS[] = {10, 20, 30};
    static const char *const WHERE[] = {"US", "TR"}; /* a busy country, and a new one */
    for (size_t i = 0; i < sizeof(CLIENTS) / sizeof(CLIENTS[0]); i++) {
        for (size_t w = 0; w < 2; w++) {
            gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(r, 200 + i * 2 + w);
            struct stream s = {0};
            normal(&s, r, 2, CODES, 3, 2.0, T0, T0 + 3 * DAY + 20 * HOUR);
            brigade(&s, r, 0, WHERE[w], CLIENTS[i], T0 + 3 * DAY + 15 * HOUR, 20, 1000);
            char what[32];
            snprintf(what, sizeof(what), "%d clients in %s", CLIENTS[i], WHERE[w]);
            assert_nothing_opens(&s, T0, T0 + 3 * DAY + 20 * HOUR, what);
            gsl_rng_free(r);
        }
    }
}

/* A brigade that starts `offset` seconds into a minute: `clients` voters
 * whose first reports arrive within 4 s, each repeating every 7-9 s for 20
 * minutes (a repeat never comes before the vote it cancels). */
static void fast_brigade(struct stream *s, gsl_rng *r, int service, const char *code,
                         int clients, int64_t minute, int offset, uint64_t voter_base)
{
    for (int k = 0; k < clients; k++) {
        int64_t t = minute + offset + (k * 4) / clients;
        while (t < minute + 20 * 60) {
            push(s, t, service, country(code), REP_APP, voter_base + (uint64_t)k + 1);
            t += 7 + (int64_t)gsl_rng_uniform_int(r, 3);
        }
    }
}

/* A brigade's votes arrive before the repeats that cancel them: whatever
 * the second of the minute it starts at, its young votes must not look like
 * people (the defence is not allowed to depend on the phase). */
static void a_brigade_opens_nothing_whatever_second_it_starts(void **state)
{
    (void)state;
    int64_t minute = T0 + 3 * DAY + 15 * HOUR + 23 * 60;
    for (int offset = 0; offset <= 50; offset += 5) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 300);
        struct stream s = {0};
        normal(&s, r, 1, CODES, 3, 1.0, T0, minute + 2 * HOUR);
        fast_brigade(&s, r, 0, "US", 30, minute, offset, 2000);
        char what[48];
        snprintf(what, sizeof(what), "30 clients from +%ds", offset);
        assert_nothing_opens(&s, T0, minute + 2 * HOUR, what);
        gsl_rng_free(r);
    }
}

/* The same burst from 30 distinct people (no repeats) opens, whatever the
 * second it starts at, within a minute of its first report. */
static void a_burst_of_people_opens_within_a_minute_whatever_second_it_starts(void **state)
{
    (void)state;
    int64_t minute = T0 + 3 * DAY + 15 * HOUR + 23 * 60;
    for (int offset = 0; offset <= 50; offset += 5) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 300);
        struct stream s = {0};
        normal(&s, r, 1, CODES, 3, 1.0, T0, minute + 2 * HOUR);
        for (int k = 0; k < 30; k++)
            push(&s, minute + offset + k, 0, country("US"), REP_APP, 0);
        finish(&s);
        struct det *d = run(&s, T0, minute + 2 * HOUR, &DEFAULTS);
        const struct det_incident *p = first_of(d, 0);
        assert_non_null(p);
        print_message("+%ds: opened after %llds\n", offset,
                      (long long)(p->detected_at - (minute + offset)));
        assert_true(p->detected_at > minute + offset && p->detected_at <= minute + offset + 60);
        det_free(d);
        stream_free(&s);
        gsl_rng_free(r);
    }
}

/* The base stream of the monotonicity property: three days of one service,
 * then `extra` more votes in US during one minute. */
static void bump_stream(struct stream *s, int extra, int64_t minute)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 77);
    normal(s, r, 1, CODES, 3, 1.0, T0, minute + 2 * HOUR);
    gsl_rng_free(r);
    for (int i = 0; i < extra; i++) /* spread over the minute, deterministic */
        push(s, minute + 2 + (i * 53) % 57, 0, country("US"), REP_CALLS, 0);
    finish(s);
}

/* The tick lines of service 0's explain output stamped within [from, to]:
 * their times, best scores and (minutes not NULL) the lengths of their
 * windows; returns how many. */
static int explain_ticks(const char *text, int64_t from, int64_t to, int64_t *when,
                         double *score, double *minutes, int max)
{
    int n = 0;
    for (const char *line = text; line && *line && n < max; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        struct tm tm = {0};
        const char *rest = strptime(line, "%Y-%m-%dT%H:%M:%SZ", &tm);
        const char *b = rest ? strstr(rest, "best_score=") : NULL;
        const char *w = rest ? strstr(rest, "window_minutes=") : NULL;
        if (!b || sscanf(b, "best_score=%lf", &score[n]) != 1 || !w ||
            (minutes && sscanf(w, "window_minutes=%lf", &minutes[n]) != 1))
            continue;
        when[n] = (int64_t)timegm(&tm);
        if (when[n] >= from && when[n] <= to)
            n++;
    }
    return n;
}

static int explain_scores(const char *text, int64_t from, int64_t to, int64_t *when,
                          double *score, int max)
{
    return explain_ticks(text, from, to, when, score, NULL, max);
}

/* Service 0's explained ticks within [from, to] of a run that never opens
 * (every tick with reports is explained); returns how many. */
static int explained(const struct stream *s, int64_t from, int64_t to, int64_t *when,
                     double *score, double *minutes, int max)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct run_opts o = DEFAULTS;
    o.open_score = 300;
    o.explain = f;
    o.explain_from = from - 60;
    struct det *d = run(s, T0, to + HOUR, &o);
    fclose(f);
    int n = explain_ticks(text, from, to, when, score, minutes, max);
    det_free(d);
    free(text);
    return n;
}

/* The index of the tick at time t, or -1. */
static int tick_at(const int64_t *when, int n, int64_t t)
{
    for (int i = 0; i < n; i++)
        if (when[i] == t)
            return i;
    return -1;
}

/* Three days of one service, then a minute with `rise` more votes in US,
 * then 3 more in the first 8 seconds of the next minute (by one voter
 * twice when with_repeat, a repeat among them). */
static void rise_stream(struct stream *s, int rise, int64_t minute, int with_repeat)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 78);
    normal(s, r, 1, CODES, 3, 1.0, T0, minute + HOUR);
    gsl_rng_free(r);
    for (int i = 0; i < rise; i++)
        push(s, minute + 2 + (i * 53) % 57, 0, country("US"), REP_CALLS, 0);
    for (int i = 0; i < 3; i++)
        push(s, minute + 62 + 2 * i, 0, country("US"), REP_CALLS,
             with_repeat && i > 0 ? 900 : 0);
    finish(s);
}

/* A minute far above expectation that did not open at its close is scored
 * again 10 s into the next minute, on a window of closed minutes plus those
 * seconds (its votes then mature); not when a client repeats among those
 * seconds' reports (the repeat counts at once, the young votes not yet). */
static void a_rise_is_rescored_ten_seconds_into_the_next_minute(void **state)
{
    (void)state;
    int64_t minute = T0 + 3 * DAY + 15 * HOUR + 23 * 60, when[8];
    double score[8], minutes[8];
    for (int with_repeat = 0; with_repeat <= 1; with_repeat++) {
        struct stream s = {0};
        rise_stream(&s, 12, minute, with_repeat);
        int n = explained(&s, minute + 60, minute + 70, when, score, minutes, 8);
        int close = tick_at(when, n, minute + 60), young = tick_at(when, n, minute + 70);
        assert_true(close >= 0 && young >= 0);
        print_message("close %.2f (%.2f min), +10 s %.2f (%.2f min), repeat %d\n", score[close],
                      minutes[close], score[young], minutes[young], with_repeat);
        assert_true(score[close] > 0);
        if (with_repeat) {
            assert_true(score[young] == 0);
        } else {
            assert_true(score[young] > score[close]);
            assert_true(minutes[young] > 1.1 && minutes[young] < 1.2); /* 1 minute + 10 s */
        }
        stream_free(&s);
    }
}

/* A burst in the first seconds of a minute after quiet ones (what a
 * brigade's first votes look like) is not scored while its votes are young
 * (the tick that first sees them), then it is, on the open minute alone. */
static void young_votes_count_once_mature(void **state)
{
    (void)state;
    int64_t minute = T0 + 3 * DAY + 15 * HOUR + 23 * 60, when[8];
    double score[8], minutes[8];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 79);
    struct stream s = {0};
    normal(&s, r, 1, CODES, 3, 1.0, T0, minute + HOUR);
    gsl_rng_free(r);
    for (int i = 0; i < 30; i++)
        push(&s, minute + 1 + i % 9, 0, country("US"), REP_CALLS, 0);
    for (int k = 1; k <= 5; k++) /* a report in every tick, so that each is scored */
        push(&s, minute + 10 * k + 5, 0, country("US"), REP_CALLS, 0);
    finish(&s);
    int n = explained(&s, minute + 10, minute + 50, when, score, minutes, 8);
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++) {
        print_message("+%llds: %.2f (%.2f min)\n", (long long)(when[i] - minute), score[i],
                      minutes[i]);
        if (when[i] < minute + 20)
            assert_true(score[i] == 0);
        else
            assert_true(score[i] > 8 && minutes[i] < 1);
    }
    stream_free(&s);
}

/* The minute gets 0, 2, 4 ... 40 more votes. At every tick of it that was
 * scored with fewer votes (a tick without reports is not scored), the best
 * score with more is at least as high; and with the real thresholds, once
 * the stream opens it opens with more too, no later. */
static void adding_reports_to_a_minute_never_lowers_its_score(void **state)
{
    (void)state;
    int64_t minute = T0 + 3 * DAY + 15 * HOUR + 23 * 60;
    int64_t prev_when[16];
    double prev[16];
    int prev_n = -1;
    int64_t prev_detected = -1;
    int opened_at = -1;
    for (int extra = 0; extra <= 40; extra += 2) {
        struct stream s = {0};
        bump_stream(&s, extra, minute);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        struct run_opts o = DEFAULTS;
        o.open_score = 300; /* never opens: every tick is explained */
        o.explain = f;
        o.explain_from = minute - 60;
        struct det *d = run(&s, T0, minute + HOUR, &o);
        fclose(f);
        int64_t when[16];
        double scores[16];
        int n = explain_scores(text, minute + 1, minute + 60, when, scores, 16);
        det_free(d);
        free(text);
        assert_true(n >= 1);
        for (int i = 0; i < prev_n; i++) {
            int j = 0;
            while (j < n && when[j] != prev_when[i])
                j++;
            if (j == n || scores[j] < prev[i]) {
                print_error("%d extra votes: tick +%llds scores %.3f, %.3f with %d\n", extra,
                            (long long)(prev_when[i] - minute), j < n ? scores[j] : NAN,
                            prev[i], extra - 2);
                fail();
            }
        }
        memcpy(prev, scores, sizeof(scores));
        memcpy(prev_when, when, sizeof(when));
        prev_n = n;
        d = run(&s, T0, minute + HOUR, &DEFAULTS);
        const struct det_incident *p = first_of(d, 0);
        if (p && p->detected_at < minute)
            p = NULL;
        if (prev_detected >= 0) {
            assert_non_null(p);
            assert_true(p->detected_at <= prev_detected);
        }
        if (p) {
            if (opened_at < 0)
                opened_at = extra;
            prev_detected = p->detected_at;
        }
        det_free(d);
        stream_free(&s);
    }
    print_message("first opens with %d extra votes in the minute\n", opened_at);
    assert_true(opened_at > 0 && opened_at <= 40); /* the sweep crossed the threshold */
}

static void shuffle_range(struct ev *ev, size_t n, gsl_rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = gsl_rng_uniform_int(r, i);
        struct ev t = ev[i - 1];
        ev[i - 1] = ev[j];
        ev[j] = t;
    }
}

/* Shuffle the feeding order within each span of `step` seconds (the
 * reports keep their own times and votes). */
static void shuffle_within(struct stream *s, int64_t step, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    size_t i = 0;
    while (i < s->n) {
        int64_t span = s->ev[i].ts - ((s->ev[i].ts % step) + step) % step;
        size_t j = i;
        while (j < s->n && s->ev[j].ts < span + step)
            j++;
        shuffle_range(s->ev + i, j - i, r);
        i = j;
    }
    gsl_rng_free(r);
}

static struct stream outage_stream(unsigned long seed, int64_t *end)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    struct stream s = {0};
    int64_t onset = T0 + 3 * DAY + 19 * HOUR + 31 * 60;
    *end = onset + 3 * HOUR;
    normal(&s, r, 3, CODES, NCODES, 1.5, T0, *end);
    outage(&s, r, 0, CODES, 3, 1.5, 12, onset, onset + 40 * 60);
    outage(&s, r, 1, CODES + 2, 2, 1.5, 8, onset + 30, onset + 30 * 60);
    brigade(&s, r, 2, "US", 15, onset - HOUR, 20, 5000);
    finish(&s);
    gsl_rng_free(r);
    return s;
}

/* With ticks of tick_seconds (0: default), shuffling the feeding order
 * within each tick gives byte-identical incidents; returns how many. */
static size_t assert_shuffles_change_nothing(struct stream *s, int64_t end, int tick_seconds)
{
    qsort(s->ev, s->n, sizeof(*s->ev), by_time);
    struct run_opts o = DEFAULTS;
    o.tick_seconds = tick_seconds;
    struct det *d = run(s, T0, end, &o);
    char *want = incidents_json(d, -1, 0);
    size_t n = count_of(d, -1);
    det_free(d);
    for (unsigned long seed = 1; seed <= 3; seed++) {
        shuffle_within(s, tick_seconds ? tick_seconds : 10, seed);
        d = run(s, T0, end, &o);
        char *got = incidents_json(d, -1, 0);
        assert_string_equal(got, want);
        free(got);
        det_free(d);
    }
    free(want);
    return n;
}

/* Reports keep their own times; only the order they are fed in changes.
 * Default 10 s ticks: within each tick; one-minute ticks: the whole minute
 * (with sub-minute ticks, a report fed after a later one counts at the
 * later one's tick, so the order across ticks does matter by design:
 * drivers feed in event-time order). */
static void permuting_reports_within_a_tick_changes_nothing(void **state)
{
    (void)state;
    int64_t end;
    struct stream s = outage_stream(31, &end);
    assert_true(assert_shuffles_change_nothing(&s, end, 0) >= 2);
    assert_true(assert_shuffles_change_nothing(&s, end, 60) >= 2);
    stream_free(&s);
}

static void the_same_stream_twice_gives_identical_incidents(void **state)
{
    (void)state;
    int64_t end;
    struct stream s = outage_stream(32, &end);
    struct det *a = run(&s, T0, end, &DEFAULTS), *b = run(&s, T0, end, &DEFAULTS);
    char *ja = incidents_json(a, -1, 0), *jb = incidents_json(b, -1, 0);
    assert_true(strlen(ja) > 0);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    det_free(a);
    det_free(b);
    stream_free(&s);
}

/* Service 0 has an outage; service 1 only quiet traffic (so no cascade
 * bonus): service 0's incidents are the same with and without service 1. */
static void a_service_does_not_depend_on_another_services_quiet_traffic(void **state)
{
    (void)state;
    static const double OTHER[] = {0.5, 5.0, 40.0}; /* service 1's volume */
    for (size_t i = 0; i < sizeof(OTHER) / sizeof(OTHER[0]); i++) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 300 + i);
        struct stream s = {0};
        int64_t onset = T0 + 3 * DAY + 9 * HOUR + 12 * 60, end = onset + 3 * HOUR;
        normal(&s, r, 1, CODES, NCODES, 1.5, T0, end);
        outage(&s, r, 0, CODES, 2, 1.5, 15, onset, onset + 30 * 60);
        struct stream other = {0};
        normal(&other, r, 1, CODES + 1, 4, OTHER[i], T0, end);
        for (size_t k = 0; k < other.n; k++)
            push(&s, other.ev[k].ts, 1, other.ev[k].country, other.ev[k].problem, 0);
        stream_free(&other);
        finish(&s);
        struct run_opts alone = DEFAULTS;
        alone.only_service = 0;
        struct det *a = run(&s, T0, end, &alone), *b = run(&s, T0, end, &DEFAULTS);
        assert_int_equal(count_of(b, 1), 0);
        char *ja = incidents_json(a, 0, 1), *jb = incidents_json(b, 0, 1);
        assert_int_equal(count_of(a, 0), 1);
        assert_string_equal(ja, jb);
        free(ja);
        free(jb);
        det_free(a);
        det_free(b);
        stream_free(&s);
        gsl_rng_free(r);
    }
}

static void siblings_failing_together_share_a_group_and_others_stay_out(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 41);
    struct stream s = {0};
    int64_t onset = T0 + 3 * DAY + 16 * HOUR + 4 * 60, end = onset + 3 * HOUR;
    normal(&s, r, 3, CODES, NCODES, 2.0, T0, end);
    outage(&s, r, 0, CODES, 3, 2.0, 15, onset, onset + 40 * 60);      /* US DE BR */
    outage(&s, r, 1, CODES, 3, 2.0, 10, onset + 40, onset + 35 * 60); /* same, 40 s later */
    outage(&s, r, 2, CODES + 3, 2, 2.0, 15, onset, onset + 40 * 60);  /* IN JP */
    finish(&s);
    struct run_opts o = DEFAULTS;
    o.owners[0] = o.owners[1] = "meta";
    o.owners[2] = "other";
    struct det *d = run(&s, T0, end, &o);
    print_incidents(d);
    assert_int_equal(count_of(d, -1), 3);
    const struct det_incident *a = first_of(d, 0), *b = first_of(d, 1), *c = first_of(d, 2);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(a->group);
    assert_ptr_equal(a->group, b->group);
    assert_true(c->group != a->group);
    assert_false(has_country(c, "US") || has_country(c, "DE") || has_country(c, "BR"));
    det_free(d);
    stream_free(&s);
    gsl_rng_free(r);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void time_jumps_neither_hang_nor_crash(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 51);
    struct stream s = {0};
    normal(&s, r, 2, CODES, 3, 2.0, T0, T0 + 2 * DAY);
    finish(&s);
    static const int64_t JUMPS[] = {13 * DAY, 15 * DAY, 400 * DAY, INT64_C(100) * 365 * DAY,
                                    INT64_C(1) << 50};
    for (size_t i = 0; i < sizeof(JUMPS) / sizeof(JUMPS[0]); i++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct det *d = run(&s, T0, T0 + 2 * DAY, &DEFAULTS);
        int64_t far = T0 + 2 * DAY + JUMPS[i];
        det_feed(d, 0, country("US"), REP_LOGIN, DET_VOTE, far);
        for (int k = 0; k < 50; k++) /* a burst after the jump */
            det_feed(d, 0, country("US"), REP_LOGIN, DET_VOTE, far + k);
        det_feed(d, 1, country("DE"), REP_APP, DET_VOTE, T0); /* back in time: ignored */
        det_advance(d, far + 2 * HOUR);
        assert_true(det_now(d) == far + 2 * HOUR);
        char *text = incidents_json(d, -1, 0);
        free(text);
        det_free(d);
        double took = seconds_since(&t0);
        print_message("jump of %lld s: %.2f s\n", (long long)JUMPS[i], took);
        assert_true(took < 30);
    }
    stream_free(&s);
    gsl_rng_free(r);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_clear_outage_opens_fast_with_its_countries_and_resolves_once),
        cmocka_unit_test(a_quiet_week_opens_nothing),
        cmocka_unit_test(a_brigade_opens_nothing),
        cmocka_unit_test(a_brigade_opens_nothing_whatever_second_it_starts),
        cmocka_unit_test(a_burst_of_people_opens_within_a_minute_whatever_second_it_starts),
        cmocka_unit_test(adding_reports_to_a_minute_never_lowers_its_score),
        cmocka_unit_test(a_rise_is_rescored_ten_seconds_into_the_next_minute),
        cmocka_unit_test(young_votes_count_once_mature),
        cmocka_unit_test(permuting_reports_within_a_tick_changes_nothing),
        cmocka_unit_test(the_same_stream_twice_gives_identical_incidents),
        cmocka_unit_test(a_service_does_not_depend_on_another_services_quiet_traffic),
        cmocka_unit_test(siblings_failing_together_share_a_group_and_others_stay_out),
        cmocka_unit_test(time_jumps_neither_hang_nor_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
