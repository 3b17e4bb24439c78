/* detect.c - the detection engine (see detect.h for the model).
 *
 * Layout: services in an array (ids looked up through a small open-address
 * table); each service has a total cell and, per country with reports, a
 * country cell, which the minute close walks. A cell is its baseline, a ring of the last RING closed minutes
 * (effective count and expectation) and the current minute's sums. An open
 * incident has accumulators (per-country votes, expectations and problem
 * votes over its first hour) that are freed when it resolves. */
#include "detect/detect.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "detect/baseline.h"
#include "detect/tail.h"

#define RING 64                 /* closed minutes kept per cell (>= longest window) */
#define MAX_GAP_MINUTES 20160   /* a jump in time longer than two weeks is skipped over */
#define MIN_RATE 1e-3           /* expectation floor, per minute */
#define TOTAL_WARM_HOURS 1      /* history a total needs before it can open */
#define COUNTRY_WARM_HOURS 24   /* and a single country */
#define COUNTRY_MIN_EXTRA 5.0   /* a country of an incident: >= 5 clients more, */
#define COUNTRY_MIN_RATIO 3.0   /* >= 3x its expectation, */
#define COUNTRY_MIN_SCORE 3.0   /* and significant */
#define ACCUM_MINUTES 60        /* countries and problems: the incident's first hour */
#define CALM_WINDOW 10          /* minutes judged for calm */
#define CALM_SCORE 2.0
#define CALM_RATIO 1.5
#define GROUP_AGE_MINUTES 30    /* an incident may join a group this long */
#define ONSET_SIGMAS 2.0
#define RECENT_MINUTES 30       /* a service stays degraded this long after an incident */
#define YOUNG_BINS 12           /* ticks of votes kept for maturity (det_config) */
#define SUSPECT_SCORE 3.0       /* a closed minute this unusual is not learned ... */
#define SUSPECT_RATIO 1.5       /* ... (its window must also be this far up, */
#define SUSPECT_CLIENTS 3.0     /* with this many clients) ... */
#define SUSPECT_MAX_MINUTES 360 /* ... unless it lasts so long it is the new normal */

static const int WINDOWS[] = {0, 1, 2, 3, 5, 10, 15, 30, 60}; /* closed minutes + partial */
#define NWINDOWS (sizeof(WINDOWS) / sizeof(WINDOWS[0]))

struct cell {
    struct base base;
    float ring_e[RING];  /* effective counts of closed minutes */
    float ring_mu[RING]; /* their expectations */
    uint32_t closed;     /* minutes closed so far (ring fill) */
    uint32_t known;      /* of which the last ones had an expectation */
    uint32_t suspect;    /* consecutive minutes kept from the baseline */
    uint32_t reports, votes, first_repeats; /* the current minute */
    uint32_t problems[REP_PROBLEM_COUNT];
    uint32_t last_votes; /* of the minute closed last, for det_explain */
    double rate;         /* base_expected per minute for rate_minute, ... */
    int64_t rate_minute; /* ... worked out once when the minute before closed */
    int64_t young_bin;   /* tick index of the newest bin in young[] */
    uint16_t young[YOUNG_BINS]; /* votes by the tick that first sees them (saturate) */
    int country;         /* -1 for a service total */
    int dirty;           /* had reports since the last tick */
};

struct accum {
    float obs[COUNTRY_SLOTS];
    float exp[COUNTRY_SLOTS];
    uint32_t problems[COUNTRY_SLOTS][REP_PROBLEM_COUNT];
    int calm;            /* consecutive calm minutes */
};

struct incident {
    struct det_incident pub;
    struct accum *acc;   /* NULL once resolved */
};

struct service {
    char *name;
    char *owner;              /* company, or NULL */
    struct cell *total;
    struct cell **by_country; /* [COUNTRY_SLOTS], allocated with the first country */
    struct cell **cells;      /* country cells in creation order */
    int ncells, capcells;
    struct incident *open;
    int64_t calm_since;       /* end of the last incident: windows start after it */
    int dirty;
};

struct det {
    struct det_config cfg;
    FILE *explain;             /* det_explain's stream, or NULL */
    int explain_service;
    int explain_country;       /* -1: the service's total */
    det_event_fn on_event;
    void *ctx;
    struct service *services;
    int nservices, capservices;
    int *lookup;              /* open addressing: service index + 1, 0 empty */
    size_t lookup_mask;
    size_t ncells;            /* totals and country cells */
    int *dirty_services;
    int ndirty;
    struct incident **incs;
    size_t nincs, capincs;
    int64_t now, minute, next_tick; /* minute: start of the open minute */
    int started;
    int maturity_ticks;        /* ticks a vote stays young (0: none) */
};

