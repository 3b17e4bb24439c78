/* test_outbox.c - unit tests of src/store/outbox.c on a real store in a
 * temporary directory: queueing is idempotent (the same plan twice makes
 * one row and one event), a suppressed row is replaced and a queued one
 * is not, a newer update supersedes a pending one, a full outbox turns new
 * rows into dead letters, outcomes are recorded, only dead letters are
 * sent again, heads go one per subscription in order, and a version 3
 * file's incidents count as notified after the upgrade. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "catalog/catalog.h"
#include "store/outbox.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    struct catalog *cat;
    struct store *store;
};

static struct store *open_store(struct fixture *f)
{
    char err[256];
    struct store_config cfg = {f->dir, STORE_SYNC_NORMAL, 1000};
    struct store *s = store_open(&cfg, f->cat, err, sizeof(err));
    if (!s)
        fail_msg("store_open: %s", err);
    return s;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_outbox.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->cat = catalog_builtin();
    f->store = open_store(f);
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
    store_close(f->store);
    catalog_free(f->cat);
    nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* A put of a row, with a history event. */
static struct outbox_put put(const char *sub, const char *event, int64_t seq, const char *state)
{
    return (struct outbox_put){
        .row = {.subscription = sub, .incident = "jio-20240329T052630Z", .event = event,
                .seq = seq, .state = state, .body = "{}", .reason = NULL},
        .event_kind = "notification_suppressed",
        .event_detail = "{}",
    };
}

static int apply(struct store *s, const struct outbox_put *puts, size_t n, int64_t max_pending)
{
    struct outbox_plan p = {.puts = puts, .nputs = n, .max_pending = max_pending, .now = 1000};
    return outbox_apply(s, &p);
}

/* "subscription:event:seq:state ..." of the deliveries, oldest first. */
static char rows[16][64];
static int nrows;

static void note_row(void *arg, const struct outbox_delivery *d)
{
    (void)arg;
    snprintf(rows[nrows++], sizeof(rows[0]), "%s:%s:%lld:%s", d->subscription, d->event,
             (long long)d->seq, d->state);
}

static const char *states(struct store *s)
{
    static char listed[1024];
    struct outbox_query q = {.limit = 16};
    nrows = 0;
    outbox_list(s, &q, note_row, NULL); /* newest first */
    listed[0] = '\0';
    for (int i = nrows - 1; i >= 0; i--)
        snprintf(listed + strlen(listed), sizeof(listed) - strlen(listed), "%s%s",
                 i == nrows - 1 ? "" : " ", rows[i]);
    return listed;
}

static void ignore(void *arg, const struct history_event *ev)
{
    (void)arg, (void)ev;
}

static long count_events(struct store *s, const char *kind)
{
    struct history_query q = {.limit = 1000, .kind = kind};
    return history_list(s, &q, ignore, NULL);
}

static void the_same_plan_twice_queues_once(void **state)
{
    struct fixture *f = *state;
    struct outbox_put p = put("a", "opened", 0, "pending");
    assert_int_equal(apply(f->store, &p, 1, 100), 0);
    assert_int_equal(apply(f->store, &p, 1, 100), 0);
    assert_string_equal(states(f->store), "a:opened:0:pending");
    assert_int_equal(count_events(f->store, NULL), 1);
}

static void a_suppressed_row_is_replaced_but_a_queued_one_stays(void **state)
{
    struct fixture *f = *state;
    struct outbox_put held = put("a", "opened", 0, "suppressed");
    struct outbox_put queued = put("a", "opened", 0, "pending");
    assert_int_equal(apply(f->store, &held, 1, 100), 0);
    assert_int_equal(apply(f->store, &queued, 1, 100), 0);
    assert_string_equal(states(f->store), "a:opened:0:pending");
    assert_int_equal(apply(f->store, &held, 1, 100), 0);
    assert_string_equal(states(f->store), "a:opened:0:pending");
}

