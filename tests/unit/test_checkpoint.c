/* test_checkpoint.c - unit tests of the WAL checkpoint thread: a real SQLite
 * file in WAL mode in a fresh mkdtemp directory, a writer connection that
 * commits rows of one page each, and the checks an operator would make on
 * the files (the WAL's size in pages after a commit, the rows readable
 * through another connection).
 *
 * Run one test by name: test_checkpoint NAME (or a glob). */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/checkpoint.h"

struct fixture {
    char tmp[64];
    char db_path[96];
    sqlite3 *writer;
    sqlite3_stmt *insert; /* one row of 3500 bytes: a page of its own */
    int64_t rows;         /* committed so far */
};

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    snprintf(f->tmp, sizeof(f->tmp), "/tmp/test_checkpoint.XXXXXX");
    if (!mkdtemp(f->tmp))
        return -1;
    snprintf(f->db_path, sizeof(f->db_path), "%s/t.db", f->tmp);
    if (sqlite3_open_v2(f->db_path, &f->writer,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        return -1;
    exec_ok(f->writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                       "CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB)");
    if (sqlite3_prepare_v2(f->writer, "INSERT INTO t(body) VALUES(zeroblob(3500))", -1,
                           &f->insert, NULL) != SQLITE_OK)
        return -1;
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sqlite3_finalize(f->insert);
    sqlite3_close(f->writer);
    nftw(f->tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Commit n transactions of one row each. */
static void commit_rows(struct fixture *f, int n)
{
    for (int i = 0; i < n; i++) {
        if (sqlite3_step(f->insert) != SQLITE_DONE)
            fail_msg("insert: %s", sqlite3_errmsg(f->writer));
        sqlite3_reset(f->insert);
        f->rows++;
    }
}

/* Frames in the WAL, as a checkpoint by another connection reports them. */
static int wal_frames(struct fixture *f)
{
    sqlite3 *db = NULL;
    int log_frames = -1;
    assert_int_equal(sqlite3_open_v2(f->db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, NULL);
    sqlite3_close(db);
    return log_frames;
}

static int64_t count_rows_elsewhere(struct fixture *f)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static struct ckpt *start(struct fixture *f)
{
    char err[256] = "";
    struct ckpt *c = ckpt_start(f->writer, f->db_path, "NORMAL", err, sizeof(err));
    if (!c)
        fail_msg("ckpt_start: %s", err);
    return c;
}

/* Commit a row every pause_ms until the WAL, after a commit, is back under
 * CKPT_PAGES (it restarted), for at most 10 s. Returns its size then. */
static uint64_t commit_until_wal_restarts(struct fixture *f, struct ckpt *c, long pause_ms)
{
    struct ckpt_stats st;
    int64_t until = time_mono_ns() + 10 * 1000000000LL;
    do {
        commit_rows(f, 1);
        ckpt_get_stats(c, &st);
        if (st.wal_pages < CKPT_PAGES)
            return st.wal_pages;
        nanosleep(&(struct timespec){0, pause_ms * 1000000L}, NULL);
    } while (time_mono_ns() < until);
    return st.wal_pages;
}

static void test_the_thread_checkpoints_and_the_wal_restarts_without_the_committer(void **state)
{
    struct fixture *f = *state;
    struct ckpt *c = start(f);
    commit_rows(f, CKPT_PAGES); /* 3 frames each: past CKPT_PAGES, far from the limit */
    /* Then a trickle: the thread catches up in a pause, and a commit after
     * that restarts the WAL. */
    assert_true(commit_until_wal_restarts(f, c, 2 * CKPT_QUIET_MS) < CKPT_PAGES);
    struct ckpt_stats st;
    ckpt_get_stats(c, &st);
    assert_true(st.background >= 1);
    assert_int_equal(st.writer, 0); /* the committer never checkpointed */
    ckpt_stop(c);
    assert_int_equal(count_rows_elsewhere(f), f->rows);
}

static void test_a_steady_stream_of_commits_keeps_the_wal_under_the_limit(void **state)
{
    struct fixture *f = *state;
    struct ckpt *c = start(f);
    uint64_t most = 0;
    for (int i = 0; i < 3 * CKPT_WRITER_PAGES / 3; i++) { /* ~3 WAL limits' worth */
        commit_rows(f, 1);
        struct ckpt_stats st;
        ckpt_get_stats(c, &st);
        most = st.wal_pages > most ? st.wal_pages : most;
    }
    struct ckpt_stats st;
    ckpt_get_stats(c, &st);
    /* About the limit (a committer's checkpoint finds the thread's running
     * now and then, and tries again after the next commit), not the
     * 3 x CKPT_WRITER_PAGES written. */
    assert_true(most < CKPT_WRITER_PAGES + CKPT_PAGES);
    assert_true(st.background >= 1);
    ckpt_stop(c);
    assert_int_equal(count_rows_elsewhere(f), f->rows);
}

static void test_a_reader_pinning_the_wal_makes_the_committer_checkpoint_past_the_limit(
    void **state)
{
    struct fixture *f = *state;
    struct ckpt *c = start(f);
    commit_rows(f, 10);
    /* A read transaction keeps its snapshot: no checkpoint may copy the
     * frames after it, and the WAL cannot restart while it lasts. */
    sqlite3 *reader = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->db_path, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    exec_ok(reader, "BEGIN");
    assert_int_equal(sqlite3_prepare_v2(reader, "SELECT count(*) FROM t", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 10);
    sqlite3_finalize(st);

    commit_rows(f, CKPT_WRITER_PAGES + 100);
    struct ckpt_stats stats;
    ckpt_get_stats(c, &stats);
    assert_true(stats.wal_pages > CKPT_WRITER_PAGES);
    assert_true(stats.writer >= 1); /* tried, and copied what the reader allowed */

    exec_ok(reader, "COMMIT");
    sqlite3_close(reader);
    /* Let go of, the WAL is caught up and restarts. */
    assert_true(commit_until_wal_restarts(f, c, 1) < CKPT_PAGES);
    ckpt_stop(c);
    assert_int_equal(count_rows_elsewhere(f), f->rows);
}

static void test_stop_gives_the_connection_back_sqlite_s_own_checkpoints(void **state)
{
    struct fixture *f = *state;
    struct ckpt *c = start(f);
    commit_rows(f, 10);
    ckpt_stop(c);
    /* Nobody else checkpoints now: the WAL stays small only if SQLite's
     * automatic checkpoint is back on the writer's connection. */
    commit_rows(f, 3 * CKPT_PAGES);
    assert_true(wal_frames(f) < CKPT_PAGES + 10);
    assert_int_equal(count_rows_elsewhere(f), f->rows);
}

static void test_start_fails_cleanly_on_a_path_it_cannot_open(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    struct ckpt *c = ckpt_start(f->writer, "/nonexistent/dir/t.db", "NORMAL", err, sizeof(err));
    assert_null(c);
    assert_non_null(strstr(err, "/nonexistent/dir/t.db"));
    /* The writer's connection is left as it was: SQLite checkpoints it. */
    commit_rows(f, 3 * CKPT_PAGES);
    assert_true(wal_frames(f) < CKPT_PAGES + 10);
}

int main(int argc, char **argv)
{
    log_set_level(LOG_ERROR);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_the_thread_checkpoints_and_the_wal_restarts_without_the_committer),
        T(test_a_steady_stream_of_commits_keeps_the_wal_under_the_limit),
        T(test_a_reader_pinning_the_wal_makes_the_committer_checkpoint_past_the_limit),
        T(test_stop_gives_the_connection_back_sqlite_s_own_checkpoints),
        T(test_start_fails_cleanly_on_a_path_it_cannot_open),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
