/* prom.h - the server's own metrics, written in the Prometheus text
 * exposition format (version 0.0.4) for GET /metrics.
 *
 * A family (a counter, or a histogram of durations) is registered once,
 * by name, in a process-wide registry, with at most PROM_LABELS_MAX labels,
 * each taking its values from a fixed list: the number of series is known
 * when the family is registered, never grown by traffic. One combination of
 * label values is a cell, numbered first label's value index times the
 * second label's value count plus the second label's value index.
 *
 * Updates cost a relaxed atomic add and take no lock: each thread picks one
 * of PROM_SHARDS shards on its first update, and every family keeps its
 * counts per shard on cache lines of their own, so the HTTP loops never
 * write to the same line. A scrape adds the shards up. Families live as
 * long as the process; registering a name again returns the family that
 * has it (so a module opened twice, as in tests, shares its counts).
 *
 * Gauges whose value is read when scraped (queue depth, open incidents,
 * process figures) are not registered: the scrape handler writes them with
 * prom_write_family() and prom_write_sample(), and prom_write_process()
 * writes the standard process_* family of client libraries. */
#ifndef DW_PROM_H
#define DW_PROM_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define PROM_LABELS_MAX 2
#define PROM_SHARDS 8

/* The Content-Type of the exposition format. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_kind {
    PROM_COUNTER,   /* a monotonic count: NAME must end in _total */
    PROM_DURATIONS, /* a histogram of durations in seconds: NAME ends in _seconds;
                       buckets from 100 us to 10 s (PROM_DURATION_BOUNDS) */
};

/* The upper bounds of every duration histogram, as written in le="...". */
#define PROM_DURATION_BOUNDS                                                                  \
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",      \
        "0.1", "0.25", "0.5", "1", "2.5", "5", "10"

struct prom_label {
    const char *name;
    const char *const *values;
    size_t count;
};

/* What a family is. Every pointer (the spec itself included) must stay
 * valid for the life of the process: static storage. */
struct prom_spec {
    const char *name;
    const char *help;
    enum prom_kind kind;
    size_t nlabels;
    struct prom_label labels[PROM_LABELS_MAX];
    int sparse; /* write only the cells that were ever updated (label
                   products such as route x code); otherwise every cell is
                   written, at 0 until it is updated */
};

struct prom_family;

/* Register the family of spec->name, or return the one already registered
 * under that name. Never NULL; aborts on a spec that breaks the naming
 * rules above (a programming error). Thread-safe. */
struct prom_family *prom_register(const struct prom_spec *spec);

/* Add n to a counter's cell. Any thread, no lock. */
void prom_add(struct prom_family *f, size_t cell, uint64_t n);

/* Count one duration of ns nanoseconds (negative counts as 0) in a
 * histogram's cell. Any thread, no lock. */
void prom_observe_ns(struct prom_family *f, size_t cell, int64_t ns);

/* Add n to the cell of a one-label counter registered as `name`, by its
 * label value: for code that counts rare events (webhook deliveries) and
 * would rather not keep a handle. Takes the registry's lock. Returns 0, or
 * -1 when no counter has that name or its label lacks that value (nothing
 * is counted). */
int prom_count(const char *name, const char *value, uint64_t n);

/* The current total of a counter's cell (for tests and gauges). */
uint64_t prom_value(const struct prom_family *f, size_t cell);

/* Append every registered family, in the order they were registered. */
void prom_write_registry(struct buf *out);

/* Append the # HELP and # TYPE lines of a family written by hand; type is
 * "gauge" or "counter". */
void prom_write_family(struct buf *out, const char *name, const char *type, const char *help);

/* Append one sample: name{label="value"} number, or name number when label
 * is NULL. Integral values are written without a fraction. */
void prom_write_sample(struct buf *out, const char *name, const char *label, const char *value,
                       double number);

/* Append the process metrics of the Prometheus client libraries, read from
 * /proc/self: process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds. A figure that cannot be read is left out. */
void prom_write_process(struct buf *out);

#endif
