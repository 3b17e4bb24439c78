/* store.c - durable storage of reports: SQLite in WAL mode, group commit.
 *
 * store_open takes an flock on DIR/downwatch.lock (one downwatch per data
 * directory), checks DIR/downwatch.db (readable, quick_check, application_id,
 * user_version), installs the schema (or upgrades an older file) in one
 * transaction and maps the
 * catalog's dense indexes to the stable ids of the services table. Submitters
 * append batches to a FIFO under a mutex; one writer thread takes the whole
 * queue, inserts every row with one prepared statement inside one BEGIN
 * IMMEDIATE transaction, commits, and then calls the callbacks in order with
 * the lock released. A database locked by another process is retried until it
 * frees (nothing is dropped); any other failure rolls the transaction back
 * and fails its batches with a negative errno, and the writer carries on.
 * store_scan reads through a connection of its own, which WAL lets run
 * alongside the writer, and checkpoint.c checkpoints through another. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "prom/prom.h"
#include "store/checkpoint.h"

#define STORE_SCHEMA_VERSION 4
#define STORE_APPLICATION_ID 0x64776368 /* "dwch" in the file header */
#define STORE_BUSY_TIMEOUT_MS 1000      /* waits inside SQLite while opening, and for scans */
#define STORE_BUSY_PAUSE_NS 10000000L   /* between two retries of a busy transaction */
#define DB_SPIN_NS 50000                /* how long lock_db spins before it sleeps */

static const struct prom_spec commit_duration_spec = {
    .name = "downwatch_store_commit_duration_seconds",
    .help = "Time a transaction of reports took, from holding the write lock to the end of "
            "its COMMIT.",
    .kind = PROM_DURATIONS,
};

static const char schema_sql[] =
    "CREATE TABLE services("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE reports("
    "  id INTEGER PRIMARY KEY,"
    "  ts INTEGER NOT NULL,"
    "  received INTEGER NOT NULL,"
    "  service INTEGER NOT NULL REFERENCES services(id),"
    "  country INTEGER NOT NULL,"
    "  problem INTEGER NOT NULL,"
    "  counted INTEGER NOT NULL,"
    "  voter INTEGER NOT NULL,"
    "  client TEXT);"
    "CREATE TABLE report_hours("
    "  hour INTEGER PRIMARY KEY,"
    "  first_id INTEGER NOT NULL);";

/* Version 2 added the incidents, version 3 the official updates, version 4
 * the notifications; an older file gets what it lacks at open. */
static const char upgrade_sql[] =
    "CREATE TABLE IF NOT EXISTS incidents("
    "  id TEXT PRIMARY KEY,"
    "  service TEXT NOT NULL,"
    "  grp TEXT,"
    "  start INTEGER NOT NULL,"
    "  detected_at INTEGER NOT NULL,"
    "  end INTEGER,"
    "  updated INTEGER NOT NULL,"
    "  json TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS incidents_by_start ON incidents(start);"
    "CREATE TABLE IF NOT EXISTS incident_updates("
    "  incident TEXT NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  PRIMARY KEY(incident, updated, event)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS official_updates("
    "  id INTEGER PRIMARY KEY,"
    "  incident TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  text TEXT NOT NULL,"
    "  status TEXT);"
    "CREATE INDEX IF NOT EXISTS official_updates_by_incident ON official_updates(incident, id);"
    /* Version 4: notifications (outbox.h, rules.h, history.h). */
    "CREATE TABLE IF NOT EXISTS subscriptions("
    "  id TEXT PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  spec TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS silences("
    "  id INTEGER PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  cancelled INTEGER,"
    "  expired INTEGER,"
    "  spec TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS notices("
    "  incident TEXT PRIMARY KEY,"
    "  service TEXT NOT NULL,"
    "  grp TEXT,"
    "  seen INTEGER NOT NULL,"
    "  opened INTEGER NOT NULL,"
    "  resolved INTEGER NOT NULL,"
    "  maintenance INTEGER NOT NULL,"
    "  severity INTEGER NOT NULL,"
    "  countries TEXT NOT NULL,"
    "  sent_at INTEGER,"
    "  sent_severity INTEGER NOT NULL,"
    "  top_severity INTEGER NOT NULL,"
    "  sent_countries TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS notify_marks("
    "  name TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO notify_marks(name, value)"
    "  SELECT 'official_update', coalesce(max(id), 0) FROM official_updates;"
    "CREATE TABLE IF NOT EXISTS deliveries("
    "  id INTEGER PRIMARY KEY,"
    "  subscription TEXT NOT NULL,"
    "  incident TEXT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  next_at INTEGER NOT NULL,"
    "  last_at INTEGER,"
    "  last_status INTEGER,"
    "  last_error TEXT,"
    "  reason TEXT,"
    "  UNIQUE(subscription, incident, event, seq));"
    "CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries(state, subscription, id);"
    "CREATE TABLE IF NOT EXISTS events("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  incident TEXT,"
    "  subscription TEXT,"
    "  silence INTEGER,"
    "  delivery INTEGER,"
    "  detail TEXT NOT NULL);";

/* A file older than version 4 has incidents from before notifications
 * existed: they count as notified, so that the first start after the
 * upgrade does not page for the whole history. */
static const char upgrade_v4_sql[] =
    "INSERT OR IGNORE INTO notices(incident, service, grp, seen, opened, resolved, maintenance,"
    "  severity, countries, sent_at, sent_severity, top_severity, sent_countries)"
    "  SELECT id, service, grp, updated, 1, end IS NOT NULL, 0, 0, '', updated, 0, 0, ''"
    "  FROM incidents;";

static const char insert_sql[] =
    "INSERT INTO reports(ts, received, service, country, problem, counted, voter, client)"
    " VALUES(?, ?, ?, ?, ?, ?, ?, ?)";

/* report_hours is a sparse index: for each hour (ts div 3600) the id of the
 * first report whose ts falls in it. It costs one insert per transaction and
 * hour, where an index on reports(ts) would cost one per row and halve the
 * writer's speed. */
static const char mark_sql[] =
    "INSERT OR IGNORE INTO report_hours(hour, first_id) VALUES(?, ?)";

/* Reports with ts >= since in id (insertion) order: report_hours gives the
 * first id that can match, and the table is walked in rowid order from there,
 * without a sort. */
static const char scan_sql[] =
    "SELECT ts, received, service, country, problem, counted, voter, client"
    " FROM reports"
    " WHERE id >= (SELECT min(first_id) FROM report_hours WHERE hour >= ?2) AND ts >= ?1"
    " ORDER BY id";

/* A services.id and the catalog index it stands for, sorted by db_id. */
struct service_map {
    int64_t db_id;
    int index;
};

struct store {
    char *db_path;
    int lock_fd;
    sqlite3 *db;             /* the writer's connection */
    struct ckpt *ckpt;       /* checkpoints of its WAL */
    sqlite3_stmt *begin;     /* BEGIN IMMEDIATE, prepared once */
    sqlite3_stmt *commit;    /* COMMIT, prepared once */
    sqlite3_stmt *insert;
    sqlite3_stmt *mark;      /* mark_sql */
    int64_t *db_ids;         /* catalog index -> services.id */
    size_t n_services;       /* catalog_count() at open */
    struct service_map *by_db_id; /* services.id -> catalog index, for scans */
    size_t n_by_db_id;
    size_t queue_max;
    pthread_t writer;
    pthread_mutex_t dbmu;    /* one thread at a time uses db and its statements */
    sqlite3 *reader;         /* incident reads, opened on first use */
    pthread_mutex_t readmu;  /* one thread at a time uses reader */

    pthread_mutex_t mu;      /* guards everything below */
    pthread_cond_t work;     /* to the writer: batches queued, or stop */
    pthread_cond_t progress; /* to flushers: batches completed */
    struct store_batch *head, *tail;
    uint64_t submitted;      /* batches accepted since open */
    uint64_t completed;      /* batches whose callbacks have returned */
    int closing;             /* store_close began: refuse, drain, exit */
    struct store_stats stats; /* stats.queued is the queue's size in reports */
    struct prom_family *commit_duration;
};

/* ---- helpers ------------------------------------------------------------ */

static char *path_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    char *p = xmalloc(len);
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

/* A negative errno for a failed SQLite call: the system's errno behind an
 * I/O error when SQLite kept it, else the closest match to the result code. */
static int sqlite_errno(sqlite3 *db, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_READONLY:
        return -EROFS;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_IOERR:
        return sqlite3_system_errno(db) > 0 ? -sqlite3_system_errno(db) : -EIO;
    default:
        return -EIO;
    }
}

