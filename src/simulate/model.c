/* model.c - the report-traffic model (see model.h).
 *
 * Rates are built once, in sim_model_new(): each global service's share is
 * spread over the countries by country share x affinity (with a little
 * per-cell noise), then raised to the power 1.4 and renormalised, because
 * reports concentrate on the big cells more than usage does; regional
 * services have a fixed rate in their one country. The diurnal curves are
 * sampled per minute (expected rates for the truth) and per 5-minute block
 * (the baseline counts); the slow level is two sines per service and one per
 * cell, at hourly resolution. Incident excess and the truth rules follow the
 * README of ../shared/scenarios word for word; blips are placed by rejection
 * sampling, like the Python generator does. */
#include "simulate/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/timeutil.h"

#define TWO_PI 6.283185307179586
#define BASE_TOTAL_PER_MIN 140.0 /* global services, all countries, scale 1 */
#define CONCENTRATION 1.4
#define LEVEL_AMPLITUDE 0.10
#define INCIDENT_GAMMA_K 25.0

/* ------------------------------------------------------------------------ */
/* Tables                                                                    */

const struct sim_country sim_countries[] = {
    {"IN", 0.150, 330},  {"BR", 0.100, -180}, {"US", 0.130, -300}, {"GB", 0.065, 0},
    {"ID", 0.060, 420},  {"NG", 0.025, 60},   {"MX", 0.050, -360}, {"DE", 0.050, 60},
    {"FR", 0.040, 60},   {"ES", 0.035, 60},   {"IT", 0.040, 60},   {"PK", 0.025, 300},
    {"BD", 0.015, 360},  {"ZA", 0.020, 120},  {"TR", 0.035, 180},  {"PH", 0.030, 480},
    {"EG", 0.020, 120},  {"AR", 0.025, -180}, {"CA", 0.025, -300}, {"JP", 0.040, 540},
};
const int sim_country_count = sizeof(sim_countries) / sizeof(sim_countries[0]);

#define MIX(p) [REP_##p]

