/* scenarios.h - the named scenarios of `downwatch simulate`: each a time
 * window, its services and what happens in it (incidents with their ground
 * truth, brigades, blips). The names are a contract: tests, benchmarks and
 * docs refer to them. meta-2024-04-03 and quiet-week have the same content as
 * ../shared/scenarios/gen_trace.py. */
#ifndef DW_SIM_SCENARIOS_H
#define DW_SIM_SCENARIOS_H

#include "simulate/model.h"

extern const struct sim_scenario sim_scenarios[];
extern const int sim_scenario_count;

/* The scenario of that name, or NULL. */
const struct sim_scenario *sim_scenario_find(const char *name);

#endif
