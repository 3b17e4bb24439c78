/* test_store.c - unit tests of the store: round trips through SQLite, the
 * group-commit queue (back-pressure, shutdown, failed commits, concurrent
 * submitters) and the refusals of store_open. Each test works in a fresh
 * mkdtemp directory that it removes. A second SQLite connection holding
 * BEGIN IMMEDIATE blocks the writer deterministically.
 *
 * Run one test by name: test_store NAME (or a glob: test_store '*open*'). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "store/store.h"

/* ---- fixtures ----------------------------------------------------------- */

struct fixture {
    char tmp[64];            /* the mkdtemp directory */
    char dir[128];           /* the data directory, tmp/data */
    char db[160];            /* dir/downwatch.db */
    struct catalog *cat;     /* services alpha, beta, gamma */
};

/* A catalog of exactly the services listed (ids separated by spaces). */
static struct catalog *make_catalog(const char *ids)
{
    char text[1024];
    size_t n = (size_t)snprintf(text, sizeof(text), "!replace\n");
    for (const char *p = ids; *p;) {
        size_t len = strcspn(p, " ");
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%.*s | %.*s | Test | messaging | login\n",
                              (int)len, p, (int)len, p);
        p += len;
        p += strspn(p, " ");
    }
    char err[256];
    struct catalog *cat = catalog_builtin();
    if (catalog_parse(cat, text, n, err, sizeof(err)) != 0)
        fail_msg("catalog: %s", err);
    return cat;
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    snprintf(f->tmp, sizeof(f->tmp), "/tmp/test_store.XXXXXX");
    if (!mkdtemp(f->tmp))
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s/data", f->tmp);
    snprintf(f->db, sizeof(f->db), "%s/downwatch.db", f->dir);
    f->cat = make_catalog("alpha beta gamma");
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    catalog_free(f->cat);
    free(f);
    return 0;
}

static struct store *open_store(struct fixture *f, size_t queue_max)
{
    struct store_config cfg = {.dir = f->dir, .sync = STORE_SYNC_NORMAL, .queue_max = queue_max};
    char err[256] = "";
    struct store *s = store_open(&cfg, f->cat, err, sizeof(err));
    if (!s)
        fail_msg("store_open: %s", err);
    return s;
}

/* store_open that must fail: returns the error sentence in err. */
static void open_fails(const char *dir, const struct catalog *cat, char *err, size_t errsz)
{
    struct store_config cfg = {.dir = dir, .sync = STORE_SYNC_NORMAL, .queue_max = 100};
    err[0] = '\0';
    struct store *s = store_open(&cfg, cat, err, errsz);
    assert_null(s);
    assert_true(err[0] != '\0');
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static void write_file(const char *path, const void *data, size_t len, off_t offset)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, offset), (ssize_t)len);
    close(fd);
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* A report whose every field depends on i; every third has no client. */
static struct store_report make_row(int i, int service)
{
    struct store_report r = {
        .ts = 1712161867 + i,
        .received = 1712161900 + 2 * i,
        .service = service,
        .country = i % 676,
        .problem = i % REP_PROBLEM_COUNT,
        .counted = i & 1,
        .voter = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1),
    };
    if (i % 3)
        snprintf(r.client, sizeof(r.client), "client-%d", i);
    return r;
}

/* What the callback of one batch saw. */
struct done_rec {
    int calls;
    int status;
    long visible; /* rows of the batch another connection saw, or -1 */
    const char *db_path; /* when set, the callback counts visible rows */
    uint64_t voter;      /* ... by this voter */
};

static void record_done(void *arg, int status)
{
    struct done_rec *d = arg;
    d->calls++;
    d->status = status;
    d->visible = -1;
    if (!d->db_path)
        return;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(d->db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM reports WHERE voter = ?", -1, &st, NULL) ==
            SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)d->voter);
        if (sqlite3_step(st) == SQLITE_ROW)
            d->visible = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

struct collected {
    struct store_report *rows;
    size_t count, cap;
};

static void collect(void *arg, const struct store_report *r)
{
    struct collected *c = arg;
    if (c->count == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->rows = xrealloc(c->rows, c->cap * sizeof(*c->rows));
    }
    c->rows[c->count++] = *r;
}