static int64_t floor_to(int64_t t, int64_t step)
{
    int64_t q = t / step;
    if (t % step != 0 && t < 0)
        q--;
    return q * step;
}

void det_config_default(struct det_config *cfg)
{
    cfg->tick_seconds = 10;
    cfg->open_score = 8.0;
    cfg->country_extra = 3.0;
    cfg->min_clients = 8.0;
    cfg->min_ratio = 3.0;
    cfg->calm_minutes = 15;
    cfg->group_minutes = 5;
    cfg->group_jaccard = 0.3;
    cfg->cascade_bonus = 3.0;
    cfg->sibling_bonus = 5.0;
    cfg->cascade_min_clients = 5.0;
    cfg->vote_maturity = 10;
}

struct det *det_new(const struct det_config *cfg, det_event_fn on_event, void *ctx)
{
    struct det *d = xcalloc(1, sizeof(*d));
    d->cfg = *cfg;
    if (d->cfg.tick_seconds <= 0 || 60 % d->cfg.tick_seconds != 0)
        d->cfg.tick_seconds = 60;
    if (d->cfg.vote_maturity < 0)
        d->cfg.vote_maturity = 0;
    d->maturity_ticks = (d->cfg.vote_maturity + d->cfg.tick_seconds - 1) / d->cfg.tick_seconds;
    if (d->maturity_ticks > YOUNG_BINS)
        d->maturity_ticks = YOUNG_BINS;
    d->cfg.vote_maturity = d->maturity_ticks * d->cfg.tick_seconds;
    d->on_event = on_event;
    d->ctx = ctx;
    d->lookup_mask = 63;
    d->lookup = xcalloc(d->lookup_mask + 1, sizeof(int));
    return d;
}

void det_free(struct det *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->nservices; i++) {
        free(d->services[i].name);
        free(d->services[i].owner);
        free(d->services[i].total);
        for (int c = 0; c < d->services[i].ncells; c++)
            free(d->services[i].cells[c]);
        free(d->services[i].by_country);
        free(d->services[i].cells);
    }
    for (size_t i = 0; i < d->nincs; i++) {
        free(d->incs[i]->acc);
        free(d->incs[i]);
    }
    free(d->services);
    free(d->lookup);
    free(d->dirty_services);
    free(d->incs);
    free(d);
}

/* ------------------------------------------------------------ services -- */

static size_t name_slot(const struct det *d, const char *id, size_t len)
{
    size_t i = (size_t)XXH3_64bits(id, len) & d->lookup_mask;
    for (;;) {
        int v = d->lookup[i];
        if (v == 0)
            return i;
        const char *name = d->services[v - 1].name;
        if (strlen(name) == len && memcmp(name, id, len) == 0)
            return i;
        i = (i + 1) & d->lookup_mask;
    }
}

static struct cell *cell_new(struct det *d, int country)
{
    struct cell *c = xcalloc(1, sizeof(*c));
    base_init(&c->base);
    c->rate_minute = INT64_MIN;
    c->country = country;
    d->ncells++;
    return c;
}

int det_service(struct det *d, const char *id, size_t len)
{
    size_t slot = name_slot(d, id, len);
    if (d->lookup[slot])
        return d->lookup[slot] - 1;
    if (d->nservices == INT_MAX - 1)
        return -1;
    if (d->nservices == d->capservices) {
        d->capservices = d->capservices ? d->capservices * 2 : 16;
        d->services = xrealloc(d->services, d->capservices * sizeof(*d->services));
        d->dirty_services = xrealloc(d->dirty_services, d->capservices * sizeof(int));
    }
    struct service *s = &d->services[d->nservices];
    memset(s, 0, sizeof(*s));
    s->name = xmalloc(len + 1);
    memcpy(s->name, id, len);
    s->name[len] = '\0';
    s->total = cell_new(d, -1);
    s->calm_since = INT64_MIN / 4;
    d->lookup[slot] = ++d->nservices;
    if ((size_t)d->nservices * 2 > d->lookup_mask) { /* keep the table half empty */
        free(d->lookup);
        d->lookup_mask = d->lookup_mask * 2 + 1;
        d->lookup = xcalloc(d->lookup_mask + 1, sizeof(int));
        for (int i = 0; i < d->nservices; i++) {
            const char *name = d->services[i].name;
            d->lookup[name_slot(d, name, strlen(name))] = i + 1;
        }
    }
    return d->nservices - 1;
}

