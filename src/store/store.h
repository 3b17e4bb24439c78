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
 * The WAL is copied into the database file by a checkpoint thread of its own
 * (checkpoint.h), not inside the commits of the HTTP event loops.
 *
 * One downwatch per data directory: an flock on DIR/downwatch.lock makes a
 * second server on the same directory refuse to start.
 *
 * Schema (PRAGMA application_id 0x64776368 "dwch", user_version 4;
 * docs/storage.md has the details):
 *   services(id INTEGER PRIMARY KEY, name TEXT UNIQUE)  - stable service ids
 *   reports(id INTEGER PRIMARY KEY, ts, received, service, country,
 *           problem, counted, voter, client)
 *   report_hours(hour INTEGER PRIMARY KEY, first_id)    - where scans start
 *   incidents(id TEXT PRIMARY KEY, service, grp, start, detected_at, end,
 *             updated, json)                             - latest state
 *   incident_updates(incident, updated, event, json)     - their timelines
 *   official_updates(id INTEGER PRIMARY KEY, incident, at, text, status)
 *                                                        - what the vendor said
 *   subscriptions, silences, notices, notify_marks, deliveries, events
 *                                                        - notifications: see
 *                                                          rules.h, outbox.h, history.h
 * (version 2 added the incidents, version 3 the official updates, version 4
 * the notifications; an older file is upgraded at open, and its incidents
 * count as notified)
 * reports.service is a services.id (not the catalog index, which changes
 * with the catalog), country the country.h index, problem the rep_problem
 * value, voter the 64-bit hash that the vote guard keyed the report by (as a
 * signed integer), client the client id as sent (NULL when absent).
 *
 * Each commit of reports is timed into the histogram
 * downwatch_store_commit_duration_seconds (prom.h), from holding the write
 * lock to the end of COMMIT.
 *
 * Threads: store_submit, store_flush, store_scan, store_get_stats and the
 * incident functions may be called from any thread; store_open and
 * store_close from one. */
#ifndef DW_STORE_H
#define DW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

struct buf;
struct catalog;

/* One stored report. service is the catalog's dense index. */
struct store_report {
    int64_t ts;       /* event time, Unix seconds */
    int64_t received; /* receive time, Unix seconds */
    int service;
    int country;      /* country.h index */
    int problem;      /* enum rep_problem */
    int counted;      /* an enum guard_vote_result: 1 counted, 2 first repeat, 0 later repeat */
    uint64_t voter;
    char client[REP_CLIENT_MAX + 1]; /* "" when absent (stored as NULL) */
};

/* Called on the writer thread once the batch is committed (status 0) or
 * could not be stored (status < 0, a negative errno such as -ENOSPC, -EIO,
 * -EFBIG or -EROFS; the whole transaction was rolled back, so nothing of the
 * batch is stored). Callbacks of one transaction run in submission order.
 * The batch memory is the submitter's; it may be freed from inside the
 * callback. A callback may call store_submit (it then gets -ESHUTDOWN during
 * store_close), but never store_flush or store_close, which would wait for
 * the writer that runs it. It should be quick: the next commit waits for it. */
typedef void (*store_done_fn)(void *arg, int status);

struct store_batch {
    struct store_report *rows; /* must stay valid until done is called */
    size_t count;
    store_done_fn done;        /* required */
    void *arg;
    struct store_batch *next; /* the store's link; callers leave it alone */
};

/* PRAGMA synchronous in WAL mode. NORMAL: a commit survives a crash of the
 * process, and the last commits before a power loss may be lost (the file
 * stays consistent). FULL: an fsync per commit, which survives power loss. */
enum store_sync { STORE_SYNC_NORMAL, STORE_SYNC_FULL };

struct store_config {
    const char *dir;       /* data directory, created (mode 0755, with parents) if missing */
    enum store_sync sync;
    size_t queue_max;      /* reports waiting for commit before refusing (see store_submit) */
};

struct store_stats {
    uint64_t commits;      /* transactions committed */
    uint64_t rows;         /* reports committed */
    uint64_t failures;     /* transactions that failed and were rolled back */
    size_t queued;         /* reports submitted and not yet completed, the
                            * transaction in progress included */
    size_t queue_max;      /* the configuration's queue_max */
    int64_t last_commit_ns; /* last commit, from holding the write lock to the
                             * end of COMMIT (without any wait for the lock) */
    uint64_t checkpoints_background; /* WAL checkpoints off the committing threads */
    uint64_t checkpoints_writer;     /* and on them (checkpoint.h) */
    uint64_t wal_pages;              /* the WAL's size after the last commit */
};

