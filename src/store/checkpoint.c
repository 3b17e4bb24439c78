/* checkpoint.c - WAL checkpoints off the threads that commit (see
 * checkpoint.h).
 *
 * The hook, called by SQLite after every commit on the writer's connection
 * with the WAL's size in pages, only reads that size: under `due` it does
 * nothing; past it, it raises `pending` and signals the thread unless a
 * request is already pending (one atomic load per commit); past
 * CKPT_WRITER_PAGES it checkpoints right there. The thread sleeps on a
 * condition variable until `pending`, runs one PASSIVE checkpoint, moves
 * `due` CKPT_PAGES past the WAL's size at that checkpoint (a WAL that keeps
 * growing is checkpointed every CKPT_PAGES, not after every commit), and
 * only then lowers `pending`, so commits during a checkpoint do not queue
 * another. A WAL that shrank has restarted: `due` goes back to CKPT_PAGES.
 * While the WAL is past CKPT_PAGES with frames that the last checkpoint did
 * not copy (commits came in during or after it), the thread also wakes
 * after CKPT_QUIET_MS without a request: when a flood ends, the WAL is
 * caught up and the next commit restarts it. The hook raises `pending`
 * before it takes the mutex to signal, and the thread reads it under that
 * mutex before it sleeps: no wake-up is lost. */
#include "store/checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

struct ckpt {
    sqlite3 *writer;
    sqlite3 *db; /* the thread's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int stopping;             /* under mu */
    atomic_int pending;       /* a checkpoint was asked for and has not ended */
    atomic_int due;           /* WAL pages that call for the next checkpoint */
    int last_pages;           /* the hook's: the WAL's size at the last commit */
    _Atomic uint64_t background, by_writer, wal_pages;
};

static int on_commit(void *arg, sqlite3 *db, const char *schema, int pages)
{
    struct ckpt *c = arg;
    atomic_store_explicit(&c->wal_pages, (uint64_t)pages, memory_order_relaxed);
    if (pages < c->last_pages)
        atomic_store_explicit(&c->due, CKPT_PAGES, memory_order_relaxed);
    c->last_pages = pages;
    if (pages >= CKPT_WRITER_PAGES) {
        /* BUSY: the thread is checkpointing; the next commit tries again. */
        if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
            SQLITE_OK)
            atomic_fetch_add_explicit(&c->by_writer, 1, memory_order_relaxed);
        return SQLITE_OK;
    }
    if (pages >= atomic_load_explicit(&c->due, memory_order_relaxed) &&
        !atomic_load_explicit(&c->pending, memory_order_relaxed) &&
        !atomic_exchange(&c->pending, 1)) {
        pthread_mutex_lock(&c->mu);
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK; /* an error here would fail a statement whose commit happened */
}

/* One PASSIVE checkpoint. Returns the WAL frames now in the database. */
static uint64_t checkpoint_once(struct ckpt *c, int *last_rc)
{
    int log_pages = 0, done_pages = 0;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages,
                                       &done_pages);
    if (rc == SQLITE_OK) {
        atomic_fetch_add_explicit(&c->background, 1, memory_order_relaxed);
        atomic_store_explicit(&c->due, log_pages + CKPT_PAGES, memory_order_relaxed);
    } else if (rc != *last_rc && rc != SQLITE_BUSY) {
        log_warn("WAL checkpoint failed, retrying after the next commit", "err=%s",
                 sqlite3_errmsg(c->db));
    }
    *last_rc = rc;
    return rc == SQLITE_OK && done_pages > 0 ? (uint64_t)done_pages : 0;
}

/* Whether the WAL, as the last commit left it, is long and holds frames
 * that the last checkpoint did not copy. */
static int left_behind(struct ckpt *c, uint64_t backfilled)
{
    uint64_t pages = atomic_load_explicit(&c->wal_pages, memory_order_relaxed);
    return pages >= CKPT_PAGES && pages != backfilled;
}

static void *ckpt_main(void *arg)
{
    struct ckpt *c = arg;
    pthread_setname_np(pthread_self(), "dw-checkpoint");
    int last_rc = SQLITE_OK;
    uint64_t backfilled = 0;
    for (;;) {
        struct timespec quiet_end;
        clock_gettime(CLOCK_MONOTONIC, &quiet_end);
        quiet_end.tv_nsec += CKPT_QUIET_MS * 1000000L;
        if (quiet_end.tv_nsec >= 1000000000L) {
            quiet_end.tv_sec++;
            quiet_end.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&c->mu);
        int waited = 0;
        while (!c->stopping && !atomic_load(&c->pending) && waited != ETIMEDOUT)
            waited = left_behind(c, backfilled)
                         ? pthread_cond_timedwait(&c->wake, &c->mu, &quiet_end)
                         : pthread_cond_wait(&c->wake, &c->mu);
        int stopping = c->stopping;
        pthread_mutex_unlock(&c->mu);
        if (stopping)
            break;
        backfilled = checkpoint_once(c, &last_rc);
        atomic_store(&c->pending, 0);
    }
    return NULL;
}

struct ckpt *ckpt_start(sqlite3 *writer, const char *db_path, const char *synchronous,
                        char *err, size_t errsz)
{
    struct ckpt *c = xcalloc(1, sizeof(*c));
    c->writer = writer;
    atomic_init(&c->due, CKPT_PAGES);
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wake, &attr);
    pthread_condattr_destroy(&attr);
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA synchronous=%s", synchronous);
    int rc = sqlite3_open_v2(db_path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, pragma, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        err_set(err, errsz, "cannot open %s for checkpoints: %s", db_path,
                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        goto fail;
    }
    rc = pthread_create(&c->thread, NULL, ckpt_main, c);
    if (rc != 0) {
        err_set(err, errsz, "cannot start the checkpoint thread: %s", strerror(rc));
        goto fail;
    }
    sqlite3_wal_hook(writer, on_commit, c);
    return c;
fail:
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return NULL;
}

void ckpt_stop(struct ckpt *c)
{
    if (!c)
        return;
    sqlite3_wal_autocheckpoint(c->writer, CKPT_PAGES); /* replaces our hook */
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void ckpt_get_stats(struct ckpt *c, struct ckpt_stats *out)
{
    if (!c) {
        *out = (struct ckpt_stats){0};
        return;
    }
    out->background = atomic_load_explicit(&c->background, memory_order_relaxed);
    out->writer = atomic_load_explicit(&c->by_writer, memory_order_relaxed);
    out->wal_pages = atomic_load_explicit(&c->wal_pages, memory_order_relaxed);
}
