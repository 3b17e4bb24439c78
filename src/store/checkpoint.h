/* checkpoint.h - WAL checkpoints off the threads that commit.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that finds the WAL
 * past 1000 pages, on the committing thread. With synchronous=NORMAL it
 * fsyncs the WAL and the database file: 1-3 ms in which that HTTP event loop
 * answers nobody and the other loop waits for the writer's connection.
 * Under a report flood that was 20+ checkpoints a second.
 *
 * ckpt_start replaces it with a WAL hook on the writer's connection. Past
 * CKPT_PAGES the hook wakes a thread that runs PASSIVE checkpoints through a
 * connection of its own (a passive checkpoint takes no lock that a writer
 * needs, and waits for nobody). The WAL restarts from its beginning only
 * when a write begins with every frame in the database. When commits pause
 * (CKPT_QUIET_MS), the thread gets there; while they keep coming it never
 * does, so past CKPT_WRITER_PAGES the hook checkpoints on the committing
 * thread, as SQLite would have, which copies the few frames left and lets
 * the next transaction restart the WAL. That keeps the WAL under about
 * CKPT_WRITER_PAGES pages (64 MiB) and leaves one checkpoint in ~16, a
 * short one, to the committing thread.
 *
 * Threads: ckpt_start and ckpt_stop by the writer connection's owner while
 * nobody commits on it; the hook runs on whichever thread commits (the
 * caller serialises them: one connection); ckpt_get_stats anywhere. */
#ifndef DW_STORE_CHECKPOINT_H
#define DW_STORE_CHECKPOINT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define CKPT_PAGES 1000          /* WAL pages that wake the checkpoint thread */
#define CKPT_WRITER_PAGES 16384  /* WAL pages past which the committer checkpoints */
#define CKPT_QUIET_MS 100        /* no request this long: finish a checkpoint left behind */

struct ckpt_stats {
    uint64_t background; /* checkpoints by the checkpoint thread */
    uint64_t writer;     /* checkpoints on the committing thread */
    uint64_t wal_pages;  /* frames in the WAL after the last commit */
};

struct ckpt;

/* Open a second connection to db_path (synchronous as given: "NORMAL" or
 * "FULL"), start the checkpoint thread and install the hook on writer,
 * which turns SQLite's automatic checkpoint off. Returns NULL with a
 * sentence in err on failure (nothing is left installed). */
struct ckpt *ckpt_start(sqlite3 *writer, const char *db_path, const char *synchronous,
                        char *err, size_t errsz);

/* Remove the hook (the writer's connection gets SQLite's automatic
 * checkpoint back), stop and join the thread, close its connection. NULL is
 * a no-op. */
void ckpt_stop(struct ckpt *c);

/* Zeros for NULL. */
void ckpt_get_stats(struct ckpt *c, struct ckpt_stats *out);

#endif
