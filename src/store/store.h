/* store.h - durable storage of reports in SQLite, with group commit.
 *
 * Request threads submit batches of reports; one writer thread takes
 * everything that is queued, inserts it in a single transaction, commits,
 * and only then calls each batch's completion callback. A report is
 * acknowledged by the API from that callback, so every acknowledged report is
 * in a committed transaction: a kill -9 at any moment loses none of them.
 * The WAL journal with synchronous=NORMAL (sync "normal") survives process
 * crashes; sync "full" also survives power loss at the cost of an fsync per
 * commit. The queue is bounded in reports: a full queue refuses new batches
 * (the API answers 503) instead of growing memory.
 *
 * Schema (versioned in PRAGMA user_version):
 *   services(id INTEGER PRIMARY KEY, name TEXT UNIQUE)  - service ids
 *   reports(id INTEGER PRIMARY KEY, ts, received, service, country,
 *           problem, counted, voter, client)
 * country is the country.h index, problem the rep_problem value, voter the
 * 64-bit hash that the vote guard keyed the report by, client the client id
 * as sent (NULL when absent). */
#ifndef DW_STORE_H
#define DW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

struct catalog;

/* One stored report. service is the catalog's dense index. */
struct store_report {
    int64_t ts;       /* event time, Unix seconds */
    int64_t received; /* receive time, Unix seconds */
    int service;
    int country;      /* country.h index */
    int problem;      /* enum rep_problem */
    int counted;      /* 1 if the vote counted, 0 for a repeat */
    uint64_t voter;
    char client[REP_CLIENT_MAX + 1];
};

/* Called on the writer thread once the batch is committed (status 0) or
 * could not be stored (status < 0, a negative errno; nothing of the batch is
 * stored then). The batch memory is the submitter's; it may be freed from
 * inside the callback. */
typedef void (*store_done_fn)(void *arg, int status);

struct store_batch {
    struct store_report *rows;
    size_t count;
    store_done_fn done;
    void *arg;
    struct store_batch *next; /* the store's link; callers leave it alone */
};

enum store_sync { STORE_SYNC_NORMAL, STORE_SYNC_FULL };

struct store_config {
    const char *dir;       /* data directory, created if missing */
    enum store_sync sync;
    size_t queue_max;      /* reports waiting for commit before refusing */
};

struct store_stats {
    uint64_t commits;
    uint64_t rows;
    uint64_t failures;
    size_t queued;         /* reports waiting now */
    int64_t last_commit_ns;
};

struct store;

/* Open (creating if needed) DIR/downwatch.db, check or install the schema,
 * and start the writer thread. Returns NULL with a sentence in err when the
 * directory cannot be created or written, the file is not a downwatch
 * database, it is corrupt, or its schema is newer than this program. */
struct store *store_open(const struct store_config *cfg, const struct catalog *cat,
                         char *err, size_t errsz);

/* Queue a batch for the next commit. Returns 0, -EAGAIN if the queue holds
 * queue_max reports already (an empty queue always takes a batch, however
 * large), or -ESHUTDOWN once store_close has begun. On 0, done will be
 * called exactly once. */
int store_submit(struct store *s, struct store_batch *b);

/* Wait until everything submitted so far is committed and its callbacks
 * have returned. */
void store_flush(struct store *s);

/* Read stored reports with ts >= since, in insertion order, calling fn for
 * each; used at start-up to rebuild counts and votes. Reports of services
 * that the current catalog does not have are skipped. Returns the number of
 * reports read, or a negative errno. Safe to call while the writer runs. */
long store_scan(struct store *s, int64_t since,
                void (*fn)(void *arg, const struct store_report *r), void *arg);

void store_get_stats(struct store *s, struct store_stats *out);

/* Flush, stop the writer, checkpoint and close. */
void store_close(struct store *s);

#endif