void det_service_owner(struct det *d, int service, const char *owner)
{
    if (service < 0 || service >= d->nservices)
        return;
    free(d->services[service].owner);
    d->services[service].owner = owner && *owner ? xstrdup(owner) : NULL;
}

const char *det_service_name(const struct det *d, int service)
{
    return service >= 0 && service < d->nservices ? d->services[service].name : "";
}

static struct cell *country_cell(struct det *d, struct service *s, int country)
{
    if (!s->by_country)
        s->by_country = xcalloc(COUNTRY_SLOTS, sizeof(*s->by_country));
    struct cell *c = s->by_country[country];
    if (c)
        return c;
    c = s->by_country[country] = cell_new(d, country);
    if (s->ncells == s->capcells) {
        s->capcells = s->capcells ? s->capcells * 2 : 8;
        s->cells = xrealloc(s->cells, s->capcells * sizeof(*s->cells));
    }
    s->cells[s->ncells++] = c;
    return c;
}

void det_explain(struct det *d, int service, int country, FILE *out)
{
    d->explain = out;
    d->explain_service = service;
    d->explain_country = country;
}

/* ------------------------------------------------------------- scoring -- */

/* Signed: a client's repeat may fall in the minute after its vote, and must
 * still cancel it; windows sum these and count from 0. */
static double effective(uint32_t votes, uint32_t first_repeats)
{
    return (double)votes - 2.0 * first_repeats;
}

static float ring_at(const float *ring, const struct cell *c, uint32_t back)
{
    return ring[(c->closed - 1 - back) % RING];
}

struct window {
    double score, observed, expected, minutes, inv_size;
};

#define YOUNG_BACK 4 /* young votes fall at most this many minutes back (0: the open one) */

/* The votes of c still young at this tick (the last maturity_ticks ticks),
 * by how many minutes before the open minute (which starts at minute) they
 * fell, into by_back; returns the young span in minutes. */
static double young_votes(const struct det *d, const struct cell *c, int64_t minute,
                          double *by_back)
{
    int m = d->maturity_ticks;
    if (!m)
        return 0;
    int64_t tick = d->cfg.tick_seconds, k = d->now / tick;
    for (int j = 0; j < m; j++) {
        int64_t b = k - j;
        if (b > c->young_bin || c->young_bin - b >= YOUNG_BINS)
            continue;
        int64_t back = (minute - floor_to((b - 1) * tick, 60)) / 60;
        if (back >= 0 && back < YOUNG_BACK)
            by_back[back] += c->young[b % YOUNG_BINS];
    }
    return (double)(m * tick) / 60.0;
}

/* The expected count of one minute of c: the baseline is only learned at
 * minute closes, so it is worked out then for the next minute (every tick
 * scores it again). */
static double minute_rate(const struct cell *c, int64_t minute)
{
    return c->rate_minute == minute ? c->rate : base_expected(&c->base, minute, 1);
}

/* The rate of the young seconds a window leaves out: this minute's, or at
 * a minute's close (scored as the next minute) the closed one's, where the
 * young seconds are. */
static double young_rate(const struct cell *c, int64_t minute)
{
    return c->rate_minute == minute - 60 ? c->rate : minute_rate(c, minute);
}

/* The best window of a cell at time t, f of the open minute elapsed. Windows
 * that miss a floor do not count. Votes count once they are mature
 * (vote_maturity old), first repeats at once: a brigade's client votes
 * before it repeats, so its young vote looks like a person until the repeat
 * that cancels it arrives. Each window therefore sums the mature votes and
 * all first repeats, against the expectation of its span less the young
 * seconds; it is the same rule at every second of the minute, so the
 * defence does not depend on when a brigade starts. */