/* The hour of a Unix time, rounded down (also before 1970). */
static int64_t hour_of(int64_t ts)
{
    return ts / 3600 - (ts % 3600 < 0);
}

static int is_busy(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* mkdir -p with mode 0755. Returns 0, or -errno (-ENOTDIR if path exists
 * but is not a directory). */
static int make_dirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char saved = *c;
        *c = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = -errno;
            goto out;
        }
        *c = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        rc = -errno;
    else if (!S_ISDIR(st.st_mode))
        rc = -ENOTDIR;
out:
    free(p);
    return rc;
}

/* Run one statement that returns one integer (a PRAGMA). Returns an SQLite
 * result code. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto out;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

/* ---- open --------------------------------------------------------------- */

/* quick_check's first finding as one line, without its "*** in database
 * main ***" heading. */
static void one_line(const char *text, char *out, size_t outsz)
{
    static const char heading[] = "*** in database main ***";
    if (strncmp(text, heading, sizeof(heading) - 1) == 0)
        text += sizeof(heading) - 1;
    text += strspn(text, " \n");
    size_t n = 0;
    for (; *text && n + 1 < outsz; text++)
        out[n++] = *text == '\n' ? ' ' : *text;
    out[n] = '\0';
}

/* Create or open DIR/downwatch.lock and hold an exclusive flock on it for the
 * store's lifetime. Returns the descriptor, or -1 with err set. */