const struct sim_service sim_services[] = {
    {"whatsapp", 0.20, NULL, 0, SIM_EVENING,
     {MIX(MESSAGES) = .30, MIX(CONNECTION) = .20, MIX(LOGIN) = .15, MIX(CALLS) = .12,
      MIX(APP) = .13, MIX(WEBSITE) = .03, MIX(OTHER) = .07},
     {{"US", .25}, {"CA", .3}, {"JP", .05}, {"BR", 1.6}, {"IN", 1.5}, {"ID", 1.3},
      {"MX", 1.3}, {"NG", 1.4}, {"ZA", 1.3}, {"AR", 1.4}, {"ES", 1.3}, {"IT", 1.3},
      {"DE", 1.1}, {"PK", 1.3}, {"TR", 1.2}, {"EG", 1.2}, {"PH", .5}, {"FR", .8}}},
    {"instagram", 0.15, NULL, 0, SIM_EVENING,
     {MIX(FEED) = .30, MIX(LOGIN) = .22, MIX(APP) = .25, MIX(MESSAGES) = .08,
      MIX(WEBSITE) = .05, MIX(OTHER) = .10},
     {{"US", 1.2}, {"BR", 1.3}, {"IN", 1.2}, {"TR", 1.4}, {"JP", .6}}},
    {"facebook", 0.11, NULL, 0, SIM_EVENING,
     {MIX(FEED) = .28, MIX(LOGIN) = .25, MIX(WEBSITE) = .20, MIX(APP) = .15, MIX(OTHER) = .12},
     {{"US", 1.2}, {"PH", 2.0}, {"IN", 1.1}, {"BD", 1.4}, {"EG", 1.3}, {"JP", .2}, {"DE", .7}}},
    {"messenger", 0.04, NULL, 0, SIM_EVENING,
     {MIX(MESSAGES) = .45, MIX(LOGIN) = .20, MIX(CALLS) = .10, MIX(APP) = .15, MIX(OTHER) = .10},
     {{"US", 1.4}, {"PH", 2.0}, {"MX", 1.3}, {"CA", 1.3}, {"JP", .1}}},
    {"youtube", 0.11, NULL, 0, SIM_EVENING,
     {MIX(CONNECTION) = .30, MIX(WEBSITE) = .25, MIX(APP) = .25, MIX(LOGIN) = .08,
      MIX(FEED) = .05, MIX(OTHER) = .07},
     {{"US", 1.2}, {"IN", 1.2}, {"JP", 1.2}}},
    {"gmail", 0.05, NULL, 0, SIM_DAYTIME,
     {MIX(LOGIN) = .35, MIX(WEBSITE) = .25, MIX(MESSAGES) = .25, MIX(APP) = .10, MIX(OTHER) = .05},
     {{"US", 1.5}, {"GB", 1.2}, {"CA", 1.3}}},
    {"x", 0.08, NULL, 0, SIM_EVENING,
     {MIX(FEED) = .35, MIX(WEBSITE) = .20, MIX(APP) = .20, MIX(LOGIN) = .15, MIX(OTHER) = .10},
     {{"US", 1.5}, {"JP", 3.0}, {"GB", 1.2}, {"TR", 1.3}, {"IN", .7}, {"NG", 1.2}, {"BD", .3}}},
    {"telegram", 0.04, NULL, 0, SIM_EVENING,
     {MIX(MESSAGES) = .35, MIX(CONNECTION) = .30, MIX(LOGIN) = .15, MIX(APP) = .12,
      MIX(OTHER) = .08},
     {{"IN", 1.3}, {"DE", 1.2}, {"US", .4}, {"JP", .1}, {"EG", 1.3}}},
    {"netflix", 0.06, NULL, 0, SIM_EVENING,
     {MIX(CONNECTION) = .35, MIX(APP) = .25, MIX(LOGIN) = .20, MIX(WEBSITE) = .12,
      MIX(OTHER) = .08},
     {{"US", 1.8}, {"CA", 1.6}, {"GB", 1.3}, {"BR", 1.2}, {"MX", 1.2}, {"IN", .4}, {"NG", .3},
      {"BD", .2}, {"PK", .2}}},
    {"spotify", 0.05, NULL, 0, SIM_EVENING,
     {MIX(APP) = .40, MIX(CONNECTION) = .25, MIX(LOGIN) = .20, MIX(WEBSITE) = .05,
      MIX(OTHER) = .10},
     {{"US", 1.5}, {"GB", 1.4}, {"DE", 1.3}, {"BR", 1.2}, {"MX", 1.3}, {"IN", .5}, {"NG", .2},
      {"BD", .1}, {"PK", .2}, {"EG", .3}}},
    {"discord", 0.05, NULL, 0, SIM_EVENING,
     {MIX(CONNECTION) = .30, MIX(MESSAGES) = .25, MIX(CALLS) = .15, MIX(LOGIN) = .15,
      MIX(APP) = .10, MIX(OTHER) = .05},
     {{"US", 2.0}, {"GB", 1.3}, {"DE", 1.3}, {"BR", 1.1}, {"JP", .8}, {"IN", .4}, {"NG", .2},
      {"BD", .2}, {"PK", .3}, {"EG", .2}}},
    {"jio", 0, "IN", 2.0, SIM_DAYTIME,
     {MIX(CONNECTION) = .55, MIX(CALLS) = .25, MIX(OTHER) = .12, MIX(APP) = .08},
     {{NULL, 0}}},
    /* regional telecoms that only some scenarios use */
    {"airtel", 0, "IN", 1.6, SIM_DAYTIME,
     {MIX(CONNECTION) = .50, MIX(CALLS) = .25, MIX(MESSAGES) = .10, MIX(APP) = .08,
      MIX(OTHER) = .07},
     {{NULL, 0}}},
    {"verizon", 0, "US", 1.5, SIM_DAYTIME,
     {MIX(CONNECTION) = .45, MIX(CALLS) = .25, MIX(MESSAGES) = .15, MIX(APP) = .08,
      MIX(OTHER) = .07},
     {{NULL, 0}}},
};
const int sim_service_count = sizeof(sim_services) / sizeof(sim_services[0]);

/* A scenario that names no services gets the shared generator's twelve. */
static const char *const default_services[] = {
    "whatsapp", "instagram", "facebook", "messenger", "youtube", "gmail",
    "x", "telegram", "netflix", "spotify", "discord", "jio", NULL,
};

/* Relative activity by local hour (interpolated smoothly, normalised). */
static const double profile_anchors[SIM_PROFILE_COUNT][24] = {
    [SIM_EVENING] = {0.55, 0.38, 0.26, 0.19, 0.17, 0.20, 0.32, 0.50, 0.68, 0.80, 0.88, 0.93,
                     0.97, 0.98, 0.97, 0.97, 1.00, 1.05, 1.12, 1.22, 1.30, 1.32, 1.18, 0.88},
    [SIM_DAYTIME] = {0.35, 0.25, 0.18, 0.14, 0.13, 0.18, 0.35, 0.65, 0.95, 1.20, 1.30, 1.32,
                     1.28, 1.25, 1.25, 1.22, 1.15, 1.05, 0.95, 0.88, 0.82, 0.75, 0.62, 0.48},
};