static struct window score_cell(const struct det *d, const struct service *s,
                                const struct cell *c, int64_t minute, double f,
                                double floor_clients, double floor_ratio, double needed)
{
    int64_t since = (minute - s->calm_since) / 60; /* closed minutes since the last incident */
    struct window best = {0, 0, 0, 0, 0};
    double yv[YOUNG_BACK] = {0};
    double young_minutes = young_votes(d, c, minute, yv);
    double rate = f > 0 ? minute_rate(c, minute) : young_rate(c, minute);
    double e = (f > 0 ? effective(c->votes, c->first_repeats) : 0) - yv[0];
    double mu = f > 0 ? rate * f : 0;
    uint32_t have = 0, young_back = 1;
    for (size_t w = 0; w < NWINDOWS; w++) {
        uint32_t n = (uint32_t)WINDOWS[w];
        if (n > c->known || n > since)
            break;
        for (; have < n; have++) {
            e += ring_at(c->ring_e, c, have);
            mu += ring_at(c->ring_mu, c, have);
        }
        for (; young_back <= have && young_back < YOUNG_BACK; young_back++)
            e -= yv[young_back]; /* the young votes of the closed minutes now in */
        double minutes = n + f;
        double mature = minutes - young_minutes; /* the span whose votes count */
        if (mature <= 0)
            continue;
        double mm = mu - rate * young_minutes;
        double m = mm > MIN_RATE * mature ? mm : MIN_RATE * mature;
        if (e < floor_clients || e < floor_ratio * m)
            continue;
        double inv = base_inv_size(&c->base, minute, mature);
        if (tail_bound(e, m, inv) < (best.score > needed ? best.score : needed))
            continue; /* cannot matter */
        double score = tail_score(e, m, inv);
        if (score > best.score)
            best = (struct window){score, e, m, minutes, inv};
    }
    return best;
}

/* The first minute of the window that rose well above expectation, as the
 * onset; the open minute if none did. */
static int64_t onset(const struct det *d, const struct cell *c, const struct window *w)
{
    uint32_t n = (uint32_t)w->minutes;
    if (n > c->closed)
        n = c->closed;
    double inv = base_inv_size(&c->base, d->minute, 1);
    for (uint32_t back = n; back-- > 0;) {
        double e = ring_at(c->ring_e, c, back), mu = ring_at(c->ring_mu, c, back);
        if (e > mu + ONSET_SIGMAS * sqrt(mu * (1 + mu * inv)) + 1)
            return d->minute - 60 * (int64_t)(back + 1);
    }
    return d->minute;
}

/* ----------------------------------------------------------- incidents -- */

static void emit(struct det *d, struct incident *inc, enum det_event ev)
{
    inc->pub.updated = d->now;
    if (d->on_event)
        d->on_event(&inc->pub, ev, d->ctx);
}

static double country_inv(const struct service *s, int country, int64_t minute)
{
    struct cell *c = s->by_country ? s->by_country[country] : NULL;
    return c ? base_inv_size(&c->base, minute, ACCUM_MINUTES) : 0.5;
}

struct ranked {
    int country;
    double extra;
};

static int by_extra_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    return x->extra > y->extra ? -1 : x->extra < y->extra ? 1 : x->country - y->country;
}

/* Countries whose own counts since the start are far above expectation,
 * and the problem shares among their votes. with_open_minute adds the votes
 * of the minute not closed yet (at the opening tick). */
static void assess_countries(struct det *d, struct service *s, struct incident *inc,
                             int with_open_minute)
{
    const struct accum *acc = inc->acc;
    struct det_incident *p = &inc->pub;
    struct ranked ranked[COUNTRY_SLOTS];
    int n = 0;
    for (int i = 0; i < s->ncells; i++) {
        const struct cell *c = s->cells[i];
        double o = acc->obs[c->country] + (with_open_minute ? c->votes : 0);
        double x = acc->exp[c->country] > MIN_RATE ? acc->exp[c->country] : MIN_RATE;
        if (o - x >= COUNTRY_MIN_EXTRA && o >= COUNTRY_MIN_RATIO * x &&
            tail_score(o, x, country_inv(s, c->country, d->minute)) >= COUNTRY_MIN_SCORE)
            ranked[n++] = (struct ranked){c->country, o - x};
    }
    qsort(ranked, (size_t)n, sizeof(*ranked), by_extra_desc);
    p->ncountries = n;
    for (int i = 0; i < n; i++)
        p->countries[i] = ranked[i].country;
    double votes[REP_PROBLEM_COUNT] = {0}, total = 0;
    for (int i = 0; i < s->ncells; i++) {
        const struct cell *c = s->cells[i];
        int listed = !n;
        for (int j = 0; j < n && !listed; j++)
            listed = p->countries[j] == c->country;
        if (!listed)
            continue;
        for (int k = 0; k < REP_PROBLEM_COUNT; k++) {
            double v = acc->problems[c->country][k] + (with_open_minute ? c->problems[k] : 0);
            votes[k] += v;
            total += v;
        }
    }
    for (int k = 0; k < REP_PROBLEM_COUNT; k++)
        p->problems[k] = total > 0 ? votes[k] / total : 0;
}

