/* trace.h - write one scenario's report trace and its ground truth:
 * DIR/NAME.ndjson (one report per line, sorted by ts, the format of
 * ../shared/scenarios) and DIR/NAME.truth.json (incidents and non-incidents
 * for the scorers). */
#ifndef DW_SIM_TRACE_H
#define DW_SIM_TRACE_H

#include <stddef.h>

#include "simulate/model.h"

struct sim_trace_stats {
    long long lines;         /* reports written */
    long long bytes;         /* size of the .ndjson file */
};

/* Generate and write both files of m's scenario into the existing directory
 * dir. Each file is written under a temporary name and renamed into place,
 * so a reader never sees half a trace. Returns 0 and fills *stats, or -1
 * with a sentence in err (a file that cannot be written). */
int sim_write_trace(const struct sim_model *m, const char *dir, struct sim_trace_stats *stats,
                    char *err, size_t errsz);

#endif