static void assert_same_report(const struct store_report *a, const struct store_report *b)
{
    assert_int_equal(a->ts, b->ts);
    assert_int_equal(a->received, b->received);
    assert_int_equal(a->service, b->service);
    assert_int_equal(a->country, b->country);
    assert_int_equal(a->problem, b->problem);
    assert_int_equal(a->counted, b->counted);
    assert_true(a->voter == b->voter);
    assert_string_equal(a->client, b->client);
}

/* A second connection that holds the write lock, so the writer waits. */
static sqlite3 *block_writer(const char *db_path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static void unblock_writer(sqlite3 *db)
{
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- round trips -------------------------------------------------------- */

static void test_reports_survive_close_and_reopen_with_every_field(void **state)
{
    struct fixture *f = *state;
    snprintf(f->dir, sizeof(f->dir), "%s/a/b/data", f->tmp); /* mkdir -p */
    struct store_report rows[30];
    for (int i = 0; i < 30; i++)
        rows[i] = make_row(i, i % 3);
    struct done_rec d[3] = {{0}};
    struct store_batch b[3];
    struct store *s = open_store(f, 1000);
    for (int k = 0; k < 3; k++) {
        b[k] = (struct store_batch){.rows = rows + 10 * k, .count = 10, .done = record_done,
                                    .arg = &d[k]};
        assert_int_equal(store_submit(s, &b[k]), 0);
    }
    store_close(s);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(d[k].calls, 1);
        assert_int_equal(d[k].status, 0);
    }

    s = open_store(f, 1000);
    struct collected c = {0};
    assert_int_equal(store_scan(s, 0, collect, &c), 30);
    assert_int_equal(c.count, 30);
    for (int i = 0; i < 30; i++)
        assert_same_report(&c.rows[i], &rows[i]);
    assert_string_equal(c.rows[0].client, ""); /* stored as NULL */

    c.count = 0;
    assert_int_equal(store_scan(s, rows[25].ts, collect, &c), 5);
    assert_same_report(&c.rows[0], &rows[25]);
    store_close(s);
    free(c.rows);
}

static void test_scan_returns_only_reports_with_ts_at_or_after_since_in_insertion_order(void **state)
{
    struct fixture *f = *state;
    int64_t ts[] = {500, 100, 300, 200, 400, 100};
    struct store_report rows[6];
    for (int i = 0; i < 6; i++) {
        rows[i] = make_row(i, 0);
        rows[i].ts = ts[i];
    }
    struct done_rec d = {0};
    struct store_batch b = {.rows = rows, .count = 6, .done = record_done, .arg = &d};
    struct store *s = open_store(f, 1000);
    assert_int_equal(store_submit(s, &b), 0);
    store_flush(s);

    struct collected c = {0};
    assert_int_equal(store_scan(s, 300, collect, &c), 3);
    assert_int_equal(c.rows[0].ts, 500);
    assert_int_equal(c.rows[1].ts, 300);
    assert_int_equal(c.rows[2].ts, 400);
    c.count = 0;
    assert_int_equal(store_scan(s, 600, collect, &c), 0);
    store_close(s);
    free(c.rows);
}

static void test_scan_finds_every_report_at_or_after_since_whatever_the_ts_order(void **state)
{
    struct fixture *f = *state;
    enum { N = 600, PER = 40 };
    struct store_report rows[N];
    struct store_batch b[N / PER];
    struct done_rec d[N / PER] = {{0}};
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        rows[i] = make_row(i, i % 3);
        rows[i].ts = (int64_t)(x >> 8) % (30 * 3600) - 5 * 3600; /* hours -5..24, shuffled */
        if (i >= N / 2 && i < N / 2 + 50)
            rows[i].ts = 20 * 3600 + i; /* a run inside one hour */
    }
    struct store *s = open_store(f, 100000);
    for (int k = 0; k < N / PER; k++) {
        b[k] = (struct store_batch){.rows = rows + k * PER, .count = PER, .done = record_done,
                                    .arg = &d[k]};
        assert_int_equal(store_submit(s, &b[k]), 0);
        if (k % 3 == 0)
            store_flush(s); /* several transactions */
    }
    store_flush(s);

    int64_t since[] = {INT64_MIN, -5 * 3600, -1, 0, 1, 3599, 3600, 7 * 3600 + 17, 20 * 3600,
                       20 * 3600 + N / 2 + 10, 24 * 3600 + 3599, 25 * 3600};
    for (size_t j = 0; j < sizeof(since) / sizeof(since[0]); j++) {
        struct collected c = {0};
        long got = store_scan(s, since[j], collect, &c);
        size_t n = 0;
        for (int i = 0; i < N; i++) {
            if (rows[i].ts < since[j])
                continue;
            assert_true(n < c.count);
            assert_same_report(&c.rows[n], &rows[i]);
            n++;
        }
        assert_int_equal(got, n);
        assert_int_equal(c.count, n);
        free(c.rows);
    }
    store_close(s);
}