/* Monday .. Sunday, by local date: the weekend is slightly quieter. */
static const double weekday_factor[7] = {1.0, 1.0, 1.0, 1.0, 1.02, 0.95, 0.92};

int sim_country_find(const char *code)
{
    for (int i = 0; i < sim_country_count; i++)
        if (strcmp(sim_countries[i].code, code) == 0)
            return i;
    return -1;
}

int sim_service_find(const char *id)
{
    for (int i = 0; i < sim_service_count; i++)
        if (strcmp(sim_services[i].id, id) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Small pieces                                                              */

static int floor_div(int a, int b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int floor_mod(int a, int b)
{
    return a - floor_div(a, b) * b;
}

static uint64_t mix64(uint64_t h)
{
    h = (h ^ (h >> 31)) * UINT64_C(0xBF58476D1CE4E5B9);
    return h ^ (h >> 29);
}

gsl_rng *sim_rng(uint64_t seed, const char *name)
{
    uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a of the name */
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
    uint64_t s = mix64((seed + UINT64_C(0x9E3779B97F4A7C15)) * UINT64_C(0xD6E8FEB86659FD93) ^ h);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        abort(); /* only on out-of-memory, like xmalloc */
    gsl_rng_set(r, (unsigned long)(s ^ (s >> 32)));
    return r;
}

void sim_diurnal(enum sim_profile profile, int samples_per_day, double *out)
{
    const double *a = profile_anchors[profile];
    double sum = 0;
    for (int i = 0; i < samples_per_day; i++) {
        double x = (i + 0.5) * 24.0 / samples_per_day - 0.5; /* in hours; anchor h at h+0.5 */
        int i1 = (int)floor(x);
        double t = x - i1;
        double p0 = a[floor_mod(i1 - 1, 24)], p1 = a[floor_mod(i1, 24)];
        double p2 = a[floor_mod(i1 + 1, 24)], p3 = a[floor_mod(i1 + 2, 24)];
        double v = 0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t +
                          (-p0 + 3 * p1 - 3 * p2 + p3) * t * t * t);
        out[i] = v > 0.02 ? v : 0.02;
        sum += out[i];
    }
    for (int i = 0; i < samples_per_day; i++)
        out[i] *= samples_per_day / sum;
}

double sim_shape_value(const struct sim_shape *s, double t)
{
    if (t < 0 || t >= s->duration_min)
        return 0.0;
    if (s->kind == SIM_SHAPE_OUTAGE) {
        double ramp = s->ramp_min, plateau = s->plateau_min;
        if (t < ramp)
            return (t + 0.5) / ramp;
        if (t < ramp + plateau)
            return 1.0 - 0.15 * (t - ramp) / (plateau > 1 ? plateau : 1);
        double tail = s->duration_min - ramp - plateau;
        double tau = (tail > 1 ? tail : 1) / log(0.85 / 0.004);
        return 0.85 * exp(-(t - ramp - plateau) / tau);
    }
    for (int i = 0; i + 1 < s->n_points; i++) {
        const struct sim_point *a = &s->points[i], *b = &s->points[i + 1];
        if (a->minute <= t && t < b->minute)
            return a->value + (b->value - a->value) * (t - a->minute) / (b->minute - a->minute);
    }
    return 0.0;
}

/* ------------------------------------------------------------------------ */
/* Building the model                                                        */

static double affinity_of(const struct sim_service *s, const char *country)
{
    for (const struct sim_affinity *a = s->affinity; a->country; a++)
        if (strcmp(a->country, country) == 0)
            return a->factor;
    return 1.0;
}

static void add_cell(struct sim_model *m, int service, int country, double base)
{
    struct sim_cell *c = &m->cells[m->n_cells];
    c->service = service;
    c->country = country;
    c->base_per_min = base;
    m->cell_of[service * sim_country_count + country] = m->n_cells++;
}

/* Base rates: regional cells first where the scenario lists them, then the
 * global cells spread by shares and affinities (see the top comment). */
static void build_cells(struct sim_model *m)
{
    m->cells = xcalloc((size_t)m->n_services * (size_t)sim_country_count, sizeof(*m->cells));
    m->cell_of = xmalloc((size_t)sim_service_count * (size_t)sim_country_count * sizeof(int));
    for (int i = 0; i < sim_service_count * sim_country_count; i++)
        m->cell_of[i] = -1;
    double country_total = 0, share_total = 0;
    for (int c = 0; c < sim_country_count; c++)
        country_total += sim_countries[c].share;
    for (int i = 0; i < m->n_services; i++)
        share_total += sim_services[m->services[i]].share;

    int n_global = 0;
    double *weight = xmalloc((size_t)m->n_services * (size_t)sim_country_count * sizeof(double));
    gsl_rng *r = sim_rng(m->seed, "affinity");
    for (int i = 0; i < m->n_services; i++) {
        const struct sim_service *s = &sim_services[m->services[i]];
        if (s->home) {
            add_cell(m, m->services[i], sim_country_find(s->home), s->home_rate * m->scale);
            continue;
        }
        for (int c = 0; c < sim_country_count; c++) {
            double aff = affinity_of(s, sim_countries[c].code) *
                         exp(gsl_ran_gaussian(r, 0.2) - 0.02);
            weight[n_global++] = s->share / share_total * sim_countries[c].share /
                                 country_total * aff;
        }
    }
    gsl_rng_free(r);
    double wsum = 0, csum = 0;
    for (int i = 0; i < n_global; i++) {
        wsum += weight[i];
        csum += pow(weight[i], CONCENTRATION);
    }
    int g = 0;
    for (int i = 0; i < m->n_services; i++) {
        if (sim_services[m->services[i]].home)
            continue;
        for (int c = 0; c < sim_country_count; c++, g++)
            add_cell(m, m->services[i], c,
                     BASE_TOTAL_PER_MIN * m->scale * wsum * pow(weight[g], CONCENTRATION) / csum);
    }
    free(weight);
}

/* Slow level: per service two sines (periods of 2.5-6 days and 1-2 days),
 * per cell one more at half the amplitude; +-10% overall. */
static void build_levels(struct sim_model *m)
{
    gsl_rng *r = sim_rng(m->seed, "level");
    double *service_level = xmalloc((size_t)m->n_services * (size_t)m->n_hours * sizeof(double));
    for (int i = 0; i < m->n_services; i++) {
        double p1 = gsl_ran_flat(r, 60, 140), p2 = gsl_ran_flat(r, 26, 50);
        double f1 = gsl_ran_flat(r, 0, TWO_PI), f2 = gsl_ran_flat(r, 0, TWO_PI);
        for (int h = 0; h < m->n_hours; h++)
            service_level[i * m->n_hours + h] =
                exp(LEVEL_AMPLITUDE * (0.65 * sin(TWO_PI * h / p1 + f1) +
                                       0.45 * sin(TWO_PI * h / p2 + f2)));
    }
    for (int ci = 0; ci < m->n_cells; ci++) {
        struct sim_cell *c = &m->cells[ci];
        int si = 0;
        while (m->services[si] != c->service)
            si++;
        double p3 = gsl_ran_flat(r, 40, 120), f3 = gsl_ran_flat(r, 0, TWO_PI);
        c->level = xmalloc((size_t)m->n_hours * sizeof(double));
        for (int h = 0; h < m->n_hours; h++)
            c->level[h] = service_level[si * m->n_hours + h] *
                          exp(0.5 * LEVEL_AMPLITUDE * sin(TWO_PI * h / p3 + f3));
    }
    free(service_level);
    gsl_rng_free(r);
}

/* Client pools: one per country, large enough that a device rarely repeats. */
static void build_pools(struct sim_model *m)
{
    gsl_rng *r = sim_rng(m->seed, "salt");
    m->pool = xmalloc((size_t)sim_country_count * sizeof(*m->pool));
    m->salt = xmalloc((size_t)sim_country_count * sizeof(*m->salt));
    for (int c = 0; c < sim_country_count; c++) {
        double scale = m->scale > 0.01 ? m->scale : 0.01;
        m->pool[c] = (uint32_t)(2e7 * sim_countries[c].share * scale) + 10000;
        m->salt[c] = ((uint64_t)gsl_rng_get(r) << 30) ^ gsl_rng_get(r);
    }
    gsl_rng_free(r);
}

/* Everything sim_excess and the trace writer rely on, checked once. */
static int check_scenario(const struct sim_model *m, char *err, size_t errsz)
{
    const struct sim_scenario *sc = m->scenario;
    for (int i = 0; i < sc->n_incidents; i++) {
        const struct sim_incident *inc = &sc->incidents[i];
        int minute = sim_minute_of(m, inc->start);
        if (sim_service_find(inc->service) < 0)
            return err_set(err, errsz, "incident %d: unknown service \"%s\"", i, inc->service), -1;
        if (minute < 0 || minute >= m->n_min)
            return err_set(err, errsz, "incident %d: start %s is not in the trace window", i,
                           inc->start), -1;
        const char *unknown = NULL;
        for (int k = 0; k < SIM_MAX_LIST; k++) {
            if (inc->totals[k].country && sim_country_find(inc->totals[k].country) < 0)
                unknown = inc->totals[k].country;
            if (inc->countries[k] && sim_country_find(inc->countries[k]) < 0)
                unknown = inc->countries[k];
        }
        if (unknown)
            return err_set(err, errsz, "incident %d: unknown country \"%s\"", i, unknown), -1;
    }
    for (int i = 0; i < sc->n_brigades; i++) {
        const struct sim_brigade *b = &sc->brigades[i];
        int s = sim_service_find(b->service), c = sim_country_find(b->country);
        int m0 = sim_minute_of(m, b->start), m1 = sim_minute_of(m, b->end);
        if (s < 0 || c < 0 || sim_cell(m, s, c) < 0)
            return err_set(err, errsz, "brigade %d: %s in %s is not in the scenario", i,
                           b->service, b->country), -1;
        if (m0 < 0 || m1 <= m0 || m1 > m->n_min)
            return err_set(err, errsz, "brigade %d: %s..%s is not a window inside the trace", i,
                           b->start, b->end), -1;
    }
    return 0;
}

struct sim_model *sim_model_new(const struct sim_scenario *sc, double scale, uint64_t seed,
                                char *err, size_t errsz)
{
    struct sim_model *m = xcalloc(1, sizeof(*m));
    m->scenario = sc;
    m->scale = scale;
    m->seed = seed;
    m->gamma_k = sc->gamma_k > 0 ? sc->gamma_k : SIM_DEFAULT_GAMMA_K;
    if (time_parse_iso(sc->start, strlen(sc->start), &m->start) < 0 ||
        time_parse_iso(sc->end, strlen(sc->end), &m->end) < 0 || m->end <= m->start ||
        m->start % 86400 != 0 || (m->end - m->start) % (60 * SIM_BLOCK_MIN) != 0) {
        err_set(err, errsz, "scenario %s: the window %s..%s must start at 00:00Z and last "
                "whole %d-minute blocks", sc->name, sc->start, sc->end, SIM_BLOCK_MIN);
        goto fail;
    }
    m->n_min = (int)((m->end - m->start) / 60);
    m->n_blocks = m->n_min / SIM_BLOCK_MIN;
    m->n_hours = m->n_min / 60 + 2;
    m->first_weekday = (int)((m->start / 86400 + 3) % 7); /* 1970-01-01 was a Thursday */

    const char *const *names = sc->services[0] ? sc->services : default_services;
    for (int i = 0; i < SIM_MAX_SCENARIO_SERVICES && names[i]; i++) {
        int s = sim_service_find(names[i]);
        if (s < 0) {
            err_set(err, errsz, "scenario %s: unknown service \"%s\"", sc->name, names[i]);
            goto fail;
        }
        m->services[m->n_services++] = s;
    }
    build_cells(m);
    build_levels(m);
    build_pools(m);
    for (int p = 0; p < SIM_PROFILE_COUNT; p++) {
        sim_diurnal(p, 1440, m->diurnal_min[p]);
        sim_diurnal(p, 1440 / SIM_BLOCK_MIN, m->diurnal_block[p]);
    }
    if (check_scenario(m, err, errsz) < 0)
        goto fail;
    return m;
fail:
    sim_model_free(m);
    return NULL;
}

void sim_model_free(struct sim_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_cells; i++)
        free(m->cells[i].level);
    free(m->cells);
    free(m->cell_of);
    free(m->pool);
    free(m->salt);
    free(m);
}

/* ------------------------------------------------------------------------ */
/* Rates                                                                     */

int sim_cell(const struct sim_model *m, int service, int country)
{
    if (service < 0 || country < 0)
        return -1;
    return m->cell_of[service * sim_country_count + country];
}

int sim_minute_of(const struct sim_model *m, const char *iso)
{
    int64_t t;
    if (time_parse_iso(iso, strlen(iso), &t) < 0)
        return INT32_MIN;
    return (int)((t - m->start) / 60);
}

static double level_at(const struct sim_model *m, const struct sim_cell *c, int minute)
{
    int h = minute > 0 ? minute / 60 : 0;
    return c->level[h < m->n_hours ? h : m->n_hours - 1];
}

double sim_rate_per_min(const struct sim_model *m, int cell, int minute)
{
    const struct sim_cell *c = &m->cells[cell];
    int local = minute + sim_countries[c->country].utc_offset_min;
    int weekday = floor_mod(m->first_weekday + floor_div(local, 1440), 7);
    enum sim_profile p = sim_services[c->service].profile;
    return c->base_per_min * m->diurnal_min[p][floor_mod(local, 1440)] *
           weekday_factor[weekday] * level_at(m, c, minute);
}

double sim_rate_per_block(const struct sim_model *m, int cell, int block)
{
    const int per_day = 1440 / SIM_BLOCK_MIN;
    const struct sim_cell *c = &m->cells[cell];
    int local = block + floor_div(sim_countries[c->country].utc_offset_min, SIM_BLOCK_MIN);
    int weekday = floor_mod(m->first_weekday + floor_div(local, per_day), 7);
    enum sim_profile p = sim_services[c->service].profile;
    return c->base_per_min * SIM_BLOCK_MIN * m->diurnal_block[p][floor_mod(local, per_day)] *
           weekday_factor[weekday] * level_at(m, c, block * SIM_BLOCK_MIN);
}

uint64_t sim_client(const struct sim_model *m, int country, uint32_t draw)
{
    return mix64((m->salt[country] + draw) * UINT64_C(0x9E3779B97F4A7C15));
}

/* ------------------------------------------------------------------------ */
/* Excess and truth                                                          */

static void add_row(struct sim_excess *ex, int country, int cell, int first, int n)
{
    struct sim_excess_row *row = &ex->rows[ex->n_rows++];
    row->country = country;
    row->cell = cell;
    row->first_minute = first;
    row->n = n > 0 ? n : 0;
    row->per_min = xcalloc((size_t)row->n + 1, sizeof(double));
}

int sim_excess(const struct sim_model *m, const struct sim_incident *inc,
               struct sim_excess *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    int s = sim_service_find(inc->service);
    int m0 = sim_minute_of(m, inc->start);
    if (s < 0 || m0 < 0 || m0 >= m->n_min)
        return err_set(err, errsz, "%s at %s: unknown service or start outside the trace",
                       inc->service, inc->start), -1;
    int dur = inc->shape.duration_min;
    int n = m0 + dur <= m->n_min ? dur : m->n_min - m0;
    double shape_sum = 0;
    for (int t = 0; t < dur; t++)
        shape_sum += sim_shape_value(&inc->shape, t);
    if (shape_sum <= 0)
        shape_sum = 1;

    if (inc->volume == SIM_ABSOLUTE) {
        for (int k = 0; k < SIM_MAX_LIST && inc->totals[k].country; k++) {
            int c = sim_country_find(inc->totals[k].country), ci = sim_cell(m, s, c);
            if (ci < 0)
                continue;
            add_row(out, c, ci, m0, n);
            double total = inc->totals[k].reports * m->scale;
            for (int t = 0; t < n; t++)
                out->rows[out->n_rows - 1].per_min[t] =
                    total * sim_shape_value(&inc->shape, t) / shape_sum;
        }
        return 0;
    }
    int every = inc->countries[0] == NULL;
    for (int k = 0; k < (every ? sim_country_count : SIM_MAX_LIST); k++) {
        if (!every && !inc->countries[k])
            break;
        int c = every ? k : sim_country_find(inc->countries[k]), ci = sim_cell(m, s, c);
        if (ci < 0 || inc->multiple <= 1)
            continue;
        add_row(out, c, ci, m0, n);
        for (int t = 0; t < n; t++)
            out->rows[out->n_rows - 1].per_min[t] = (inc->multiple - 1) *
                sim_shape_value(&inc->shape, t) * sim_rate_per_min(m, ci, m0 + t);
    }
    return 0;
}

void sim_excess_free(struct sim_excess *ex)
{
    for (int i = 0; i < ex->n_rows; i++)
        free(ex->rows[i].per_min);
    ex->n_rows = 0;
}

double sim_excess_total(const struct sim_excess *ex)
{
    double sum = 0;
    for (int i = 0; i < ex->n_rows; i++)
        for (int t = 0; t < ex->rows[i].n; t++)
            sum += ex->rows[i].per_min[t];
    return sum;
}

int sim_lifts_country(double window_extra, double window_baseline)
{
    return window_extra >= 5.0 && window_baseline + window_extra >= 3.0 * window_baseline;
}

/* The 60-minute window with the most extra reports of one row (the earliest
 * if several tie): its first minute, and its extra reports in *extra. */
static int busiest_hour(const struct sim_excess_row *row, double *extra)
{
    int lo = row->first_minute - 59, n_windows = row->n + 59;
    double *prefix = xcalloc((size_t)row->n + 1, sizeof(double));
    for (int t = 0; t < row->n; t++)
        prefix[t + 1] = prefix[t] + row->per_min[t];
    int best = lo;
    *extra = -1;
    for (int w = 0; w < n_windows; w++) {
        /* window [lo + w, lo + w + 60) covers row minutes [w - 59, w + 1) */
        int a = w - 59 > 0 ? w - 59 : 0, b = w + 1 < row->n ? w + 1 : row->n;
        double e = prefix[b] - prefix[a];
        if (e > *extra + 1e-12) {
            *extra = e;
            best = lo + w;
        }
    }
    free(prefix);
    return best;
}

struct lifted {
    double extra;
    int country;
};

static int by_extra_then_code(const void *pa, const void *pb)
{
    const struct lifted *a = pa, *b = pb;
    if (a->extra != b->extra)
        return a->extra > b->extra ? -1 : 1;
    return strcmp(sim_countries[a->country].code, sim_countries[b->country].code);
}

struct share {
    double value;
    enum rep_problem problem;
};

static int by_share_then_name(const void *pa, const void *pb)
{
    const struct share *a = pa, *b = pb;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    return strcmp(rep_problem_name(a->problem), rep_problem_name(b->problem));
}

static double weight_sum(const double *mix)
{
    double sum = 0;
    for (int p = 0; p < REP_PROBLEM_COUNT; p++)
        sum += mix[p];
    return sum > 0 ? sum : 1;
}

void sim_truth_of(const struct sim_model *m, const struct sim_incident *inc,
                  const struct sim_excess *ex, struct sim_truth *out)
{
    memset(out, 0, sizeof(*out));
    struct lifted lifted[SIM_MAX_LIST];
    double baseline_total = 0, extra_total = 0;
    for (int i = 0; i < ex->n_rows; i++) {
        const struct sim_excess_row *row = &ex->rows[i];
        if (row->n == 0)
            continue;
        double extra, baseline = 0;
        int w0 = busiest_hour(row, &extra);
        for (int t = w0; t < w0 + 60; t++)
            baseline += sim_rate_per_min(m, row->cell, t);
        if (!sim_lifts_country(extra, baseline))
            continue;
        lifted[out->n_countries++] = (struct lifted){extra, row->country};
        for (int t = 0; t < row->n; t++) {
            extra_total += row->per_min[t];
            baseline_total += sim_rate_per_min(m, row->cell, row->first_minute + t);
        }
    }
    qsort(lifted, (size_t)out->n_countries, sizeof(lifted[0]), by_extra_then_code);
    for (int i = 0; i < out->n_countries; i++)
        out->countries[i] = lifted[i].country;

    /* expected problem mix during the outage in the lifted countries */
    const double *base_mix = sim_services[sim_service_find(inc->service)].mix;
    double base_sum = weight_sum(base_mix), inc_sum = weight_sum(inc->problems);
    if (baseline_total + extra_total <= 0)
        extra_total = 1; /* nothing lifted: the outage's own mix */
    struct share shares[REP_PROBLEM_COUNT];
    for (int p = 0; p < REP_PROBLEM_COUNT; p++)
        shares[p] = (struct share){(baseline_total * base_mix[p] / base_sum +
                                    extra_total * inc->problems[p] / inc_sum) /
                                       (baseline_total + extra_total),
                                   (enum rep_problem)p};
    qsort(shares, REP_PROBLEM_COUNT, sizeof(shares[0]), by_share_then_name);
    for (int i = 0; i < 3 && shares[i].value >= 0.15; i++)
        out->problems[out->n_problems++] = shares[i].problem;
    if (out->n_problems == 0)
        out->problems[out->n_problems++] = shares[0].problem;
}

/* ------------------------------------------------------------------------ */
/* Blips                                                                     */

struct busy {
    int from, to;
};

static int by_rate_desc(const void *pa, const void *pb, void *model)
{
    const struct sim_model *m = model;
    const struct sim_cell *a = &m->cells[*(const int *)pa], *b = &m->cells[*(const int *)pb];
    if (a->base_per_min != b->base_per_min)
        return a->base_per_min > b->base_per_min ? -1 : 1;
    return *(const int *)pa - *(const int *)pb;
}

int sim_place_blips(const struct sim_model *m, struct sim_blip *out, int max)
{
    const struct sim_scenario *sc = m->scenario;
    int n_busy = 0, cap_busy = sc->n_incidents + sc->n_brigades + max + 1;
    struct busy *busy = xmalloc((size_t)cap_busy * sizeof(*busy));
    for (int i = 0; i < sc->n_incidents; i++) {
        int m0 = sim_minute_of(m, sc->incidents[i].start);
        busy[n_busy++] = (struct busy){m0 - 180, m0 + sc->incidents[i].shape.duration_min + 180};
    }
    for (int i = 0; i < sc->n_brigades; i++)
        busy[n_busy++] = (struct busy){sim_minute_of(m, sc->brigades[i].start) - 120,
                                       sim_minute_of(m, sc->brigades[i].end) + 120};
    /* visible places only: the 40 busiest global cells, or a whole global service */
    int *busiest = xmalloc((size_t)m->n_cells * sizeof(int)), n_busiest = 0;
    int global[SIM_MAX_SCENARIO_SERVICES], n_global = 0;
    for (int ci = 0; ci < m->n_cells; ci++)
        if (!sim_services[m->cells[ci].service].home)
            busiest[n_busiest++] = ci;
    qsort_r(busiest, (size_t)n_busiest, sizeof(int), by_rate_desc, (void *)m);
    if (n_busiest > 40)
        n_busiest = 40;
    for (int i = 0; i < m->n_services; i++)
        if (!sim_services[m->services[i]].home)
            global[n_global++] = m->services[i];

    gsl_rng *r = sim_rng(m->seed, "blips");
    double min_extra = 8.0 * m->scale / SIM_DEFAULT_SCALE;
    int placed = 0;
    for (int tries = 1; placed < max && tries <= 1000 && n_global > 0 && m->n_min > 1440 + 60;
         tries++) {
        struct sim_blip *b = &out[placed];
        memset(b, 0, sizeof(*b));
        struct sim_incident *e = &b->event;
        int service;
        if (gsl_rng_uniform(r) < 0.5) {
            const struct sim_cell *c = &m->cells[busiest[gsl_rng_uniform_int(r, (unsigned long)n_busiest)]];
            service = c->service;
            e->countries[0] = sim_countries[c->country].code;
        } else {
            service = global[gsl_rng_uniform_int(r, (unsigned long)n_global)];
        }
        int duration = 5 + (int)gsl_rng_uniform_int(r, 11);
        int m0 = 1440 + (int)gsl_rng_uniform_int(r, (unsigned long)(m->n_min - 60 - 1440));
        int clash = 0;
        for (int i = 0; i < n_busy; i++)
            clash |= busy[i].from <= m0 && m0 <= busy[i].to;
        if (clash)
            continue;
        e->service = sim_services[service].id;
        e->volume = SIM_RELATIVE;
        e->multiple = round(gsl_ran_flat(r, 1.5, 2.0) * 100) / 100;
        e->shape = (struct sim_shape){.kind = SIM_SHAPE_POINTS, .duration_min = duration,
                                      .points = {{0, 1}, {duration, 1}}, .n_points = 2};
        memcpy(e->problems, sim_services[service].mix, sizeof(e->problems));
        time_format(m->start + (int64_t)m0 * 60, b->start, sizeof(b->start));
        e->start = b->start;
        struct sim_excess ex;
        sim_excess(m, e, &ex, NULL, 0);
        double expected = sim_excess_total(&ex);
        sim_excess_free(&ex);
        if (expected < min_extra && tries < 900)
            continue; /* invisible (e.g. local night): pick another */
        busy[n_busy++] = (struct busy){m0 - 120, m0 + 120};
        placed++;
    }
    gsl_rng_free(r);
    free(busiest);
    free(busy);
    return placed;
}