static void open_incident(struct det *d, int sid, const struct cell *trigger,
                          const struct window *w)
{
    struct service *s = &d->services[sid];
    struct incident *inc = xcalloc(1, sizeof(*inc));
    inc->acc = xcalloc(1, sizeof(*inc->acc));
    struct det_incident *p = &inc->pub;
    p->service = sid;
    p->start = onset(d, trigger, w);
    p->detected_at = d->now;
    p->end = -1;
    p->score = w->score;
    p->observed = w->observed;
    p->expected = w->expected;
    p->window_minutes = w->minutes;
    /* The closed minutes since the onset, from the rings. */
    uint32_t back = (uint32_t)((d->minute - p->start) / 60);
    for (int i = 0; i < s->ncells; i++) {
        struct cell *c = s->cells[i];
        for (uint32_t b = 0; b < back && b < c->closed; b++) {
            float e = ring_at(c->ring_e, c, b);
            inc->acc->obs[c->country] += e > 0 ? e : 0;
            inc->acc->exp[c->country] += ring_at(c->ring_mu, c, b);
        }
    }
    assess_countries(d, s, inc, 1);
    if (d->nincs == d->capincs) {
        d->capincs = d->capincs ? d->capincs * 2 : 16;
        d->incs = xrealloc(d->incs, d->capincs * sizeof(*d->incs));
    }
    d->incs[d->nincs++] = inc;
    s->open = inc;
    emit(d, inc, DET_OPENED);
}

static int jaccard_at_least(const struct det_incident *a, const struct det_incident *b,
                            double threshold)
{
    if (!a->ncountries || !b->ncountries)
        return 0;
    int common = 0;
    for (int i = 0; i < a->ncountries; i++)
        for (int j = 0; j < b->ncountries; j++)
            common += a->countries[i] == b->countries[j];
    return common >= threshold * (a->ncountries + b->ncountries - common);
}

static const struct det_incident *leader(const struct det_incident *p)
{
    return p->group ? p->group : p;
}

/* Put every incident of loser's group (loser included) into winner's. */
static void merge_groups(struct det *d, const struct det_incident *winner,
                         const struct det_incident *loser, const struct incident *quiet)
{
    for (size_t i = 0; i < d->nincs; i++) {
        struct det_incident *p = &d->incs[i]->pub;
        if (p == winner && !p->group) {
            p->group = winner;
        } else if (p == loser || p->group == loser) {
            p->group = winner;
        } else {
            continue;
        }
        if (d->incs[i] != quiet)
            emit(d, d->incs[i], DET_UPDATED);
    }
}

/* Group incidents that started within group_minutes of each other and
 * share countries; groups that meet merge, named after their first
 * incident. Re-judged while the incident is young, as countries come in. */
static void try_group(struct det *d, struct incident *inc)
{
    struct det_incident *a = &inc->pub;
    if (d->now - a->detected_at > GROUP_AGE_MINUTES * 60)
        return;
    for (size_t i = 0; i < d->nincs; i++) {
        struct det_incident *b = &d->incs[i]->pub;
        if (b == a || b->service == a->service || leader(a) == leader(b) ||
            llabs(b->start - a->start) > d->cfg.group_minutes * 60 ||
            !jaccard_at_least(a, b, d->cfg.group_jaccard))
            continue;
        const struct det_incident *la = leader(a), *lb = leader(b);
        int a_first = la->detected_at < lb->detected_at ||
                      (la->detected_at == lb->detected_at && la->service < lb->service);
        merge_groups(d, a_first ? la : lb, a_first ? lb : la, inc);
    }
}

static int calm_cell(const struct cell *c, int64_t minute)
{
    double e = 0, mu = 0;
    for (uint32_t b = 0; b < CALM_WINDOW && b < c->closed; b++) {
        e += ring_at(c->ring_e, c, b);
        mu += ring_at(c->ring_mu, c, b);
    }
    return e <= CALM_RATIO * mu + 3 ||
           tail_score(e, mu, base_inv_size(&c->base, minute, CALM_WINDOW)) < CALM_SCORE;
}

/* Once a minute while open: countries, problems, calm, group. */
static void update_incident(struct det *d, struct service *s, int64_t closed_minute)
{
    struct incident *inc = s->open;
    struct det_incident *p = &inc->pub;
    assess_countries(d, s, inc, 0);
    int calm = calm_cell(s->total, closed_minute);
    for (int i = 0; calm && i < p->ncountries; i++)
        calm = calm_cell(s->by_country[p->countries[i]], closed_minute);
    inc->acc->calm = calm ? inc->acc->calm + 1 : 0;
    try_group(d, inc);
    if (inc->acc->calm >= d->cfg.calm_minutes) {
        int64_t end = closed_minute + 60 - (int64_t)d->cfg.calm_minutes * 60;
        p->end = end > p->start ? end : p->start + 60;
        s->calm_since = closed_minute + 60;
        free(inc->acc);
        inc->acc = NULL;
        s->open = NULL;
        emit(d, inc, DET_RESOLVED);
        return;
    }
    emit(d, inc, DET_UPDATED);
}