static void test_scan_skips_reports_of_services_no_longer_in_the_catalog(void **state)
{
    struct fixture *f = *state;
    struct store_report rows[3] = {make_row(0, 0), make_row(1, 1), make_row(2, 2)};
    struct done_rec d = {0};
    struct store_batch b = {.rows = rows, .count = 3, .done = record_done, .arg = &d};
    struct store *s = open_store(f, 1000); /* alpha beta gamma */
    assert_int_equal(store_submit(s, &b), 0);
    store_close(s);

    catalog_free(f->cat);
    f->cat = make_catalog("delta gamma alpha"); /* beta gone, indexes moved */
    s = open_store(f, 1000);
    struct collected c = {0};
    assert_int_equal(store_scan(s, 0, collect, &c), 2);
    assert_int_equal(c.rows[0].service, 2); /* alpha */
    assert_int_equal(c.rows[0].voter, rows[0].voter);
    assert_int_equal(c.rows[1].service, 1); /* gamma */
    assert_int_equal(c.rows[1].voter, rows[2].voter);

    /* the new service gets an id of its own, and beta keeps its row */
    struct store_report delta = make_row(3, 0);
    b = (struct store_batch){.rows = &delta, .count = 1, .done = record_done, .arg = &d};
    assert_int_equal(store_submit(s, &b), 0);
    store_close(s);
    catalog_free(f->cat);
    f->cat = make_catalog("alpha beta gamma delta");
    s = open_store(f, 1000);
    c.count = 0;
    assert_int_equal(store_scan(s, 0, collect, &c), 4);
    assert_int_equal(c.rows[1].service, 1); /* beta again */
    assert_int_equal(c.rows[3].service, 3); /* delta */
    store_close(s);
    free(c.rows);
}

/* ---- the commit queue --------------------------------------------------- */

static void test_done_is_called_once_per_batch_after_the_rows_are_readable_elsewhere(void **state)
{
    struct fixture *f = *state;
    enum { BATCHES = 50 };
    struct store_report rows[BATCHES];
    struct store_batch b[BATCHES];
    struct done_rec d[BATCHES] = {{0}};
    struct store *s = open_store(f, 1000);
    for (int k = 0; k < BATCHES; k++) {
        rows[k] = make_row(k, k % 3);
        d[k] = (struct done_rec){.db_path = f->db, .voter = rows[k].voter};
        b[k] = (struct store_batch){.rows = &rows[k], .count = 1, .done = record_done,
                                    .arg = &d[k]};
        assert_int_equal(store_submit(s, &b[k]), 0);
    }
    store_flush(s);
    for (int k = 0; k < BATCHES; k++) {
        assert_int_equal(d[k].calls, 1);
        assert_int_equal(d[k].status, 0);
        assert_int_equal(d[k].visible, 1);
    }
    struct store_stats st;
    store_get_stats(s, &st);
    assert_int_equal(st.rows, BATCHES);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.queued, 0);
    assert_true(st.commits >= 1 && st.commits <= BATCHES);
    assert_true(st.last_commit_ns > 0);
    store_close(s);
    for (int k = 0; k < BATCHES; k++)
        assert_int_equal(d[k].calls, 1);
}

