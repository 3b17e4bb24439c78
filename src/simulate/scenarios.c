/* scenarios.c - the scenario table (see scenarios.h).
 *
 * Each scenario is plain static data, written so that a reader can check it
 * against its description: absolute totals are reports at scale 1.0 (the
 * public figures for the Meta outage), relative volumes a multiple of the
 * baseline. Each one has a week or more of ordinary history before its
 * events, so that a detector's baseline has something to learn from, and
 * each aims at a way a detector can fail:
 *   meta-2024-04-03  a huge worldwide outage of four services of one owner;
 *   quiet-week       nothing happens: every detection is a false positive;
 *   regional-telecom a telecom down in one country, once at local night;
 *   cloud-cascade    unrelated services failing together (one cause) beside
 *                    an unrelated outage at the same time (another);
 *   slow-rise        outages that creep up to only 3-4x the baseline;
 *   noisy-week       bursty baseline, many blips, two brigades, no outage. */
#include "simulate/scenarios.h"

#include <string.h>

#define OUTAGE(duration, ramp, plateau)                                              \
    {.kind = SIM_SHAPE_OUTAGE, .duration_min = (duration), .ramp_min = (ramp),      \
     .plateau_min = (plateau)}
/* Up over `ramp` minutes, flat, down over `fall` minutes. */
#define TRAPEZOID(duration, ramp, fall)                                              \
    {.kind = SIM_SHAPE_POINTS, .duration_min = (duration),                           \
     .points = {{0, 0}, {(ramp), 1}, {(duration) - (fall), 1}, {(duration), 0}},    \
     .n_points = 4}
#define P(name) [REP_##name]

/* ------------------------------------------------------------------------ */
/* meta-2024-04-03                                                           */

static const struct sim_incident meta_incidents[] = {
    {.service = "whatsapp", .start = "2024-04-03T16:30:00Z", .shape = OUTAGE(125, 3, 25),
     .volume = SIM_ABSOLUTE,
     .totals = {{"BR", 95000}, {"GB", 67000}, {"IN", 30000}, {"IT", 14000}, {"DE", 12000},
                {"ES", 11000}, {"MX", 9000}, {"AR", 6000}, {"FR", 6000}, {"NG", 5000},
                {"ZA", 4000}, {"US", 4000}, {"TR", 3500}, {"PK", 3000}, {"ID", 2500},
                {"EG", 2000}, {"BD", 1000}, {"CA", 1200}, {"PH", 800}, {"JP", 60}},
     .group = "meta-2024-04-03",
     .problems = {P(MESSAGES) = .42, P(LOGIN) = .28, P(CALLS) = .16, P(CONNECTION) = .06,
                  P(APP) = .05, P(OTHER) = .03}},
    {.service = "instagram", .start = "2024-04-03T16:31:00Z", .shape = OUTAGE(110, 4, 20),
     .volume = SIM_ABSOLUTE,
     .totals = {{"IN", 9000}, {"BR", 7000}, {"GB", 4500}, {"US", 3200}, {"MX", 2500},
                {"TR", 2500}, {"ID", 2200}, {"IT", 2000}, {"ES", 1800}, {"DE", 1500},
                {"FR", 1500}, {"AR", 1200}, {"PH", 800}, {"CA", 700}, {"EG", 300}, {"JP", 150}},
     .group = "meta-2024-04-03",
     .problems = {P(FEED) = .36, P(LOGIN) = .30, P(APP) = .22, P(MESSAGES) = .07,
                  P(OTHER) = .05}},
    {.service = "messenger", .start = "2024-04-03T16:31:00Z", .shape = OUTAGE(80, 3, 12),
     .volume = SIM_ABSOLUTE,
     .totals = {{"US", 1500}, {"MX", 1100}, {"GB", 900}, {"PH", 900}, {"BR", 500}, {"FR", 400},
                {"CA", 300}, {"IN", 300}, {"IT", 150}},
     .group = "meta-2024-04-03",
     .problems = {P(MESSAGES) = .55, P(LOGIN) = .20, P(CALLS) = .15, P(APP) = .10}},
    {.service = "facebook", .start = "2024-04-03T16:32:00Z", .shape = OUTAGE(70, 4, 10),
     .volume = SIM_ABSOLUTE,
     .totals = {{"IN", 1500}, {"US", 1200}, {"PH", 800}, {"GB", 700}, {"MX", 700}, {"BR", 600},
                {"BD", 250}, {"EG", 250}},
     .group = "meta-2024-04-03",
     .problems = {P(FEED) = .35, P(LOGIN) = .35, P(WEBSITE) = .15, P(APP) = .15}},
    {.service = "jio", .start = "2024-03-29T05:10:00Z",
     .shape = {.kind = SIM_SHAPE_POINTS, .duration_min = 40,
               .points = {{0, 0}, {2, 1}, {36, 1}, {40, 0}}, .n_points = 4},
     .volume = SIM_RELATIVE, .multiple = 8.0, .countries = {"IN"},
     .problems = {P(CONNECTION) = .60, P(CALLS) = .32, P(OTHER) = .08}},
};