/* How much a fresh incident elsewhere lowers this service's bar. */
static double cascade_bonus(const struct det *d, const struct service *s)
{
    double bonus = 0;
    for (size_t i = d->nincs; i-- > 0;) {
        const struct det_incident *p = &d->incs[i]->pub;
        if (d->now - p->detected_at > (int64_t)d->cfg.group_minutes * 60)
            break; /* incidents are in the order they opened */
        const char *owner = d->services[p->service].owner;
        int sibling = owner && s->owner && strcmp(owner, s->owner) == 0;
        double b = sibling ? d->cfg.sibling_bonus : d->cfg.cascade_bonus;
        if (b > bonus)
            bonus = b;
    }
    return bonus;
}

/* One line of --explain: the cell's counts at this tick and its best window. */
static void explain(const struct det *d, const struct cell *c, double f, const struct window *w)
{
    char when[32];
    time_format(d->now, when, sizeof(when));
    double mu = base_expected(&c->base, d->minute, 1);
    fprintf(d->explain, "%s minute_votes=%u expected_per_min=%.3f best_score=%.2f "
                        "observed=%.1f expected=%.2f window_minutes=%.2f inv_size=%.3f\n",
            when, f > 0 ? c->votes : c->last_votes, mu, w->score, w->observed, w->expected,
            w->minutes, w->inv_size);
}

/* Score a service at a tick; open an incident if warranted. */
static void evaluate(struct det *d, int sid, double f, int all_countries)
{
    struct service *s = &d->services[sid];
    if (s->open) {
        struct window w = score_cell(d, s, s->total, d->minute, f, d->cfg.min_clients,
                                     d->cfg.min_ratio, s->open->pub.score);
        if (w.score > s->open->pub.score) {
            s->open->pub.score = w.score;
            s->open->pub.observed = w.observed;
            s->open->pub.expected = w.expected;
            s->open->pub.window_minutes = w.minutes;
        }
        return;
    }
    /* While another service's incident is minutes old, a common cause (a
     * cloud, a CDN, and above all a shared owner) makes this one's more
     * likely too. */
    double bonus = cascade_bonus(d, s);
    double open_score = d->cfg.open_score - bonus;
    double min_clients = bonus > 0 ? d->cfg.cascade_min_clients : d->cfg.min_clients;
    if (base_hours(&s->total->base) >= TOTAL_WARM_HOURS) {
        struct window w = score_cell(d, s, s->total, d->minute, f, min_clients, d->cfg.min_ratio,
                                     d->explain ? 0 : open_score);
        if (d->explain && sid == d->explain_service && d->explain_country < 0)
            explain(d, s->total, f, &w);
        if (w.score >= open_score) {
            open_incident(d, sid, s->total, &w);
            return;
        }
    }
    for (int i = 0; i < s->ncells; i++) {
        struct cell *c = s->cells[i];
        if ((!all_countries && !c->dirty) || base_hours(&c->base) < COUNTRY_WARM_HOURS)
            continue;
        int explained = d->explain && sid == d->explain_service && c->country == d->explain_country;
        struct window w = score_cell(d, s, c, d->minute, f, min_clients, d->cfg.min_ratio,
                                     explained ? 0 : open_score + d->cfg.country_extra);
        if (explained)
            explain(d, c, f, &w);
        if (w.score >= open_score + d->cfg.country_extra) {
            open_incident(d, sid, c, &w);
            return;
        }
    }
}

/* ------------------------------------------------------------- time ----- */

/* Close a cell's minute: into the ring, then into the baseline, unless it
 * belongs to an incident or looks like the start of one. */
