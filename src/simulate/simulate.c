/* simulate.c - the `downwatch simulate` command (see simulate.h).
 *
 * Parses the options, creates the output directory, then for each chosen
 * scenario builds the model (model.c) and writes its trace and truth
 * (trace.c), printing one summary line per scenario. All the randomness is
 * in the model's named streams, so this file has none. */
#include "simulate/simulate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/timeutil.h"
#include "simulate/model.h"
#include "simulate/scenarios.h"
#include "simulate/trace.h"

#define MIN_SCALE 0.001
#define MAX_SCALE 50.0

struct options {
    const char *scenario;   /* a name or "all" */
    double scale;
    uint64_t seed;
    int has_seed;
    const char *out;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: downwatch simulate --scenario NAME [--scale S] [--seed N] --out DIR\n"
            "\n"
            "Write a synthetic report trace and its ground truth: DIR/NAME.ndjson (one\n"
            "report per line, sorted by ts) and DIR/NAME.truth.json (the incidents a\n"
            "detector should find and the rises it should not flag). The same arguments\n"
            "always give byte-identical files.\n"
            "  --scenario NAME  one of the scenarios below, or \"all\" for every one\n"
            "  --scale S        multiplies the baseline rates and the absolute outage\n"
            "                   totals (not brigades); 1.0 gives the real-world volumes\n"
            "                   (default %g, %g..%g)\n"
            "  --seed N         seed of the random streams, 0..2^64-1 (default: the\n"
            "                   scenario's own)\n"
            "  --out DIR        output directory, created if missing\n"
            "\nscenarios:\n",
            SIM_DEFAULT_SCALE, MIN_SCALE, MAX_SCALE);
    for (int i = 0; i < sim_scenario_count; i++)
        fprintf(out, "  %-17s %s\n", sim_scenarios[i].name, sim_scenarios[i].summary);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "downwatch simulate: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see downwatch simulate --help)\n");
    va_end(ap);
    return -1;
}

static int takes_value(const char *option)
{
    static const char *const with_value[] = {"--scenario", "--scale", "--seed", "--out"};
    for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
        if (strcmp(option, with_value[i]) == 0)
            return 1;
    return 0;
}

static int parse_seed(const char *text, uint64_t *out)
{
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

/* Returns 0, 1 after --help, or -1 after a usage error (already reported). */
static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->scale = SIM_DEFAULT_SCALE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (takes_value(a) && !v) {
            return usage_error("%s needs a value", a);
        } else if (strcmp(a, "--scenario") == 0) {
            o->scenario = v, i++;
            if (strcmp(v, "all") != 0 && !sim_scenario_find(v))
                return usage_error("unknown scenario \"%s\" (the list is in --help)", v);
        } else if (strcmp(a, "--scale") == 0) {
            o->scale = strtod(v, &end), i++;
            if (end == v || *end || !(o->scale >= MIN_SCALE && o->scale <= MAX_SCALE))
                return usage_error("--scale needs a number from %g to %g, not \"%s\"",
                                   MIN_SCALE, MAX_SCALE, v);
        } else if (strcmp(a, "--seed") == 0) {
            o->has_seed = 1, i++;
            if (parse_seed(v, &o->seed) < 0)
                return usage_error("--seed needs a whole number from 0 to 2^64-1, not \"%s\"", v);
        } else if (strcmp(a, "--out") == 0) {
            o->out = v, i++;
            if (!*v)
                return usage_error("--out needs a directory");
        } else {
            return usage_error("unexpected argument \"%s\"", a);
        }
    }
    if (!o->scenario)
        return usage_error("--scenario is required");
    if (!o->out)
        return usage_error("--out is required");
    return 0;
}

/* mkdir -p: create dir and its missing parents. */
static int make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return errno = ENAMETOOLONG, -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
}

static int simulate_one(const struct sim_scenario *sc, const struct options *o)
{
    char err[512];
    int64_t t0 = time_mono_ns();
    struct sim_model *m = sim_model_new(sc, o->scale, o->has_seed ? o->seed : sc->seed,
                                        err, sizeof(err));
    struct sim_trace_stats stats;
    if (!m || sim_write_trace(m, o->out, &stats, err, sizeof(err)) < 0) {
        fprintf(stderr, "downwatch simulate: %s\n", err);
        sim_model_free(m);
        return -1;
    }
    sim_model_free(m);
    double seconds = (double)(time_mono_ns() - t0) / 1e9;
    printf("%s: %lld lines, %.1f MB, %.2f s -> %s/%s.ndjson, %s/%s.truth.json\n", sc->name,
           stats.lines, (double)stats.bytes / 1e6, seconds, o->out, sc->name, o->out, sc->name);
    fflush(stdout);
    return 0;
}

int simulate_main(int argc, char **argv)
{
    struct options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0)
        return parsed > 0 ? 0 : 2;
    if (make_dirs(o.out) != 0) {
        fprintf(stderr, "downwatch simulate: cannot create directory %s: %s\n", o.out,
                strerror(errno));
        return 1;
    }
    int all = strcmp(o.scenario, "all") == 0;
    for (int i = 0; i < sim_scenario_count; i++) {
        const struct sim_scenario *sc = &sim_scenarios[i];
        if ((all || strcmp(sc->name, o.scenario) == 0) && simulate_one(sc, &o) < 0)
            return 1;
    }
    return 0;
}