static const struct sim_brigade meta_brigades[] = {
    {.service = "telegram", .country = "DE", .start = "2024-03-30T12:00:00Z",
     .end = "2024-03-30T12:20:00Z", .clients = 20, .reports = 3000},
};

/* ------------------------------------------------------------------------ */
/* quiet-week                                                                */

static const struct sim_brigade quiet_brigades[] = {
    {.service = "x", .country = "TR", .start = "2024-05-11T19:05:00Z",
     .end = "2024-05-11T19:35:00Z", .clients = 30, .reports = 1500,
     .problems = {P(FEED) = .6, P(WEBSITE) = .25, P(OTHER) = .15}},
};

/* ------------------------------------------------------------------------ */
/* regional-telecom: jio fails at 02:15 India time, when its baseline is
 * lowest (a handful of reports an hour), and verizon in the US afternoon;
 * airtel, the other Indian telecom, stays calm apart from a brigade. */

static const struct sim_incident telecom_incidents[] = {
    {.service = "verizon", .start = "2024-06-06T18:20:00Z", .shape = TRAPEZOID(75, 5, 10),
     .volume = SIM_RELATIVE, .multiple = 6.0, .countries = {"US"},
     .problems = {P(CONNECTION) = .50, P(CALLS) = .35, P(MESSAGES) = .10, P(OTHER) = .05}},
    {.service = "jio", .start = "2024-06-10T20:45:00Z", .shape = OUTAGE(100, 6, 40),
     .volume = SIM_ABSOLUTE, .totals = {{"IN", 2500}},
     .problems = {P(CONNECTION) = .55, P(CALLS) = .30, P(MESSAGES) = .10, P(OTHER) = .05}},
};

static const struct sim_brigade telecom_brigades[] = {
    {.service = "airtel", .country = "IN", .start = "2024-06-08T15:10:00Z",
     .end = "2024-06-08T15:30:00Z", .clients = 15, .reports = 800,
     .problems = {P(CONNECTION) = .7, P(CALLS) = .2, P(OTHER) = .1}},
};

/* ------------------------------------------------------------------------ */
/* cloud-cascade: a CDN failure takes four services of four owners down in
 * the Americas and Europe within three minutes (one group); an unrelated
 * telegram outage in India, Egypt and Pakistan starts at the same time and
 * must not be grouped with them. */

static const struct sim_incident cascade_incidents[] = {
    {.service = "discord", .start = "2024-07-15T14:05:00Z", .shape = OUTAGE(95, 3, 30),
     .volume = SIM_ABSOLUTE,
     .totals = {{"US", 12000}, {"GB", 4000}, {"DE", 4000}, {"FR", 2500}, {"BR", 2500},
                {"CA", 1500}},
     .group = "cdn-2024-07-15",
     .problems = {P(CONNECTION) = .50, P(MESSAGES) = .20, P(LOGIN) = .15, P(APP) = .10,
                  P(OTHER) = .05}},
    {.service = "spotify", .start = "2024-07-15T14:06:00Z", .shape = OUTAGE(90, 4, 30),
     .volume = SIM_ABSOLUTE,
     .totals = {{"US", 9000}, {"GB", 5000}, {"DE", 4500}, {"BR", 3000}, {"MX", 2000},
                {"CA", 1200}},
     .group = "cdn-2024-07-15",
     .problems = {P(CONNECTION) = .45, P(APP) = .30, P(LOGIN) = .15, P(OTHER) = .10}},
    {.service = "x", .start = "2024-07-15T14:07:00Z", .shape = OUTAGE(85, 3, 25),
     .volume = SIM_ABSOLUTE,
     .totals = {{"US", 6000}, {"GB", 3000}, {"DE", 1500}, {"FR", 1500}, {"ES", 1200},
                {"BR", 1500}},
     .group = "cdn-2024-07-15",
     .problems = {P(WEBSITE) = .40, P(FEED) = .35, P(APP) = .15, P(OTHER) = .10}},
    {.service = "netflix", .start = "2024-07-15T14:08:00Z", .shape = OUTAGE(80, 4, 25),
     .volume = SIM_ABSOLUTE,
     .totals = {{"US", 8000}, {"GB", 3000}, {"CA", 2500}, {"BR", 2500}, {"MX", 2000}},
     .group = "cdn-2024-07-15",
     .problems = {P(CONNECTION) = .55, P(WEBSITE) = .20, P(APP) = .15, P(OTHER) = .10}},
    {.service = "telegram", .start = "2024-07-15T14:06:00Z", .shape = OUTAGE(60, 5, 20),
     .volume = SIM_ABSOLUTE, .totals = {{"IN", 3000}, {"EG", 1200}, {"PK", 800}},
     .problems = {P(MESSAGES) = .50, P(CONNECTION) = .35, P(LOGIN) = .10, P(OTHER) = .05}},
};