static void close_cell(const struct det *d, const struct service *s, struct cell *c,
                       int64_t minute, int in_incident)
{
    if (c->closed == 0 && c->reports == 0)
        return; /* a series starts at its first report, whenever it was registered */
    double e = effective(c->votes, c->first_repeats);
    double mu = minute_rate(c, minute);
    c->known = base_hours(&c->base) ? c->known + 1 : 0;
    c->ring_e[c->closed % RING] = (float)e;
    c->ring_mu[c->closed % RING] = (float)mu;
    c->closed++;
    int suspect = !in_incident && c->known &&
                  score_cell(d, s, c, minute + 60, 0, SUSPECT_CLIENTS, SUSPECT_RATIO,
                             SUSPECT_SCORE).score >= SUSPECT_SCORE;
    c->suspect = suspect ? c->suspect + 1 : 0;
    base_observe(&c->base, minute, e > 0 ? e : 0, 1,
                 in_incident || (suspect && c->suspect <= SUSPECT_MAX_MINUTES));
    c->rate = base_expected(&c->base, minute + 60, 1);
    c->rate_minute = minute + 60;
    c->last_votes = c->votes;
    c->reports = c->votes = c->first_repeats = 0;
    memset(c->problems, 0, sizeof(c->problems));
    c->dirty = 0;
}

static void close_minute(struct det *d)
{
    int64_t minute = d->minute;
    for (int sid = 0; sid < d->nservices; sid++) {
        struct service *s = &d->services[sid];
        struct incident *inc = s->open;
        int accumulate = inc && minute < inc->pub.start + ACCUM_MINUTES * 60;
        for (int i = 0; i < s->ncells; i++) {
            struct cell *c = s->cells[i];
            if (accumulate) {
                inc->acc->obs[c->country] += (float)c->votes;
                inc->acc->exp[c->country] += (float)base_expected(&c->base, minute, 1);
                for (int k = 0; k < REP_PROBLEM_COUNT; k++)
                    inc->acc->problems[c->country][k] += c->problems[k];
            }
            close_cell(d, s, c, minute, inc != NULL);
        }
        if (inc) {
            inc->pub.clients += s->total->votes;
            if (s->total->reports > inc->pub.peak_per_min)
                inc->pub.peak_per_min = s->total->reports;
        }
        close_cell(d, s, s->total, minute, inc != NULL);
        s->dirty = 0;
    }
    d->ndirty = 0;
    d->minute += 60;
    for (int sid = 0; sid < d->nservices; sid++) {
        if (d->services[sid].open)
            update_incident(d, &d->services[sid], minute);
        evaluate(d, sid, 0, 1);
    }
}

static void sub_tick(struct det *d, double f)
{
    for (int i = 0; i < d->ndirty; i++) {
        int sid = d->dirty_services[i];
        evaluate(d, sid, f, 0);
        struct service *s = &d->services[sid];
        s->dirty = 0;
        for (int k = 0; k < s->ncells; k++)
            s->cells[k]->dirty = 0;
    }
    d->ndirty = 0;
}

void det_advance(struct det *d, int64_t now)
{
    if (!d->started) {
        d->started = 1;
        d->now = now;
        d->minute = floor_to(now, 60);
        d->next_tick = d->minute + d->cfg.tick_seconds;
        return;
    }
    if (now <= d->now)
        return;
    if (now - d->minute > (int64_t)MAX_GAP_MINUTES * 60) {
        d->now = d->minute + 60;
        close_minute(d);
        d->minute = floor_to(now, 60);
        d->next_tick = d->minute + d->cfg.tick_seconds;
    }
    while (d->next_tick <= now) {
        d->now = d->next_tick;
        if (d->next_tick == d->minute + 60)
            close_minute(d);
        else
            sub_tick(d, (double)(d->next_tick - d->minute) / 60.0);
        d->next_tick += d->cfg.tick_seconds;
    }
    d->now = now;
}

int64_t det_now(const struct det *d)
{
    return d->now;
}

/* bin: the index of the tick that will first score this report. */
static void count(struct cell *c, int64_t bin, int problem, enum det_vote vote)
{
    c->reports++;
    if (vote == DET_VOTE) {
        if (bin != c->young_bin) { /* age lazily: clear the bins skipped over */
            int64_t gap = bin - c->young_bin;
            if (gap < 0 || gap >= YOUNG_BINS)
                memset(c->young, 0, sizeof(c->young));
            else
                for (int64_t b = c->young_bin + 1; b <= bin; b++)
                    c->young[b % YOUNG_BINS] = 0;
            c->young_bin = bin;
        }
        if (c->young[bin % YOUNG_BINS] < UINT16_MAX)
            c->young[bin % YOUNG_BINS]++;
        c->votes++;
        c->problems[problem]++;
    } else if (vote == DET_FIRST_REPEAT) {
        c->first_repeats++;
    }
    c->dirty = 1;
}