struct store;

/* Open (creating if needed) DIR/downwatch.db, check or install the schema,
 * add the catalog's services that the database lacks, and start the writer
 * thread. cat must outlive the store. Returns NULL with a sentence in err
 * (the path included) when the directory cannot be created or written,
 * another downwatch holds its lock, the file is not an SQLite database, is
 * corrupt (PRAGMA quick_check), belongs to another program, or its schema is
 * newer than this program. The caller closes the store with store_close(). */
struct store *store_open(const struct store_config *cfg, const struct catalog *cat,
                         char *err, size_t errsz);

/* Queue a batch for the next commit; the store links it through b->next, so
 * b must not be submitted again before its done call. Returns 0, -EAGAIN if
 * queue_max reports or more wait already (the transaction in progress
 * included; a batch is taken while fewer wait, so the queue can overshoot by
 * one batch, and an empty queue takes a batch however large), -ESHUTDOWN once
 * store_close has begun, or -EINVAL if done is NULL or a row's service is not
 * an index of the catalog given to store_open. On 0, done will be called
 * exactly once; on an error, never. */
int store_submit(struct store *s, struct store_batch *b);

/* Commit a list of batches (linked by ->next) on the calling thread and
 * call their callbacks before returning: the group commit of an HTTP event
 * loop, with no hand-off to the writer thread. If another process holds the
 * database, the list goes to the writer's queue to wait (callbacks later,
 * from the writer), or, when that queue is full, every callback gets
 * -EAGAIN at once. After store_close began they get -ESHUTDOWN. */
void store_commit_now(struct store *s, struct store_batch *list);

/* Wait until every batch submitted before the call is completed (committed
 * or failed) and its callback has returned. Not from a done callback. */
void store_flush(struct store *s);

/* Read stored reports with ts >= since, in insertion order, calling fn for
 * each (r is valid during the call only); used at start-up to rebuild counts
 * and votes. Reports of services that the current catalog does not have are
 * skipped. Returns the number of reports passed to fn, or a negative errno
 * (after some may have been passed). Reads through a connection of its own,
 * so it is safe while the writer runs; it sees the commits done before it
 * started. */
long store_scan(struct store *s, int64_t since,
                void (*fn)(void *arg, const struct store_report *r), void *arg);

/* A consistent copy of the counters. */
void store_get_stats(struct store *s, struct store_stats *out);

/* Refuse new batches (-ESHUTDOWN), commit everything queued and call its
 * callbacks, stop the writer, checkpoint the WAL into the database file, close
 * it and release the directory lock; then free s. Waits as long as another
 * process holds the database's write lock. NULL is a no-op. */
void store_close(struct store *s);

/* ---- incidents ---- */

/* One state of an incident, as the detector published it. */
struct store_incident {
    const char *id, *service, *group; /* group NULL when it has none */
    int64_t start, detected_at, end;  /* end -1 while open */
    int64_t updated;                  /* event time of this state */
    const char *event;                /* "opened", "updated", "resolved" */
    const char *json;                 /* the whole incident, one JSON object */
};

/* Write n incident states in one transaction: each replaces its incident's
 * row and adds a timeline entry (an entry already there, as when the
 * history is detected again at start-up, is kept). Returns 0, or a
 * negative errno-style code (the states are then not stored). */
int store_put_incidents(struct store *s, const struct store_incident *rows, size_t n);

/* Which incidents store_list_incidents returns. */
struct store_incident_filter {
    const char *service;  /* NULL: all */
    const char *group;    /* NULL: all */
    int open_only;        /* only those without an end */
    int64_t since;        /* only those still open at or ending after since */
    int limit;            /* at most this many, newest start first */
};

/* Call fn for each matching incident's latest state (event NULL; the
 * strings are valid during the call only), newest start first. Returns how
 * many, or -1 when the database cannot be read (after some may have been
 * passed). fn must not call back into the store. */
long store_each_incident(struct store *s, const struct store_incident_filter *f,
                         void (*fn)(void *arg, const struct store_incident *inc), void *arg);