static void test_submit_refuses_with_eagain_once_queue_max_reports_wait(void **state)
{
    struct fixture *f = *state;
    struct store_report rows[20];
    for (int i = 0; i < 20; i++)
        rows[i] = make_row(i, 0);
    struct done_rec d[4] = {{0}};
    struct store_batch b[4] = {
        {.rows = rows, .count = 6, .done = record_done, .arg = &d[0]},
        {.rows = rows + 6, .count = 6, .done = record_done, .arg = &d[1]},
        {.rows = rows + 12, .count = 1, .done = record_done, .arg = &d[2]},
        {.rows = rows + 13, .count = 7, .done = record_done, .arg = &d[3]},
    };
    struct store *s = open_store(f, 10);
    sqlite3 *blocker = block_writer(f->db);

    assert_int_equal(store_submit(s, &b[0]), 0);       /* 6 waiting */
    assert_int_equal(store_submit(s, &b[1]), 0);       /* 12: below 10 before it */
    assert_int_equal(store_submit(s, &b[2]), -EAGAIN); /* 12 >= 10 */
    struct store_stats st;
    store_get_stats(s, &st);
    assert_int_equal(st.queued, 12);
    assert_int_equal(st.commits, 0);
    assert_int_equal(d[0].calls + d[1].calls, 0);

    unblock_writer(blocker);
    store_flush(s);
    assert_int_equal(d[0].status, 0);
    assert_int_equal(d[1].status, 0);
    assert_int_equal(store_submit(s, &b[2]), 0); /* room again */
    store_close(s);

    s = open_store(f, 10);
    struct collected c = {0};
    assert_int_equal(store_scan(s, 0, collect, &c), 13);
    for (int i = 0; i < 13; i++)
        assert_same_report(&c.rows[i], &rows[i]);
    free(c.rows);
    store_close(s);
}

static void test_an_empty_queue_takes_a_batch_larger_than_queue_max(void **state)
{
    struct fixture *f = *state;
    struct store_report rows[50];
    for (int i = 0; i < 50; i++)
        rows[i] = make_row(i, 1);
    struct done_rec d[2] = {{0}};
    struct store_batch big = {.rows = rows, .count = 50, .done = record_done, .arg = &d[0]};
    struct store_batch one = {.rows = rows, .count = 1, .done = record_done, .arg = &d[1]};
    struct store *s = open_store(f, 10);
    sqlite3 *blocker = block_writer(f->db);
    assert_int_equal(store_submit(s, &big), 0);
    assert_int_equal(store_submit(s, &one), -EAGAIN);
    unblock_writer(blocker);
    store_close(s);
    assert_int_equal(d[0].calls, 1);
    assert_int_equal(d[0].status, 0);
    assert_int_equal(d[1].calls, 0);
}

static void test_submit_refuses_rows_with_a_service_outside_the_catalog(void **state)
{
    struct fixture *f = *state;
    struct store_report r = make_row(0, 3);
    struct done_rec d = {0};
    struct store_batch b = {.rows = &r, .count = 1, .done = record_done, .arg = &d};
    struct store *s = open_store(f, 10);
    assert_int_equal(store_submit(s, &b), -EINVAL);
    r.service = -1;
    assert_int_equal(store_submit(s, &b), -EINVAL);
    store_close(s);
    assert_int_equal(d.calls, 0);
}

struct closer {
    struct store *s;
    pthread_t thread;
};

static void *close_store(void *arg)
{
    store_close(((struct closer *)arg)->s);
    return NULL;
}

struct late_submit {
    struct store *s;
    struct store_batch b;
    int rc;
};

/* A callback that runs while store_close drains the queue. */
static void submit_from_done(void *arg, int status)
{
    struct late_submit *l = arg;
    (void)status;
    l->rc = store_submit(l->s, &l->b);
}

static void free_probe(void *arg, int status)
{
    (void)status;
    free(arg);
}