void det_feed(struct det *d, int service, int country, int problem, enum det_vote vote,
              int64_t ts)
{
    if (service < 0 || service >= d->nservices || problem < 0 || problem >= REP_PROBLEM_COUNT)
        return;
    det_advance(d, ts);
    struct service *s = &d->services[service];
    int64_t bin = d->next_tick / d->cfg.tick_seconds;
    count(s->total, bin, problem, vote);
    if (country >= 0 && country < COUNTRY_SLOTS)
        count(country_cell(d, s, country), bin, problem, vote);
    if (!s->dirty) {
        s->dirty = 1;
        d->dirty_services[d->ndirty++] = service;
    }
}

size_t det_incidents(const struct det *d, const struct det_incident *const **out)
{
    *out = (const struct det_incident *const *)d->incs;
    return d->nincs;
}

enum det_status det_service_status(const struct det *d, int service,
                                   const struct det_incident **open)
{
    *open = NULL;
    if (service < 0 || service >= d->nservices)
        return DET_OK;
    const struct service *s = &d->services[service];
    if (s->open) {
        *open = &s->open->pub;
        return DET_OUTAGE;
    }
    if (s->total->suspect || d->now - s->calm_since < RECENT_MINUTES * 60)
        return DET_DEGRADED;
    return DET_OK;
}

int det_baseline(const struct det *d, int service, int country, struct base *out)
{
    base_init(out);
    if (service < 0 || service >= d->nservices || country < -1 || country >= COUNTRY_SLOTS)
        return 0;
    const struct service *s = &d->services[service];
    const struct cell *c = country < 0 ? s->total
                           : s->by_country ? s->by_country[country]
                                           : NULL;
    if (!c)
        return 0;
    *out = c->base;
    return 1;
}

int det_services(const struct det *d)
{
    return d->nservices;
}

size_t det_cells(const struct det *d)
{
    return d->ncells;
}

/* ---------------------------------------------------------------- JSON -- */

void det_incident_id(const struct det *d, const struct det_incident *inc, char *out, size_t n)
{
    char iso[32], compact[32], *w = compact; /* 2024-04-03T16:30:30Z -> 20240403T163030Z */
    time_format(inc->detected_at, iso, sizeof(iso));
    for (const char *r = iso; *r; r++)
        if (*r != '-' && *r != ':')
            *w++ = *r;
    *w = '\0';
    snprintf(out, n, "%s-%s", det_service_name(d, inc->service), compact);
}

static void json_time(struct buf *out, const char *key, int64_t t)
{
    buf_json_key(out, key);
    if (t < 0) {
        buf_puts(out, "null");
        return;
    }
    char iso[32];
    time_format(t, iso, sizeof(iso));
    buf_json_cstr(out, iso);
}

void det_incident_json(const struct det *d, const struct det_incident *inc, struct buf *out)
{
    char id[REP_SERVICE_MAX + 40];
    buf_putc(out, '{');
    det_incident_id(d, inc, id, sizeof(id));
    buf_json_key(out, "id");
    buf_json_cstr(out, id);
    buf_putc(out, ',');
    buf_json_key(out, "service");
    buf_json_cstr(out, det_service_name(d, inc->service));
    buf_putc(out, ',');
    json_time(out, "start", inc->start);
    buf_putc(out, ',');
    json_time(out, "detected_at", inc->detected_at);
    buf_putc(out, ',');
    json_time(out, "end", inc->end);
    buf_puts(out, ",\"countries\":[");
    for (int i = 0; i < inc->ncountries; i++) {
        char code[3];
        buf_printf(out, "%s\"%s\"", i ? "," : "", country_code(inc->countries[i], code));
    }
    buf_puts(out, "],\"problems\":{");
    int order[REP_PROBLEM_COUNT], n = 0;
    for (int k = 0; k < REP_PROBLEM_COUNT; k++)
        if (inc->problems[k] > 0)
            order[n++] = k;
    for (int i = 1; i < n; i++) /* insertion sort, largest share first */
        for (int j = i; j > 0 && inc->problems[order[j]] > inc->problems[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        buf_printf(out, "%s\"%s\":%.3f", i ? "," : "", rep_problem_name(order[i]),
                   inc->problems[order[i]]);
    buf_puts(out, "},");
    buf_json_key(out, "group");
    if (inc->group) {
        det_incident_id(d, inc->group, id, sizeof(id));
        buf_json_cstr(out, id);
    } else {
        buf_puts(out, "null");
    }
    buf_printf(out, ",\"peak_per_min\":%u,\"score\":%.2f,\"expected\":%.2f,\"observed\":%.1f,"
                    "\"window_minutes\":%.2f,\"clients\":%llu}",
               inc->peak_per_min, inc->score, inc->expected, inc->observed, inc->window_minutes,
               (unsigned long long)inc->clients);
}