/* Append the matching incidents' JSON objects to out, comma-separated
 * (the caller writes the brackets). Returns how many, or -1 when the
 * database cannot be read. */
long store_list_incidents(struct store *s, const struct store_incident_filter *f,
                          struct buf *out);

/* An official update: what the service's operator said about an incident. */
struct store_update {
    int64_t id;           /* assigned by store_add_update, increasing */
    const char *incident; /* the incident's id */
    int64_t at;           /* when it was posted (server wall clock), Unix seconds */
    const char *text;     /* valid UTF-8 (the API checks it) */
    const char *status;   /* "investigating", "identified", "monitoring",
                             "resolved", or NULL */
};

/* How store_get_incident hands out an incident's history; the strings are
 * valid during the call only. */
struct store_incident_reader {
    /* Each state it went through, oldest first: its event time, "opened",
     * "updated" or "resolved", and the incident's JSON then (len bytes). */
    void (*state)(void *arg, int64_t at, const char *event, const char *json, size_t len);
    /* Each official update, oldest first. */
    void (*update)(void *arg, const struct store_update *u);
    void *arg;
};

/* Read one incident in one read transaction: append its latest JSON object
 * to out, then pass its timeline and its official updates to r. Returns 1,
 * 0 when there is no such id, -1 on a read error. */
int store_get_incident(struct store *s, const char *id, struct buf *out,
                       const struct store_incident_reader *r);

/* Store an official update for the incident u->incident, if the store has
 * that incident (checked in the same transaction), and set u->id. Returns
 * 1, 0 when there is no such incident (nothing stored), or a negative
 * errno-style code. */
int store_add_update(struct store *s, struct store_update *u);

/* Incidents that started together (one cause) share a group, named after
 * the first of them; an incident that never grouped is a group of one
 * under its own id. Which groups store_list_groups returns: */
struct store_group_filter {
    const char *id;      /* NULL: all; else only the group of that id */
    int open_only;       /* only groups with an incident still open */
    int min_incidents;   /* only groups of at least this many incidents */
    int limit;           /* at most this many groups, the newest first */
};

/* One incident of a group, as store_list_groups passes it. */
struct store_group_member {
    const char *group, *id, *service;
    int64_t start, end;  /* end -1 while open */
};

/* Call fn for every incident of the matching groups: the groups newest
 * first (by their first start), a group's incidents together, by start.
 * Returns the number of groups, or -1 when the database cannot be read
 * (after some may have been passed). */
long store_list_groups(struct store *s, const struct store_group_filter *f,
                       void (*fn)(void *arg, const struct store_group_member *m), void *arg);

/* ---- internals shared by the store's files (rules.c, outbox.c, history.c) ---- */

typedef struct sqlite3 sqlite3;

/* Run write(db, arg), which returns an SQLite result code, as one short
 * transaction on the writer's connection (under the lock the group commit
 * takes, so it never contends with it), retrying briefly while another
 * process holds the database; rolled back when write fails. Returns 0 or a
 * negative errno-style code. */
int store__write(struct store *s, int (*write)(sqlite3 *db, void *arg), void *arg);

/* Run read(db, arg) in one read transaction on the shared read connection.
 * Returns 0, or -EIO when the database cannot be read. */
int store__read(struct store *s, int (*read)(sqlite3 *db, void *arg), void *arg);

typedef struct sqlite3_stmt sqlite3_stmt;

/* A query: sql, its parameters bound by bind(st, params) (bind may be
 * NULL), each row handed to row(st, arg); count is the rows handed. */
struct store__query {
    const char *sql;
    void (*bind)(sqlite3_stmt *st, const void *params);
    const void *params;
    void (*row)(sqlite3_stmt *st, void *arg);
    void *arg;
    long count;
};
/* Run q on db, inside the caller's transaction: an SQLite result code. */
int store__run(sqlite3 *db, struct store__query *q);
/* Run q in one read transaction on the read connection: the rows handed,
 * or -1 when the database cannot be read. */
long store__select(struct store *s, struct store__query *q);

/* Bind text, or NULL when text is NULL, to parameter i. */
void store__bind_text(sqlite3_stmt *st, int i, const char *text);
/* Column i as an integer, or -1 when it is NULL. */
int64_t store__column_or_none(sqlite3_stmt *st, int i);

#endif