static void test_submit_refuses_with_eshutdown_once_close_began(void **state)
{
    struct fixture *f = *state;
    struct store_report r = make_row(0, 0);
    struct done_rec d = {0};
    struct late_submit late = {.b = {.rows = &r, .count = 1, .done = record_done, .arg = &d}};
    struct store_batch first = {.rows = &r, .count = 1, .done = submit_from_done, .arg = &late};
    struct store *s = open_store(f, 1000);
    late.s = s;
    sqlite3 *blocker = block_writer(f->db);
    assert_int_equal(store_submit(s, &first), 0);

    struct closer c = {.s = s};
    assert_int_equal(pthread_create(&c.thread, NULL, close_store, &c), 0);
    /* close cannot finish while the writer is blocked, so s stays valid */
    for (;;) {
        struct store_batch *probe = xcalloc(1, sizeof(*probe));
        probe->done = free_probe;
        probe->arg = probe;
        int rc = store_submit(s, probe);
        if (rc == -ESHUTDOWN) {
            free(probe);
            break;
        }
        assert_int_equal(rc, 0);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    unblock_writer(blocker);
    pthread_join(c.thread, NULL);
    assert_int_equal(late.rc, -ESHUTDOWN);
    assert_int_equal(d.calls, 0);
}

struct submitter {
    struct store *s;
    int id;
    int batches, per_batch;
    struct store_report *rows;
    struct store_batch *b;
    int done, eagain;
};

static void count_done(void *arg, int status)
{
    struct submitter *t = arg;
    if (status == 0)
        t->done++;
}

static void *submit_many(void *arg)
{
    struct submitter *t = arg;
    for (int k = 0; k < t->batches; k++) {
        t->b[k] = (struct store_batch){.rows = t->rows + k * t->per_batch, .count = (size_t)t->per_batch,
                                       .done = count_done, .arg = t};
        int rc;
        while ((rc = store_submit(t->s, &t->b[k])) == -EAGAIN) {
            t->eagain++;
            nanosleep(&(struct timespec){0, 100000}, NULL);
        }
        if (rc != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_concurrent_submitters_all_get_stored_in_their_order(void **state)
{
    struct fixture *f = *state;
    enum { THREADS = 4, BATCHES = 300, PER = 20 };
    struct submitter t[THREADS];
    pthread_t th[THREADS];
    struct store *s = open_store(f, 200);
    for (int i = 0; i < THREADS; i++) {
        t[i] = (struct submitter){.s = s, .id = i, .batches = BATCHES, .per_batch = PER};
        t[i].rows = xcalloc(BATCHES * PER, sizeof(*t[i].rows));
        t[i].b = xcalloc(BATCHES, sizeof(*t[i].b));
        for (int k = 0; k < BATCHES * PER; k++) {
            t[i].rows[k] = make_row(k, i % 3);
            t[i].rows[k].voter = (uint64_t)i << 32 | (uint64_t)k;
        }
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, submit_many, &t[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    store_flush(s);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(t[i].done, BATCHES);

    struct collected c = {0};
    assert_int_equal(store_scan(s, 0, collect, &c), THREADS * BATCHES * PER);
    int64_t next[THREADS] = {0};
    for (size_t n = 0; n < c.count; n++) {
        int i = (int)(c.rows[n].voter >> 32);
        int k = (int)(c.rows[n].voter & 0xffffffff);
        assert_true(i >= 0 && i < THREADS);
        assert_int_equal(k, next[i]); /* each submitter's rows in its order */
        next[i]++;
        assert_same_report(&c.rows[n], &t[i].rows[k]);
    }
    struct store_stats st;
    store_get_stats(s, &st);
    assert_int_equal(st.rows, THREADS * BATCHES * PER);
    store_close(s);
    free(c.rows);
    for (int i = 0; i < THREADS; i++) {
        free(t[i].rows);
        free(t[i].b);
    }
}

/* The callback of a first batch runs on the writer before it takes the
 * queue again: it shrinks the file size limit and queues two batches, which
 * the writer then takes together into one transaction. */
struct arm_failure {
    struct store *s;
    struct store_batch *b; /* two */
    struct rlimit small;
    int rc[2];
};

static void arm_failure(void *arg, int status)
{
    struct arm_failure *a = arg;
    (void)status;
    setrlimit(RLIMIT_FSIZE, &a->small);
    a->rc[0] = store_submit(a->s, &a->b[0]);
    a->rc[1] = store_submit(a->s, &a->b[1]);
}

static void test_a_failed_commit_fails_its_batches_and_the_writer_carries_on(void **state)
{
    struct fixture *f = *state;
    enum { BIG = 100000 };
    struct store_report *rows = xcalloc(BIG, sizeof(*rows));
    for (int i = 0; i < BIG; i++)
        rows[i] = make_row(i, 0);
    struct done_rec d[3] = {{0}};
    struct store_batch b[3] = {
        {.rows = rows, .count = 10, .done = record_done, .arg = &d[0]},
        {.rows = rows + 10, .count = BIG - 10, .done = record_done, .arg = &d[1]},
        {.rows = rows, .count = 5, .done = record_done, .arg = &d[2]},
    };
    struct store *s = open_store(f, 1000000);

    /* Files may not grow past 512 KiB: the transaction of 100000 rows cannot
     * be written (EFBIG from the kernel, where a full disk gives ENOSPC). */
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    struct arm_failure arm = {.s = s, .b = b, .small = saved};
    arm.small.rlim_cur = 512 * 1024;
    struct store_report first = make_row(0, 1);
    struct store_batch pre = {.rows = &first, .count = 1, .done = arm_failure, .arg = &arm};
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(store_submit(s, &pre), 0);
    store_flush(s); /* pre, whose callback queued b[0] and b[1] */
    store_flush(s); /* b[0] and b[1] */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(arm.rc[0], 0);
    assert_int_equal(arm.rc[1], 0);
    assert_int_equal(d[0].calls, 1);
    assert_int_equal(d[1].calls, 1);
    assert_int_equal(d[0].status, -EFBIG);
    assert_int_equal(d[1].status, -EFBIG);

    assert_int_equal(store_submit(s, &b[2]), 0); /* room again */
    store_flush(s);
    assert_int_equal(d[2].calls, 1);
    assert_int_equal(d[2].status, 0);
    struct store_stats st;
    store_get_stats(s, &st);
    assert_int_equal(st.commits, 2);
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.rows, 6);
    assert_int_equal(st.queued, 0);
    struct collected c = {0};
    assert_int_equal(store_scan(s, 0, collect, &c), 6); /* none of b[0] */
    assert_int_equal(c.rows[0].service, 1);
    store_close(s);
    free(c.rows);
    free(rows);
}

/* ---- refusals at open --------------------------------------------------- */

static void test_open_refuses_a_data_dir_whose_parent_is_a_regular_file(void **state)
{
    struct fixture *f = *state;
    char file[160], dir[192], err[256];
    snprintf(file, sizeof(file), "%s/file", f->tmp);
    write_file(file, "x", 1, 0);
    snprintf(dir, sizeof(dir), "%s/data", file);
    open_fails(dir, f->cat, err, sizeof(err));
    assert_contains(err, "cannot create data directory");
    assert_contains(err, "Not a directory");
    open_fails(file, f->cat, err, sizeof(err)); /* the data dir itself a file */
    assert_contains(err, "Not a directory");
}

/* store_open as an unprivileged user (root ignores permission bits), in a
 * child process; returns the error sentence, or "" if the open succeeded. */
static void open_as_nobody(const char *dir, const struct catalog *cat, char *err, size_t errsz)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        struct store_config cfg = {.dir = dir, .sync = STORE_SYNC_NORMAL, .queue_max = 10};
        char msg[256] = "";
        struct store *s = store_open(&cfg, cat, msg, sizeof(msg));
        ssize_t n = write(fds[1], msg, strlen(msg));
        _exit(s == NULL && n >= 0 ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], err, errsz - 1);
    err[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_open_refuses_a_read_only_data_dir(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_int_equal(mkdir(f->dir, 0755), 0);
    if (geteuid() != 0) {
        assert_int_equal(chmod(f->dir, 0555), 0);
        open_fails(f->dir, f->cat, err, sizeof(err));
        assert_contains(err, "is not writable");
        assert_int_equal(chmod(f->dir, 0755), 0);
        return;
    }
    assert_int_equal(chmod(f->tmp, 0755), 0); /* nobody may traverse it */
    open_as_nobody(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "is not writable");

    store_close(open_store(f, 10)); /* an existing database, owned by root */
    open_as_nobody(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "is not writable");

    char lock[192]; /* a writable directory and lock, a read-only database */
    snprintf(lock, sizeof(lock), "%s/downwatch.lock", f->dir);
    assert_int_equal(chmod(f->dir, 0777), 0);
    assert_int_equal(chmod(lock, 0666), 0);
    open_as_nobody(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "downwatch.db is not writable");
}

static void test_open_refuses_a_file_that_is_not_a_database(void **state)
{
    struct fixture *f = *state;
    char err[256], garbage[8192];
    for (size_t i = 0; i < sizeof(garbage); i++)
        garbage[i] = (char)(i * 131 + 7);
    assert_int_equal(mkdir(f->dir, 0755), 0);
    write_file(f->db, garbage, sizeof(garbage), 0);
    open_fails(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "is not an SQLite database");
}

static void test_open_refuses_a_corrupt_database(void **state)
{
    struct fixture *f = *state;
    struct store_report rows[2000];
    for (int i = 0; i < 2000; i++)
        rows[i] = make_row(i, 0);
    struct done_rec d = {0};
    struct store_batch b = {.rows = rows, .count = 2000, .done = record_done, .arg = &d};
    struct store *s = open_store(f, 10);
    assert_int_equal(store_submit(s, &b), 0);
    store_close(s);

    char junk[4096]; /* pages 3 to 6: the tables' b-trees, page 1 intact */
    memset(junk, 0x5a, sizeof(junk));
    for (int page = 2; page < 6; page++)
        write_file(f->db, junk, sizeof(junk), (off_t)page * 4096);
    char err[256];
    open_fails(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "is corrupt");
}

static void test_open_refuses_a_data_dir_in_use_by_another_store(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct store *s = open_store(f, 10);
    open_fails(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "in use by another downwatch");
    store_close(s);
    store_close(open_store(f, 10)); /* the lock went with the first store */
}

static void test_open_refuses_a_schema_newer_than_this_program(void **state)
{
    struct fixture *f = *state;
    char err[256];
    store_close(open_store(f, 10));
    exec_sql(f->db, "PRAGMA user_version=4");
    open_fails(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "schema version 4, newer than this downwatch supports (3)");
}

/* store_get_incident's reader, into one text: "state AT EVENT JSON;" and
 * "update ID TEXT STATUS;" items. */
static void note_state(void *arg, int64_t at, const char *event, const char *json, size_t len)
{
    buf_printf(arg, "state %lld %s %.*s;", (long long)at, event, (int)len, json);
}

static void note_update(void *arg, const struct store_update *u)
{
    buf_printf(arg, "update %lld %s %s;", (long long)u->id, u->text, u->status ? u->status : "-");
}

static void put_incident(struct store *s, const char *id, const char *group, int64_t start,
                         int64_t end)
{
    char json[160];
    snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
    struct store_incident row = {id, "x", group, start, start + 30, end, start + 30, "opened",
                                 json};
    assert_int_equal(store_put_incidents(s, &row, 1), 0);
}

static void test_a_version_1_file_gets_the_incident_tables(void **state)
{
    struct fixture *f = *state;
    store_close(open_store(f, 10));
    exec_sql(f->db, "DROP TABLE incident_updates; DROP TABLE incidents;"
                    "DROP TABLE official_updates; PRAGMA user_version=1");
    struct store *s = open_store(f, 10);
    put_incident(s, "x-20240101T000000Z", NULL, 1704067200, -1);
    struct buf out, history;
    buf_init(&out);
    buf_init(&history);
    struct store_incident_filter all = {.since = INT64_MIN, .limit = 10};
    assert_int_equal(store_list_incidents(s, &all, &out), 1);
    assert_string_equal(out.data, "{\"id\":\"x-20240101T000000Z\"}");
    buf_reset(&out);
    struct store_incident_reader r = {note_state, note_update, &history};
    assert_int_equal(store_get_incident(s, "x-20240101T000000Z", &out, &r), 1);
    assert_string_equal(history.data, "state 1704067230 opened {\"id\":\"x-20240101T000000Z\"};");
    assert_int_equal(store_get_incident(s, "nosuch", &out, &r), 0);
    buf_free(&out);
    buf_free(&history);
    store_close(s);
}

static void test_official_updates_need_the_incident_and_survive_a_reopen(void **state)
{
    struct fixture *f = *state;
    store_close(open_store(f, 10));
    /* A version 2 file (no official updates yet) is upgraded at open. */
    exec_sql(f->db, "DROP TABLE official_updates; PRAGMA user_version=2");
    struct store *s = open_store(f, 10);
    put_incident(s, "x-20240101T000000Z", NULL, 1704067200, -1);
    struct store_update first = {.incident = "x-20240101T000000Z", .at = 1704067300,
                                 .text = "we know some people are having issues"};
    struct store_update second = {.incident = "x-20240101T000000Z", .at = 1704067400,
                                  .text = "fixed", .status = "resolved"};
    struct store_update stray = {.incident = "nosuch", .at = 1704067400, .text = "?"};
    assert_int_equal(store_add_update(s, &first), 1);
    assert_int_equal(store_add_update(s, &second), 1);
    assert_true(second.id > first.id);
    assert_int_equal(store_add_update(s, &stray), 0);
    store_close(s);

    s = open_store(f, 10);
    struct buf out, history;
    buf_init(&out);
    buf_init(&history);
    struct store_incident_reader r = {note_state, note_update, &history};
    assert_int_equal(store_get_incident(s, "x-20240101T000000Z", &out, &r), 1);
    char want[256];
    snprintf(want, sizeof(want),
             "state 1704067230 opened {\"id\":\"x-20240101T000000Z\"};"
             "update %lld we know some people are having issues -;update %lld fixed resolved;",
             (long long)first.id, (long long)second.id);
    assert_string_equal(history.data, want);
    buf_free(&out);
    buf_free(&history);
    store_close(s);
}

/* Collects store_list_groups' rows as "group:id" items. */
static void note_member(void *arg, const struct store_group_member *m)
{
    buf_printf(arg, "%s:%s%s;", m->group, m->id, m->end < 0 ? "(open)" : "");
}

static void test_groups_are_the_incidents_that_share_one_newest_first(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_store(f, 10);
    put_incident(s, "a-1", "a-1", 1000, 5000);
    put_incident(s, "b-1", "a-1", 1100, 4000);
    put_incident(s, "c-1", NULL, 2000, 3000); /* alone */
    put_incident(s, "d-1", "d-1", 9000, 9500);
    put_incident(s, "e-1", "d-1", 9060, -1);
    struct buf rows;
    buf_init(&rows);
    struct store_group_filter pairs = {.min_incidents = 2, .limit = 10};
    assert_int_equal(store_list_groups(s, &pairs, note_member, &rows), 2);
    assert_string_equal(rows.data, "d-1:d-1;d-1:e-1(open);a-1:a-1;a-1:b-1;");
    buf_reset(&rows);
    struct store_group_filter open = {.min_incidents = 2, .open_only = 1, .limit = 10};
    assert_int_equal(store_list_groups(s, &open, note_member, &rows), 1);
    assert_string_equal(rows.data, "d-1:d-1;d-1:e-1(open);");
    buf_reset(&rows);
    struct store_group_filter all = {.min_incidents = 1, .limit = 2};
    assert_int_equal(store_list_groups(s, &all, note_member, &rows), 2);
    assert_string_equal(rows.data, "d-1:d-1;d-1:e-1(open);c-1:c-1;");
    buf_reset(&rows);
    struct store_group_filter one = {.id = "a-1", .min_incidents = 1, .limit = 1};
    assert_int_equal(store_list_groups(s, &one, note_member, &rows), 1);
    assert_string_equal(rows.data, "a-1:a-1;a-1:b-1;");
    struct store_group_filter none = {.id = "zz", .min_incidents = 1, .limit = 1};
    assert_int_equal(store_list_groups(s, &none, note_member, &rows), 0);
    buf_free(&rows);
    store_close(s);
}

static void test_open_refuses_an_sqlite_database_of_another_program(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_int_equal(mkdir(f->dir, 0755), 0);
    exec_sql(f->db, "CREATE TABLE notes(body TEXT)");
    open_fails(f->dir, f->cat, err, sizeof(err));
    assert_contains(err, "of another program");
}

int main(int argc, char **argv)
{
    log_set_level(LOG_ERROR);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_reports_survive_close_and_reopen_with_every_field),
        T(test_scan_returns_only_reports_with_ts_at_or_after_since_in_insertion_order),
        T(test_scan_finds_every_report_at_or_after_since_whatever_the_ts_order),
        T(test_scan_skips_reports_of_services_no_longer_in_the_catalog),
        T(test_done_is_called_once_per_batch_after_the_rows_are_readable_elsewhere),
        T(test_submit_refuses_with_eagain_once_queue_max_reports_wait),
        T(test_an_empty_queue_takes_a_batch_larger_than_queue_max),
        T(test_submit_refuses_rows_with_a_service_outside_the_catalog),
        T(test_submit_refuses_with_eshutdown_once_close_began),
        T(test_concurrent_submitters_all_get_stored_in_their_order),
        T(test_a_failed_commit_fails_its_batches_and_the_writer_carries_on),
        T(test_open_refuses_a_data_dir_whose_parent_is_a_regular_file),
        T(test_open_refuses_a_read_only_data_dir),
        T(test_open_refuses_a_file_that_is_not_a_database),
        T(test_open_refuses_a_corrupt_database),
        T(test_open_refuses_a_data_dir_in_use_by_another_store),
        T(test_a_version_1_file_gets_the_incident_tables),
        T(test_official_updates_need_the_incident_and_survive_a_reopen),
        T(test_groups_are_the_incidents_that_share_one_newest_first),
        T(test_open_refuses_a_schema_newer_than_this_program),
        T(test_open_refuses_an_sqlite_database_of_another_program),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
