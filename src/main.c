/* main.c - the downwatch command: one binary, one sub-command per job.
 * Each sub-command lives in its own module and parses its own options. */
#include <stdio.h>
#include <string.h>

#include "metric/metric.h"
#include "offline/offline.h"
#include "replay/replay.h"
#include "serve/serve.h"
#include "simulate/simulate.h"

#define DOWNWATCH_VERSION "0.1.0"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"serve", serve_main, "take reports over HTTP, count them, serve the API"},
    {"replay", replay_main, "send an NDJSON report trace to a server"},
    {"detect", offline_main, "detect incidents in an NDJSON report trace"},
    {"simulate", simulate_main, "write a synthetic report trace and its ground truth"},
    {"series", metric_main, "score one numeric series (CSV) for anomalies"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: downwatch COMMAND [OPTIONS]\n\n"
                 "downwatch - crowd-sourced outage detection.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`downwatch COMMAND --help` describes a command's options;\n"
                 "`downwatch --version` prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("downwatch %s\n", DOWNWATCH_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "downwatch: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
