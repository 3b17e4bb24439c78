/* model.h - the report-traffic model behind `downwatch simulate`: who
 * reports which service from which country how often, and what outages,
 * blips and brigades add on top.
 *
 * The model is the one of ../shared/scenarios/gen_trace.py, ported so that a
 * trace of millions of lines takes seconds. A scenario (struct sim_scenario,
 * plain data, see scenarios.h) names a time window, the services and the
 * events; sim_model_new() turns it, a scale and a seed into expected rates
 * per (service, country) cell:
 *
 *   rate(cell, minute) = base(cell) x diurnal(local time of day)
 *                        x weekday(local date) x level(cell, hour)
 *
 * Every random choice comes from a named GSL stream derived from the seed
 * (sim_rng), so adding a draw to one stream never shifts another and the same
 * arguments always give the same trace. */
#ifndef DW_SIM_MODEL_H
#define DW_SIM_MODEL_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "report/report.h"

#define SIM_BLOCK_MIN 5         /* overdispersion block: one Gamma factor each */
#define SIM_MAX_LIST 24         /* longest country list in an event */
#define SIM_MAX_SCENARIO_SERVICES 16
#define SIM_DEFAULT_SCALE 0.2
#define SIM_DEFAULT_GAMMA_K 6.0 /* baseline overdispersion, Gamma(k, 1/k) */

/* ------------------------------------------------------------------------ */
/* Fixed tables: countries and services                                      */

enum sim_profile { SIM_EVENING, SIM_DAYTIME, SIM_PROFILE_COUNT };

struct sim_country {
    const char *code;       /* ISO 3166-1 alpha-2 */
    double share;           /* share of all reports */
    int utc_offset_min;     /* fixed, standard time (no DST) */
};

struct sim_affinity {
    const char *country;
    double factor;          /* usage multiplier; countries not listed: 1 */
};

struct sim_service {
    const char *id;         /* a catalog id */
    double share;           /* global services: share of global reports; 0 if regional */
    const char *home;       /* regional services: the only country; NULL if global */
    double home_rate;       /* regional: mean reports/min at scale 1 */
    enum sim_profile profile;
    double mix[REP_PROBLEM_COUNT];              /* baseline problem weights */
    struct sim_affinity affinity[SIM_MAX_LIST]; /* ends at country NULL */
};

extern const struct sim_country sim_countries[];
extern const int sim_country_count;
extern const struct sim_service sim_services[];
extern const int sim_service_count;

/* Index of a country code / service id in the tables above, or -1. */
int sim_country_find(const char *code);
int sim_service_find(const char *id);

/* ------------------------------------------------------------------------ */
/* Scenario description (plain data)                                         */

/* Relative intensity over an event's minutes. SIM_SHAPE_OUTAGE: linear ramp
 * to 1 over ramp_min, a plateau sagging to 0.85, then an exponential decay to
 * 0.4% at duration_min. SIM_SHAPE_POINTS: straight lines between points
 * (minute, value); 0 outside them. */
enum sim_shape_kind { SIM_SHAPE_OUTAGE, SIM_SHAPE_POINTS };

struct sim_point {
    double minute, value;
};

struct sim_shape {
    enum sim_shape_kind kind;
    int duration_min;
    int ramp_min, plateau_min;      /* SIM_SHAPE_OUTAGE */
    struct sim_point points[6];     /* SIM_SHAPE_POINTS */
    int n_points;
};

/* How big an incident is: absolute totals per country (reports at scale 1,
 * multiplied by the scale) or a multiple of the baseline in its countries. */
enum sim_volume { SIM_ABSOLUTE, SIM_RELATIVE };

struct sim_total {
    const char *country;
    double reports;
};

struct sim_incident {
    const char *service;
    const char *start;          /* ISO 8601 UTC, on a whole minute */
    struct sim_shape shape;
    enum sim_volume volume;
    struct sim_total totals[SIM_MAX_LIST];      /* SIM_ABSOLUTE; ends at country NULL */
    double multiple;                            /* SIM_RELATIVE: rate at shape 1 */
    const char *countries[SIM_MAX_LIST];        /* SIM_RELATIVE; none = every country */
    const char *group;                          /* common cause id, or NULL */
    double problems[REP_PROBLEM_COUNT];         /* the outage's problem weights */
};

struct sim_brigade {
    const char *service, *country;
    const char *start, *end;    /* ISO 8601 UTC, whole minutes */
    int clients;                /* distinct client ids */
    int reports;                /* mean total; not scaled */
    double problems[REP_PROBLEM_COUNT]; /* all zero: login .5, messages .3, other .2 */
};

struct sim_scenario {
    const char *name;
    const char *summary;        /* one line for --help */
    const char *start, *end;    /* ISO 8601 UTC; start at 00:00Z, whole blocks */
    uint64_t seed;              /* default seed */
    const char *services[SIM_MAX_SCENARIO_SERVICES]; /* none = the default twelve */
    double gamma_k;             /* 0: SIM_DEFAULT_GAMMA_K */
    int blips;                  /* how many blips to place at random */
    const struct sim_incident *incidents;
    int n_incidents;
    const struct sim_brigade *brigades;
    int n_brigades;
};