static const struct sim_brigade cascade_brigades[] = {
    {.service = "spotify", .country = "GB", .start = "2024-07-11T20:10:00Z",
     .end = "2024-07-11T20:35:00Z", .clients = 25, .reports = 2000,
     .problems = {P(APP) = .6, P(LOGIN) = .3, P(OTHER) = .1}},
};

/* ------------------------------------------------------------------------ */
/* slow-rise: youtube everywhere ramps over 45 minutes to 3.5x and stays
 * there for over an hour; instagram in Brazil creeps to 3.2x over an hour.
 * Neither has a step a spike detector would catch. */

static const struct sim_incident slow_incidents[] = {
    {.service = "instagram", .start = "2024-09-05T21:30:00Z", .shape = TRAPEZOID(150, 60, 15),
     .volume = SIM_RELATIVE, .multiple = 3.2, .countries = {"BR"},
     .problems = {P(FEED) = .45, P(APP) = .30, P(LOGIN) = .15, P(OTHER) = .10}},
    {.service = "youtube", .start = "2024-09-09T15:00:00Z", .shape = TRAPEZOID(150, 45, 20),
     .volume = SIM_RELATIVE, .multiple = 3.5,
     .problems = {P(CONNECTION) = .50, P(APP) = .25, P(WEBSITE) = .15, P(OTHER) = .10}},
};

/* ------------------------------------------------------------------------ */
/* noisy-week                                                                */

static const struct sim_brigade noisy_brigades[] = {
    {.service = "whatsapp", .country = "BR", .start = "2024-10-09T23:40:00Z",
     .end = "2024-10-10T00:05:00Z", .clients = 25, .reports = 2500,
     .problems = {P(MESSAGES) = .5, P(LOGIN) = .3, P(OTHER) = .2}},
    {.service = "instagram", .country = "US", .start = "2024-10-12T16:00:00Z",
     .end = "2024-10-12T16:15:00Z", .clients = 12, .reports = 900,
     .problems = {P(FEED) = .5, P(LOGIN) = .3, P(OTHER) = .2}},
};

#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

const struct sim_scenario sim_scenarios[] = {
    {.name = "meta-2024-04-03",
     .summary = "7 days, then the Meta outage of 3 April 2024; jio IN 8x; a brigade; 6 blips",
     .start = "2024-03-27T00:00:00Z", .end = "2024-04-04T06:00:00Z", .seed = 20240403,
     .blips = 6, .incidents = meta_incidents, .n_incidents = COUNT(meta_incidents),
     .brigades = meta_brigades, .n_brigades = COUNT(meta_brigades)},
    {.name = "quiet-week", .summary = "14 days, no incidents; 8 blips; one brigade (x TR)",
     .start = "2024-05-06T00:00:00Z", .end = "2024-05-20T00:00:00Z", .seed = 77, .blips = 8,
     .brigades = quiet_brigades, .n_brigades = COUNT(quiet_brigades)},
    {.name = "regional-telecom",
     .summary = "10 days; verizon US 6x by day, jio IN at 02:15 local; airtel calm",
     .start = "2024-06-03T00:00:00Z", .end = "2024-06-13T00:00:00Z", .seed = 4242,
     .services = {"whatsapp", "instagram", "facebook", "messenger", "youtube", "gmail", "x",
                  "telegram", "netflix", "spotify", "discord", "jio", "airtel", "verizon"},
     .blips = 5, .incidents = telecom_incidents, .n_incidents = COUNT(telecom_incidents),
     .brigades = telecom_brigades, .n_brigades = COUNT(telecom_brigades)},
    {.name = "cloud-cascade",
     .summary = "8 days; discord, spotify, x, netflix down together; telegram apart",
     .start = "2024-07-08T00:00:00Z", .end = "2024-07-16T00:00:00Z", .seed = 715, .blips = 6,
     .incidents = cascade_incidents, .n_incidents = COUNT(cascade_incidents),
     .brigades = cascade_brigades, .n_brigades = COUNT(cascade_brigades)},
    {.name = "slow-rise",
     .summary = "9 days; youtube and instagram BR creep up to only 3-4x baseline",
     .start = "2024-09-02T00:00:00Z", .end = "2024-09-11T00:00:00Z", .seed = 902, .blips = 6,
     .incidents = slow_incidents, .n_incidents = COUNT(slow_incidents)},
    {.name = "noisy-week",
     .summary = "7 days, no incidents; bursty baseline (k=2.5), 14 blips, 2 brigades",
     .start = "2024-10-07T00:00:00Z", .end = "2024-10-14T00:00:00Z", .seed = 1007,
     .gamma_k = 2.5, .blips = 14, .brigades = noisy_brigades,
     .n_brigades = COUNT(noisy_brigades)},
};
const int sim_scenario_count = COUNT(sim_scenarios);

const struct sim_scenario *sim_scenario_find(const char *name)
{
    for (int i = 0; i < sim_scenario_count; i++)
        if (strcmp(sim_scenarios[i].name, name) == 0)
            return &sim_scenarios[i];
    return NULL;
}