static int take_lock(const char *dir, char *err, size_t errsz)
{
    char *path = path_join(dir, "downwatch.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EACCES || errno == EPERM || errno == EROFS)
            err_set(err, errsz, "data directory %s is not writable: %s", dir, strerror(errno));
        else
            err_set(err, errsz, "cannot create lock file %s: %s", path, strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            err_set(err, errsz,
                    "data directory %s is in use by another downwatch (%s is locked)", dir, path);
        else
            err_set(err, errsz, "cannot lock %s: %s", path, strerror(errno));
        close(fd);
        fd = -1;
    }
out:
    free(path);
    return fd;
}

/* Refuse a file that is not an SQLite database, is corrupt, belongs to
 * another program, or has a newer schema. Sets *fresh when the file has no
 * schema yet, *version to its schema version. Returns 0, or -1 with err set. */
static int check_database(sqlite3 *db, const char *path, int *fresh, int64_t *version,
                          char *err, size_t errsz)
{
    int64_t app_id = 0, tables = 0;
    sqlite3_stmt *st = NULL;
    int rc = query_int(db, "PRAGMA application_id", &app_id);
    if (rc == SQLITE_OK)
        rc = query_int(db, "PRAGMA user_version", version);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
    if ((rc & 0xff) == SQLITE_NOTADB) {
        err_set(err, errsz, "%s is not an SQLite database (%s); move it away", path,
                sqlite3_errmsg(db));
        goto fail;
    }
    if ((rc & 0xff) == SQLITE_CORRUPT) {
        err_set(err, errsz, "%s is corrupt (%s); restore it from a backup or move it away", path,
                sqlite3_errmsg(db));
        goto fail;
    }
    if (rc != SQLITE_OK) {
        err_set(err, errsz, "cannot read %s: %s", path, sqlite3_errmsg(db));
        goto fail;
    }

    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        char detail[160];
        one_line(rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db),
                 detail, sizeof(detail));
        err_set(err, errsz, "%s is corrupt (%s); restore it from a backup or move it away", path,
                detail);
        goto fail;
    }

    *fresh = app_id == 0 && *version == 0 && tables == 0;
    if (!*fresh && app_id != STORE_APPLICATION_ID) {
        err_set(err, errsz, "%s is an SQLite database of another program, not downwatch's", path);
        goto fail;
    }
    if (*version > STORE_SCHEMA_VERSION) {
        err_set(err, errsz,
                "%s has schema version %lld, newer than this downwatch supports (%d); "
                "run a newer downwatch",
                path, (long long)*version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    sqlite3_finalize(st);
    return 0;
fail:
    sqlite3_finalize(st);
    return -1;
}

/* Set the connection up for the writer: WAL, the configured sync level. */
static int configure(sqlite3 *db, enum store_sync sync, char *err, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        err_set(err, errsz, "cannot switch the database to WAL mode: %s",
                rc == SQLITE_ROW ? "the file system does not support it" : sqlite3_errmsg(db));
        goto fail;
    }
    rc = sqlite3_exec(db,
                      sync == STORE_SYNC_FULL ? "PRAGMA synchronous=FULL"
                                              : "PRAGMA synchronous=NORMAL",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        err_set(err, errsz, "cannot set the sync level: %s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(st);
    return 0;
fail:
    sqlite3_finalize(st);
    return -1;
}

static int compare_map(const void *a, const void *b)
{
    const struct service_map *x = a, *y = b;
    return (x->db_id > y->db_id) - (x->db_id < y->db_id);
}

/* Read the services table into both maps. Returns an SQLite result code. */
static int load_services(struct store *s, const struct catalog *cat)
{
    sqlite3_stmt *st = NULL;
    size_t cap = s->n_services + 16;
    s->by_db_id = xmalloc(cap * sizeof(*s->by_db_id));
    int rc = sqlite3_prepare_v2(s->db, "SELECT id, name FROM services", -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        int index = name ? catalog_find(cat, name, (size_t)sqlite3_column_bytes(st, 1)) : -1;
        if (index < 0)
            continue;
        if (s->n_by_db_id == cap) {
            cap *= 2;
            s->by_db_id = xrealloc(s->by_db_id, cap * sizeof(*s->by_db_id));
        }
        s->by_db_id[s->n_by_db_id++] = (struct service_map){id, index};
        s->db_ids[index] = id;
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    qsort(s->by_db_id, s->n_by_db_id, sizeof(*s->by_db_id), compare_map);
out:
    sqlite3_finalize(st);
    return rc;
}

/* In one transaction: install the schema if the file is fresh (or upgrade
 * one of an older version), add the catalog's services that the table
 * lacks, and load the id maps. */
static int install(struct store *s, const struct catalog *cat, int fresh, int64_t version,
                   char *err, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    if (fresh) {
        char pragmas[96];
        snprintf(pragmas, sizeof(pragmas), "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                 STORE_APPLICATION_ID, STORE_SCHEMA_VERSION);
        rc = sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            goto fail;
    }
    char set_version[48];
    snprintf(set_version, sizeof(set_version), "PRAGMA user_version=%d", STORE_SCHEMA_VERSION);
    rc = sqlite3_exec(s->db, upgrade_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK && !fresh && version < 4)
        rc = sqlite3_exec(s->db, upgrade_v4_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, set_version, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    rc = sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO services(name) VALUES(?)", -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < s->n_services; i++) {
        sqlite3_bind_text(st, 1, catalog_at(cat, i)->id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            goto fail;
    }
    rc = load_services(s, cat);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_finalize(st);
    return 0;
fail:
    err_set(err, errsz, "cannot set up %s: %s", s->db_path, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* ---- writer ------------------------------------------------------------- */

/* Insert one report; mark its hour in report_hours unless the row before
 * it in this transaction was of the same hour. Returns SQLITE_DONE or the
 * failing result code. */
static int insert_row(struct store *s, const struct store_report *r, int64_t *last_hour)
{
    sqlite3_stmt *st = s->insert;
    size_t len = strnlen(r->client, sizeof(r->client));
    sqlite3_bind_int64(st, 1, r->ts);
    sqlite3_bind_int64(st, 2, r->received);
    sqlite3_bind_int64(st, 3, s->db_ids[r->service]);
    sqlite3_bind_int(st, 4, r->country);
    sqlite3_bind_int(st, 5, r->problem);
    sqlite3_bind_int(st, 6, r->counted);
    sqlite3_bind_int64(st, 7, (int64_t)r->voter);
    if (len)
        sqlite3_bind_text(st, 8, r->client, (int)len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    int64_t hour = hour_of(r->ts);
    if (rc != SQLITE_DONE || hour == *last_hour)
        return rc;
    sqlite3_bind_int64(s->mark, 1, hour);
    sqlite3_bind_int64(s->mark, 2, sqlite3_last_insert_rowid(s->db));
    rc = sqlite3_step(s->mark);
    sqlite3_reset(s->mark);
    *last_hour = hour;
    return rc;
}

/* Run a statement without results (BEGIN, COMMIT) and make it ready for
 * the next time: SQLITE_OK or the error. */
static int step_once(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Insert every row of the list (rows in all) in one transaction and commit.
 * Returns 0, -EBUSY when another process holds the write lock (nothing done,
 * retry), or another negative errno after rolling back. *took_ns is the time
 * from holding the write lock to the end of the commit. */
static int write_batches(struct store *s, const struct store_batch *list, size_t rows,
                         int64_t *took_ns)
{
    int rc = step_once(s->begin);
    if (rc != SQLITE_OK)
        goto fail;
    int64_t start = time_mono_ns();
    int64_t last_hour = INT64_MIN; /* no hour_of() value */
    for (const struct store_batch *b = list; b; b = b->next) {
        for (size_t i = 0; i < b->count; i++) {
            rc = insert_row(s, &b->rows[i], &last_hour);
            if (rc != SQLITE_DONE)
                goto fail;
        }
    }
    rc = step_once(s->commit);
    if (rc != SQLITE_OK)
        goto fail;
    *took_ns = time_mono_ns() - start;
    return 0;
fail:;
    int status = sqlite_errno(s->db, rc);
    if (!is_busy(rc)) {
        char q[256], m[256];
        log_error("commit failed, reports not stored", "db=%s rows=%zu errno=%s err=%s",
                  log_quote(s->db_path, q, sizeof(q)), rows, strerrorname_np(-status),
                  log_quote(sqlite3_errmsg(s->db), m, sizeof(m)));
    }
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

/* After the transaction of list ended with status: the figures, then every
 * callback in order, then the queue accounting. */
static void finish_list(struct store *s, struct store_batch *list, size_t rows, size_t batches,
                        int status, int64_t took_ns)
{
    /* The figures first: a client that got its answer and then asks for
     * them must find its reports counted. */
    pthread_mutex_lock(&s->mu);
    if (status == 0) {
        s->stats.commits++;
        s->stats.rows += rows;
        s->stats.last_commit_ns = took_ns;
    } else {
        s->stats.failures++;
    }
    pthread_mutex_unlock(&s->mu);
    if (status == 0)
        prom_observe_ns(s->commit_duration, 0, took_ns);

    for (struct store_batch *b = list, *next; b; b = next) {
        next = b->next; /* the callback may free b */
        b->done(b->arg, status);
    }

    pthread_mutex_lock(&s->mu);
    s->stats.queued -= rows;
    s->completed += batches;
    pthread_cond_broadcast(&s->progress);
    pthread_mutex_unlock(&s->mu);
}

static void count_list(const struct store_batch *list, size_t *rows, size_t *batches)
{
    *rows = *batches = 0;
    for (const struct store_batch *b = list; b; b = b->next) {
        *rows += b->count;
        (*batches)++;
    }
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Take dbmu for a transaction. The other event loop's commit holds it for
 * tens of microseconds, while a thread that sleeps on a mutex waits for the
 * scheduler to run it again: 230-270 us on average on 2 cores busy with
 * the clients (perf, sched_switch), and meanwhile its own connections wait
 * too. So spin up to DB_SPIN_NS before sleeping. */
static void lock_db(struct store *s)
{
    if (pthread_mutex_trylock(&s->dbmu) == 0)
        return;
    int64_t until = time_mono_ns() + DB_SPIN_NS;
    do {
        for (int i = 0; i < 16; i++)
            cpu_relax();
        if (pthread_mutex_trylock(&s->dbmu) == 0)
            return;
    } while (time_mono_ns() < until);
    pthread_mutex_lock(&s->dbmu);
}

/* One attempt at the transaction, with the connection to ourselves. */
static int write_locked(struct store *s, const struct store_batch *list, size_t rows,
                        int64_t *took_ns)
{
    lock_db(s);
    int status = write_batches(s, list, rows, took_ns);
    pthread_mutex_unlock(&s->dbmu);
    return status;
}

/* The writer's commit of a taken queue: retry while another process holds
 * the database, then finish. */
static void commit_list(struct store *s, struct store_batch *list)
{
    size_t rows, batches;
    count_list(list, &rows, &batches);
    int64_t took_ns = 0, busy_since = 0;
    int status;
    char q[256];
    while ((status = write_locked(s, list, rows, &took_ns)) == -EBUSY) {
        if (!busy_since) {
            busy_since = time_mono_ns();
            log_warn("database is locked by another process, retrying", "db=%s rows=%zu",
                     log_quote(s->db_path, q, sizeof(q)), rows);
        }
        nanosleep(&(struct timespec){0, STORE_BUSY_PAUSE_NS}, NULL);
    }
    if (busy_since)
        log_info("database lock released", "db=%s waited_ms=%lld",
                 log_quote(s->db_path, q, sizeof(q)),
                 (long long)((time_mono_ns() - busy_since) / 1000000));
    finish_list(s, list, rows, batches, status, took_ns);
}

static void *writer_main(void *arg)
{
    struct store *s = arg;
    pthread_setname_np(pthread_self(), "dw-store");
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->closing)
            pthread_cond_wait(&s->work, &s->mu);
        if (!s->head)
            break; /* closing, and the queue is drained */
        struct store_batch *list = s->head;
        s->head = s->tail = NULL;
        pthread_mutex_unlock(&s->mu);
        commit_list(s, list);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- API ---------------------------------------------------------------- */

/* Release whatever store_open set up; the writer has stopped. */
static void store_free(struct store *s)
{
    ckpt_stop(s->ckpt);
    sqlite3_finalize(s->mark);
    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->commit);
    sqlite3_finalize(s->begin);
    sqlite3_close(s->db);
    sqlite3_close(s->reader);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    pthread_cond_destroy(&s->progress);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->dbmu);
    pthread_mutex_destroy(&s->readmu);
    free(s->by_db_id);
    free(s->db_ids);
    free(s->db_path);
    free(s);
}

static void disable_memstatus(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct store *store_open(const struct store_config *cfg, const struct catalog *cat,
                         char *err, size_t errsz)
{
    /* SQLite's memory statistics take a global mutex around each of its
     * allocations, and nothing here reads them. Only possible before SQLite
     * starts: later stores in the same process find it done (or refused,
     * harmlessly). */
    static pthread_once_t sqlite_setup = PTHREAD_ONCE_INIT;
    pthread_once(&sqlite_setup, disable_memstatus);
    struct store *s = xcalloc(1, sizeof(*s));
    s->lock_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->dbmu, NULL);
    pthread_mutex_init(&s->readmu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->progress, NULL);
    int fresh = 0;
    int64_t version = 0;

    if (!cfg->dir || !cfg->dir[0]) {
        err_set(err, errsz, "no data directory given");
        goto fail;
    }
    s->db_path = path_join(cfg->dir, "downwatch.db");
    s->queue_max = cfg->queue_max;
    s->stats.queue_max = cfg->queue_max;
    s->commit_duration = prom_register(&commit_duration_spec);
    s->n_services = catalog_count(cat);
    s->db_ids = xcalloc(s->n_services, sizeof(*s->db_ids));

    int rc = make_dirs(cfg->dir);
    if (rc < 0) {
        err_set(err, errsz, "cannot create data directory %s: %s", cfg->dir, strerror(-rc));
        goto fail;
    }
    s->lock_fd = take_lock(cfg->dir, err, errsz);
    if (s->lock_fd < 0)
        goto fail;

    rc = sqlite3_open_v2(s->db_path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err_set(err, errsz, "cannot open %s: %s", s->db_path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        err_set(err, errsz, "%s is not writable", s->db_path);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

    if (check_database(s->db, s->db_path, &fresh, &version, err, errsz) < 0 ||
        configure(s->db, cfg->sync, err, errsz) < 0 ||
        install(s, cat, fresh, version, err, errsz) < 0)
        goto fail;
    rc = sqlite3_prepare_v3(s->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &s->insert, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, mark_sql, -1, SQLITE_PREPARE_PERSISTENT, &s->mark, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT,
                                &s->begin, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &s->commit, NULL);
    if (rc != SQLITE_OK) {
        err_set(err, errsz, "cannot prepare the inserts into %s: %s", s->db_path,
                sqlite3_errmsg(s->db));
        goto fail;
    }
    /* From here on nobody waits inside SQLite while holding dbmu (the HTTP
     * loops would stall behind it): a busy database is retried by the
     * writer between pauses, with dbmu released. */
    sqlite3_busy_timeout(s->db, 0);
    s->ckpt = ckpt_start(s->db, s->db_path, cfg->sync == STORE_SYNC_FULL ? "FULL" : "NORMAL",
                         err, errsz);
    if (!s->ckpt)
        goto fail;
    rc = pthread_create(&s->writer, NULL, writer_main, s);
    if (rc != 0) {
        err_set(err, errsz, "cannot start the writer thread: %s", strerror(rc));
        goto fail;
    }

    char q[256];
    log_info("store opened", "db=%s sync=%s services=%zu", log_quote(s->db_path, q, sizeof(q)),
             cfg->sync == STORE_SYNC_FULL ? "full" : "normal", s->n_services);
    return s;
fail:
    store_free(s);
    return NULL;
}

void store_commit_now(struct store *s, struct store_batch *list)
{
    size_t rows, batches;
    count_list(list, &rows, &batches);
    pthread_mutex_lock(&s->mu);
    int refuse = s->closing ? -ESHUTDOWN : 0;
    if (!refuse) {
        s->stats.queued += rows;
        s->submitted += batches;
    }
    pthread_mutex_unlock(&s->mu);
    if (refuse) {
        for (struct store_batch *b = list, *next; b; b = next) {
            next = b->next;
            b->done(b->arg, refuse);
        }
        return;
    }
    int64_t took_ns = 0;
    int status = write_locked(s, list, rows, &took_ns);
    if (status != -EBUSY) {
        finish_list(s, list, rows, batches, status, took_ns);
        return;
    }
    /* Locked by another process: the writer waits it out, while the queue
     * has room; beyond that the reports are refused (503), not hoarded. */
    pthread_mutex_lock(&s->mu);
    int full = s->stats.queued - rows > 0 && s->stats.queued - rows >= s->queue_max;
    if (!full) {
        struct store_batch *last = list;
        while (last->next)
            last = last->next;
        if (s->tail)
            s->tail->next = list;
        else
            s->head = list;
        s->tail = last;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->mu);
    if (full)
        finish_list(s, list, rows, batches, -EAGAIN, 0);
}

int store_submit(struct store *s, struct store_batch *b)
{
    if (!b->done)
        return -EINVAL;
    for (size_t i = 0; i < b->count; i++) {
        if (b->rows[i].service < 0 || (size_t)b->rows[i].service >= s->n_services)
            return -EINVAL;
    }
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->closing) {
        rc = -ESHUTDOWN;
    } else if (s->stats.queued > 0 && s->stats.queued >= s->queue_max) {
        rc = -EAGAIN;
    } else {
        b->next = NULL;
        if (s->tail)
            s->tail->next = b;
        else
            s->head = b;
        s->tail = b;
        s->stats.queued += b->count;
        s->submitted++;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void store_flush(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t target = s->submitted;
    while (s->completed < target)
        pthread_cond_wait(&s->progress, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

long store_scan(struct store *s, int64_t since,
                void (*fn)(void *arg, const struct store_report *r), void *arg)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long count = 0;
    int rc = sqlite3_open_v2(s->db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
    rc = sqlite3_prepare_v2(db, scan_sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, hour_of(since));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct service_map key = {sqlite3_column_int64(st, 2), 0};
        const struct service_map *m =
            bsearch(&key, s->by_db_id, s->n_by_db_id, sizeof(key), compare_map);
        if (!m)
            continue; /* a service the current catalog does not have */
        struct store_report r = {
            .ts = sqlite3_column_int64(st, 0),
            .received = sqlite3_column_int64(st, 1),
            .service = m->index,
            .country = sqlite3_column_int(st, 3),
            .problem = sqlite3_column_int(st, 4),
            .counted = sqlite3_column_int(st, 5),
            .voter = (uint64_t)sqlite3_column_int64(st, 6),
        };
        const unsigned char *client = sqlite3_column_text(st, 7);
        if (client) {
            size_t len = (size_t)sqlite3_column_bytes(st, 7);
            if (len > REP_CLIENT_MAX)
                len = REP_CLIENT_MAX;
            memcpy(r.client, client, len);
        }
        fn(arg, &r);
        count++;
    }
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return count;
fail:;
    char q[256];
    log_error("scan failed", "db=%s err=%s", log_quote(s->db_path, q, sizeof(q)),
              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    int status = db ? sqlite_errno(db, rc) : -EIO;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return status;
}

void store_get_stats(struct store *s, struct store_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
    struct ckpt_stats ck;
    ckpt_get_stats(s->ckpt, &ck);
    out->checkpoints_background = ck.background;
    out->checkpoints_writer = ck.writer;
    out->wal_pages = ck.wal_pages;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL); /* the writer drains the queue first */

    pthread_mutex_lock(&s->dbmu);
    ckpt_stop(s->ckpt);
    s->ckpt = NULL;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    pthread_mutex_unlock(&s->dbmu);
    char q[256];
    if (rc != SQLITE_OK)
        log_warn("checkpoint at close failed", "db=%s err=%s",
                 log_quote(s->db_path, q, sizeof(q)), sqlite3_errmsg(s->db));
    log_info("store closed", "db=%s", log_quote(s->db_path, q, sizeof(q)));
    store_free(s);
}

/* ---- incidents ------------------------------------------------------------
 * Latest states in `incidents`, every state in `incident_updates`. Writes go
 * through the writer's connection under dbmu, one transaction per call; they
 * are rare (an open incident changes once a minute) and short. A busy
 * database (another process holding the write lock) is retried briefly, then
 * reported. Reads share one read-only connection, opened on first use. */

#define PUT_ATTEMPTS 50
#define PUT_PAUSE_NS 10000000L

static const char upsert_sql[] =
    "INSERT OR REPLACE INTO incidents(id, service, grp, start, detected_at, end, updated, json)"
    " VALUES(?, ?, ?, ?, ?, ?, ?, ?)";
static const char timeline_sql[] =
    "INSERT OR IGNORE INTO incident_updates(incident, updated, event, json) VALUES(?, ?, ?, ?)";

/* The states of an incident_rows, inside the caller's transaction.
 * Returns an SQLite result code. */
struct incident_rows {
    const struct store_incident *rows;
    size_t n;
};

static int put_rows(sqlite3 *db, void *arg)
{
    const struct incident_rows *r = arg;
    sqlite3_stmt *up = NULL, *tl = NULL;
    int rc = sqlite3_prepare_v2(db, upsert_sql, -1, &up, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, timeline_sql, -1, &tl, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < r->n; i++) {
        const struct store_incident *row = &r->rows[i];
        sqlite3_bind_text(up, 1, row->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 2, row->service, -1, SQLITE_STATIC);
        if (row->group)
            sqlite3_bind_text(up, 3, row->group, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(up, 3);
        sqlite3_bind_int64(up, 4, row->start);
        sqlite3_bind_int64(up, 5, row->detected_at);
        if (row->end >= 0)
            sqlite3_bind_int64(up, 6, row->end);
        else
            sqlite3_bind_null(up, 6);
        sqlite3_bind_int64(up, 7, row->updated);
        sqlite3_bind_text(up, 8, row->json, -1, SQLITE_STATIC);
        rc = sqlite3_step(up);
        sqlite3_reset(up);
        if (rc != SQLITE_DONE)
            break;
        sqlite3_bind_text(tl, 1, row->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(tl, 2, row->updated);
        sqlite3_bind_text(tl, 3, row->event, -1, SQLITE_STATIC);
        sqlite3_bind_text(tl, 4, row->json, -1, SQLITE_STATIC);
        rc = sqlite3_step(tl);
        sqlite3_reset(tl);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(up);
    sqlite3_finalize(tl);
    return rc;
}

/* write(db, arg) between BEGIN IMMEDIATE and COMMIT, rolled back when it
 * fails. Returns an SQLite result code. */
static int transaction(sqlite3 *db, int (*write)(sqlite3 *db, void *arg), void *arg)
{
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = write(db, arg);
    if (rc == SQLITE_OK || rc == SQLITE_DONE)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Run one short write transaction, write(db, arg), on the writer's
 * connection, retrying briefly while another process holds the database.
 * Returns an SQLite result code. */
static int write_retrying(struct store *s, int (*write)(sqlite3 *db, void *arg), void *arg)
{
    int rc = SQLITE_BUSY;
    for (int attempt = 0; attempt < PUT_ATTEMPTS && (rc & 0xff) == SQLITE_BUSY; attempt++) {
        if (attempt) {
            struct timespec pause = {0, PUT_PAUSE_NS};
            nanosleep(&pause, NULL);
        }
        pthread_mutex_lock(&s->dbmu);
        rc = transaction(s->db, write, arg);
        pthread_mutex_unlock(&s->dbmu);
    }
    return rc;
}

int store__write(struct store *s, int (*write)(sqlite3 *db, void *arg), void *arg)
{
    int rc = write_retrying(s, write, arg);
    return rc == SQLITE_OK ? 0 : sqlite_errno(s->db, rc);
}

int store_put_incidents(struct store *s, const struct store_incident *rows, size_t n)
{
    if (n == 0)
        return 0;
    struct incident_rows r = {rows, n};
    return store__write(s, put_rows, &r);
}

/* The read connection, locked (release with reader_done), or NULL when it
 * cannot be opened (unlocked then). */
static sqlite3 *reader(struct store *s)
{
    pthread_mutex_lock(&s->readmu);
    if (!s->reader) {
        if (sqlite3_open_v2(s->db_path, &s->reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
            sqlite3_close(s->reader);
            s->reader = NULL;
            pthread_mutex_unlock(&s->readmu);
            return NULL;
        }
        sqlite3_busy_timeout(s->reader, STORE_BUSY_TIMEOUT_MS);
    }
    return s->reader;
}

static void reader_done(struct store *s, sqlite3 *db)
{
    if (db)
        pthread_mutex_unlock(&s->readmu);
}

int store__run(sqlite3 *db, struct store__query *q)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, q->sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (q->bind)
        q->bind(st, q->params);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        q->row(st, q->arg);
        q->count++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int run_query(sqlite3 *db, void *q)
{
    return store__run(db, q);
}

long store__select(struct store *s, struct store__query *q)
{
    return store__read(s, run_query, q) < 0 ? -1 : q->count;
}

void store__bind_text(sqlite3_stmt *st, int i, const char *text)
{
    if (text)
        sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int64_t store__column_or_none(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

int store__read(struct store *s, int (*read)(sqlite3 *db, void *arg), void *arg)
{
    sqlite3 *db = reader(s);
    if (!db)
        return -EIO;
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = read(db, arg);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    reader_done(s, db);
    return rc == SQLITE_OK || rc == SQLITE_DONE ? 0 : -EIO;
}

long store_each_incident(struct store *s, const struct store_incident_filter *f,
                         void (*fn)(void *arg, const struct store_incident *inc), void *arg)
{
    sqlite3 *db = reader(s);
    sqlite3_stmt *st = NULL;
    long count = 0;
    if (!db || sqlite3_prepare_v2(db,
                                  "SELECT id, service, grp, start, detected_at, end, updated, json"
                                  " FROM incidents"
                                  " WHERE (?1 IS NULL OR service = ?1)"
                                  "   AND (?2 IS NULL OR grp = ?2)"
                                  "   AND (?3 = 0 OR end IS NULL)"
                                  "   AND (end IS NULL OR end >= ?4)"
                                  " ORDER BY start DESC, id LIMIT ?5",
                                  -1, &st, NULL) != SQLITE_OK) {
        count = -1;
        goto out;
    }
    if (f->service)
        sqlite3_bind_text(st, 1, f->service, -1, SQLITE_STATIC);
    if (f->group)
        sqlite3_bind_text(st, 2, f->group, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, f->open_only);
    sqlite3_bind_int64(st, 4, f->since);
    sqlite3_bind_int(st, 5, f->limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_incident inc = {
            .id = (const char *)sqlite3_column_text(st, 0),
            .service = (const char *)sqlite3_column_text(st, 1),
            .group = (const char *)sqlite3_column_text(st, 2),
            .start = sqlite3_column_int64(st, 3),
            .detected_at = sqlite3_column_int64(st, 4),
            .end = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5),
            .updated = sqlite3_column_int64(st, 6),
            .json = (const char *)sqlite3_column_text(st, 7),
        };
        fn(arg, &inc);
        count++;
    }
    if (rc != SQLITE_DONE)
        count = -1;
out:
    sqlite3_finalize(st);
    reader_done(s, db);
    return count;
}

struct json_list {
    struct buf *out;
    long n;
};

static void append_json(void *arg, const struct store_incident *inc)
{
    struct json_list *l = arg;
    if (l->n++)
        buf_putc(l->out, ',');
    buf_puts(l->out, inc->json);
}

long store_list_incidents(struct store *s, const struct store_incident_filter *f,
                          struct buf *out)
{
    struct json_list l = {out, 0};
    return store_each_incident(s, f, append_json, &l);
}

static void pass_state(sqlite3_stmt *st, const char *id, const struct store_incident_reader *r)
{
    (void)id;
    r->state(r->arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
             (const char *)sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2));
}

static void pass_update(sqlite3_stmt *st, const char *id, const struct store_incident_reader *r)
{
    struct store_update u = {
        .id = sqlite3_column_int64(st, 0),
        .incident = id,
        .at = sqlite3_column_int64(st, 1),
        .text = (const char *)sqlite3_column_text(st, 2),
        .status = (const char *)sqlite3_column_text(st, 3),
    };
    r->update(r->arg, &u);
}

/* Run sql, which selects rows of the incident bound as ?1, and hand each
 * row to pass. Returns an SQLite result code. */
static int each_row(sqlite3 *db, const char *sql, const char *id,
                    void (*pass)(sqlite3_stmt *st, const char *id,
                                 const struct store_incident_reader *r),
                    const struct store_incident_reader *r)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        pass(st, id, r);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_get_incident(struct store *s, const char *id, struct buf *out,
                       const struct store_incident_reader *r)
{
    sqlite3 *db = reader(s);
    sqlite3_stmt *st = NULL;
    int found = -1;
    /* One read transaction: the state, its timeline and its updates agree. */
    if (!db || sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT json FROM incidents WHERE id = ?", -1, &st, NULL) !=
            SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        found = rc == SQLITE_DONE ? 0 : -1;
        goto out;
    }
    buf_append(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    if (each_row(db,
                 "SELECT updated, event, json FROM incident_updates"
                 " WHERE incident = ?1 ORDER BY updated, event",
                 id, pass_state, r) == SQLITE_OK &&
        each_row(db,
                 "SELECT id, at, text, status FROM official_updates"
                 " WHERE incident = ?1 ORDER BY id",
                 id, pass_update, r) == SQLITE_OK)
        found = 1;
out:
    sqlite3_finalize(st);
    if (db && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    reader_done(s, db);
    return found;
}

/* ---- official updates and groups ---------------------------------------- */

static int insert_update(sqlite3 *db, void *arg)
{
    struct store_update *u = arg;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO official_updates(incident, at, text, status)"
                                " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS"
                                " (SELECT 1 FROM incidents WHERE id = ?1)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, u->incident, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, u->at);
    sqlite3_bind_text(st, 3, u->text, -1, SQLITE_STATIC);
    if (u->status)
        sqlite3_bind_text(st, 4, u->status, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    rc = sqlite3_step(st);
    u->id = rc == SQLITE_DONE && sqlite3_changes(db) == 1 ? sqlite3_last_insert_rowid(db) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_add_update(struct store *s, struct store_update *u)
{
    int rc = write_retrying(s, insert_update, u);
    if (rc != SQLITE_OK)
        return sqlite_errno(s->db, rc);
    return u->id > 0;
}

long store_list_groups(struct store *s, const struct store_group_filter *f,
                       void (*fn)(void *arg, const struct store_group_member *m), void *arg)
{
    sqlite3 *db = reader(s);
    sqlite3_stmt *st = NULL;
    long groups = -1;
    /* A group is named after its first incident, whose grp is its own id;
     * an incident that never grouped is a group of one under its own id. */
    if (!db || sqlite3_prepare_v2(db,
                                  "WITH g AS ("
                                  "  SELECT coalesce(grp, id) AS gid, min(start) AS gstart"
                                  "  FROM incidents GROUP BY gid"
                                  "  HAVING count(*) >= ?1 AND (?2 = 0 OR sum(end IS NULL) > 0)"
                                  "     AND (?3 IS NULL OR gid = ?3)"
                                  "  ORDER BY gstart DESC, gid LIMIT ?4)"
                                  " SELECT g.gid, i.id, i.service, i.start, i.end"
                                  " FROM g JOIN incidents i ON coalesce(i.grp, i.id) = g.gid"
                                  " ORDER BY g.gstart DESC, g.gid, i.start, i.id",
                                  -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int(st, 1, f->min_incidents);
    sqlite3_bind_int(st, 2, f->open_only);
    if (f->id)
        sqlite3_bind_text(st, 3, f->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, f->limit);
    int rc;
    char last[256] = "";
    groups = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_group_member m = {
            .group = (const char *)sqlite3_column_text(st, 0),
            .id = (const char *)sqlite3_column_text(st, 1),
            .service = (const char *)sqlite3_column_text(st, 2),
            .start = sqlite3_column_int64(st, 3),
            .end = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4),
        };
        if (strcmp(m.group, last) != 0) {
            groups++;
            snprintf(last, sizeof(last), "%s", m.group);
        }
        fn(arg, &m);
    }
    if (rc != SQLITE_DONE)
        groups = -1;
out:
    sqlite3_finalize(st);
    reader_done(s, db);
    return groups;
}