/* ------------------------------------------------------------------------ */
/* The model                                                                 */

struct sim_cell {
    int service;            /* index into sim_services */
    int country;            /* index into sim_countries */
    double base_per_min;    /* mean rate at diurnal, weekday and level 1 */
    double *level;          /* slow drift, one factor per hour of the trace */
};

struct sim_model {
    const struct sim_scenario *scenario;
    double scale;
    uint64_t seed;
    int64_t start, end;         /* Unix seconds */
    int n_min, n_blocks, n_hours;
    int first_weekday;          /* of the start date, 0 = Monday */
    double gamma_k;
    int services[SIM_MAX_SCENARIO_SERVICES]; /* indexes into sim_services */
    int n_services;
    struct sim_cell *cells;
    int n_cells;
    int *cell_of;               /* [service * sim_country_count + country] -> cell or -1 */
    double diurnal_min[SIM_PROFILE_COUNT][1440];
    double diurnal_block[SIM_PROFILE_COUNT][1440 / SIM_BLOCK_MIN];
    uint32_t *pool;             /* per country: client ids to draw from */
    uint64_t *salt;             /* per country: keeps pools apart */
};

/* A random stream named `name` (e.g. "baseline", "inc3") under seed: an
 * MT19937 generator seeded from a hash of both. The caller frees it with
 * gsl_rng_free(). */
gsl_rng *sim_rng(uint64_t seed, const char *name);

/* Fill out[samples_per_day] with the profile's smooth periodic curve through
 * its 24 hourly anchors (Catmull-Rom; anchor h at the middle of hour h),
 * sample i covering the time of day [i, i+1) x 24h / samples_per_day; floored
 * at 0.02 and normalised to mean 1. samples_per_day must divide 1440. */
void sim_diurnal(enum sim_profile profile, int samples_per_day, double *out);

/* Build the model of scenario sc at the given scale and seed. Returns NULL
 * with a sentence in err if the scenario is inconsistent (unknown service or
 * country, a time that does not parse or lies outside the window). The
 * scenario must outlive the model; the caller frees with sim_model_free(). */
struct sim_model *sim_model_new(const struct sim_scenario *sc, double scale, uint64_t seed,
                                char *err, size_t errsz);
void sim_model_free(struct sim_model *m);

/* Cell index of (service, country) indexes, or -1 if the model has no such cell. */
int sim_cell(const struct sim_model *m, int service, int country);
/* Minute of an ISO 8601 time relative to the trace start, or INT32_MIN if it
 * does not parse. */
int sim_minute_of(const struct sim_model *m, const char *iso);

/* Expected baseline reports in one minute of a cell (minute since the trace
 * start; minutes just outside the window are allowed), and in one block. */
double sim_rate_per_min(const struct sim_model *m, int cell, int minute);
double sim_rate_per_block(const struct sim_model *m, int cell, int block);

/* Relative intensity of a shape at minute t since onset (0 outside it). */
double sim_shape_value(const struct sim_shape *shape, double t);

/* A client id: the draw-th device of the country's pool (draw < pool). */
uint64_t sim_client(const struct sim_model *m, int country, uint32_t draw);

/* ------------------------------------------------------------------------ */
/* Extra reports of an event and the ground truth they imply                 */

/* Expected extra reports per minute of an incident or blip, per country. */
struct sim_excess_row {
    int country, cell;
    int first_minute;
    int n;                  /* minutes */
    double *per_min;        /* owned */
};

struct sim_excess {
    struct sim_excess_row rows[SIM_MAX_LIST];
    int n_rows;
};

/* Compute an event's expected extra reports. Returns 0, or -1 with a
 * sentence in err (unknown service, start outside the window). Release with
 * sim_excess_free(). */
int sim_excess(const struct sim_model *m, const struct sim_incident *inc,
               struct sim_excess *out, char *err, size_t errsz);
void sim_excess_free(struct sim_excess *ex);
/* Sum of all expected extra reports. */
double sim_excess_total(const struct sim_excess *ex);

/* Ground truth of an incident (README "Ground truth format"): the lifted
 * countries, ordered by extra reports in their busiest hour, largest first;
 * the top problems (at most 3, share >= 15%, at least one). */
struct sim_truth {
    int countries[SIM_MAX_LIST];
    int n_countries;
    enum rep_problem problems[3];
    int n_problems;
};

/* Whether an outage clearly lifted a country: in its 60-minute window with
 * the most extra reports, expected extra >= 5 and baseline + extra >= 3x
 * baseline. */
int sim_lifts_country(double window_extra, double window_baseline);
void sim_truth_of(const struct sim_model *m, const struct sim_incident *inc,
                  const struct sim_excess *ex, struct sim_truth *out);

/* A blip: a relative event (countries empty = every country of the
 * service) whose start points into the struct itself, so keep it in place. */
struct sim_blip {
    struct sim_incident event;
    char start[24];
};

/* Place up to max blips at random (stream "blips"): 1.5-2x of a busy cell or
 * of a whole global service for 5-15 minutes, at least 2 hours away from the
 * scenario's incidents, brigades and each other, and big enough to be seen.
 * Returns how many were written to out. */
int sim_place_blips(const struct sim_model *m, struct sim_blip *out, int max);

#endif