static void a_newer_update_supersedes_the_pending_one(void **state)
{
    struct fixture *f = *state;
    struct outbox_put puts[] = {put("a", "opened", 0, "pending"), put("a", "updated", 60, "pending"),
                                put("b", "updated", 60, "pending"),
                                put("a", "updated", 660, "pending")};
    assert_int_equal(apply(f->store, puts, 4, 100), 0);
    assert_string_equal(states(f->store), "a:opened:0:pending a:updated:60:superseded "
                                          "b:updated:60:pending a:updated:660:pending");
    struct outbox_put resolved = put("a", "resolved", 0, "pending");
    assert_int_equal(apply(f->store, &resolved, 1, 100), 0);
    assert_string_equal(states(f->store), "a:opened:0:pending a:updated:60:superseded "
                                          "b:updated:60:pending a:updated:660:superseded "
                                          "a:resolved:0:pending");
}

static void a_full_outbox_makes_dead_letters(void **state)
{
    struct fixture *f = *state;
    struct outbox_put puts[] = {put("a", "opened", 0, "pending"), put("b", "opened", 0, "pending"),
                                put("c", "opened", 0, "suppressed")};
    assert_int_equal(apply(f->store, puts, 3, 1), 0);
    assert_string_equal(states(f->store), "a:opened:0:pending b:opened:0:dead "
                                          "c:opened:0:suppressed");
    assert_int_equal(count_events(f->store, "notification_dead"), 1);
}

static int64_t first_head;

static void note_head(void *arg, const struct outbox_delivery *d)
{
    ++*(int *)arg;
    if (strcmp(d->subscription, "a") == 0)
        first_head = d->id;
}

static void heads_go_one_per_subscription_and_outcomes_are_recorded(void **state)
{
    struct fixture *f = *state;
    struct outbox_put puts[] = {put("a", "opened", 0, "pending"), put("a", "resolved", 0, "pending"),
                                put("b", "opened", 0, "pending")};
    assert_int_equal(apply(f->store, puts, 3, 100), 0);
    int heads = 0;
    assert_int_equal(outbox_heads(f->store, note_head, &heads), 2);
    int64_t opened = first_head;
    struct outbox_result failed = {.id = opened, .state = "dead", .attempts = 12, .at = 2000,
                                   .next_at = 3000, .status = 503, .error = "HTTP 503"};
    assert_int_equal(outbox_record(f->store, &failed, 1), 0);
    heads = 0;
    assert_int_equal(outbox_heads(f->store, note_head, &heads), 2);
    assert_true(first_head != opened); /* a's resolved is its head now */
    struct history_event ev = {.at = 4000, .kind = "notification_retried", .delivery = opened};
    assert_int_equal(outbox_retry(f->store, first_head, 4000, &ev), -EINVAL); /* not dead */
    assert_int_equal(outbox_retry(f->store, 999, 4000, &ev), 0);
    assert_int_equal(outbox_retry(f->store, opened, 4000, &ev), 1);
    assert_string_equal(states(f->store), "a:opened:0:pending a:resolved:0:pending "
                                          "b:opened:0:pending");
}

static void a_version_3_file_counts_its_incidents_as_notified(void **state)
{
    struct fixture *f = *state;
    struct store_incident row = {"jio-20240329T052630Z", "jio", NULL, 1711689120, 1711689990,
                                 1711691340, 1711691340, "resolved", "{}"};
    assert_int_equal(store_put_incidents(f->store, &row, 1), 0);
    store_close(f->store);
    char path[128];
    sqlite3 *db;
    snprintf(path, sizeof(path), "%s/downwatch.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE notices; DROP TABLE deliveries;"
                                      "PRAGMA user_version=3",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    f->store = open_store(f);
    struct outbox_notice n;
    assert_int_equal(outbox_notice(f->store, "jio-20240329T052630Z", &n), 1);
    assert_true(n.opened && n.resolved);
    assert_int_equal(n.seen, 1711691340);
    assert_int_equal(outbox_notice(f->store, "nosuch", &n), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_same_plan_twice_queues_once, setup, teardown),
        cmocka_unit_test_setup_teardown(a_suppressed_row_is_replaced_but_a_queued_one_stays,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_newer_update_supersedes_the_pending_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_full_outbox_makes_dead_letters, setup, teardown),
        cmocka_unit_test_setup_teardown(heads_go_one_per_subscription_and_outcomes_are_recorded,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_version_3_file_counts_its_incidents_as_notified, setup,
                                        teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
