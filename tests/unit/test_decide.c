/* test_decide.c - unit tests of src/notify/decide.c on a real store: one
 * incident's states, fed as the detector publishes them, become opened,
 * rate-limited updated (a worse severity at once), resolved and official
 * updates for the subscriptions that follow it, each from the first state
 * that passes its filters; the same states fed again (a restart) decide
 * nothing more; a silence holds the messages back while it covers their
 * event time and the subscription is told once it is over. */
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

#include "catalog/catalog.h"
#include "notify/decide.h"
#include "notify/silence.h"
#include "notify/sub.h"
#include "store/outbox.h"
#include "store/store.h"

#define T0 1712161830 /* 2024-04-03T16:30:30Z */
#define ID "whatsapp-20240403T163030Z"

static char dir[64];
static struct catalog *cat;
static struct store *store;
static struct sub subs[3];
static struct decide_rules rules;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    snprintf(dir, sizeof(dir), "/tmp/test_decide.XXXXXX");
    cat = catalog_builtin();
    struct store_config cfg = {mkdtemp(dir), STORE_SYNC_NORMAL, 1000};
    store = store_open(&cfg, cat, err, sizeof(err));
    const char *lines[] = {"all url=http://a.example secret=0123456789abcdef",
                           "major url=http://a.example secret=0123456789abcdef min_severity=major",
                           "br url=http://a.example secret=0123456789abcdef countries=BR"};
    for (int i = 0; i < 3; i++) {
        memset(&subs[i], 0, sizeof(subs[i]));
        if (sub_parse_line(lines[i], strlen(lines[i]), cat, &subs[i], err, sizeof(err)) != 0)
            fail_msg("%s", err);
    }
    rules = (struct decide_rules){cat, subs, 3, NULL, 0, 600};
    return store ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        sub_clear(&subs[i]);
    store_close(store);
    catalog_free(cat);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* A state of the incident: n countries (the list), observed against 10. */
static struct notify_state state(enum payload_event ev, int64_t t, const char *countries, int n)
{
    return (struct notify_state){
        .id = ID, .service = catalog_find(cat, "whatsapp", 8), .event = ev, .updated = t,
        .start = T0 - 30, .end = ev == EVENT_RESOLVED ? t : -1, .ncountries = n,
        .countries = countries, .observed = 40, .expected = 10,
        .json = "{\"id\":\"" ID "\",\"maintenance\":false}"};
}

static const struct notify_state *evening(size_t *n)
{
    static struct notify_state s[5];
    s[0] = state(EVENT_OPENED, T0, "IN", 1);             /* minor */
    s[1] = state(EVENT_UPDATED, T0 + 60, "IN,BR", 2);    /* major: worse, at once */
    s[2] = state(EVENT_UPDATED, T0 + 120, "IN,BR,GB", 3); /* changed, too soon */
    s[3] = state(EVENT_UPDATED, T0 + 700, "IN,BR,GB", 3); /* changed since the last message */
    s[4] = state(EVENT_RESOLVED, T0 + 800, "IN,BR,GB", 3);
    *n = 5;
    return s;
}

/* Decide states (and official updates), apply the plan; whether there was
 * anything to write. */
static int decide(const struct notify_state *states, size_t n)
{
    struct decide_batch *b = decide_begin(store, 5000);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(decide_state(b, &rules, &states[i]), 0);
    assert_int_equal(decide_officials(b, &rules, 0, 100), 0);
    struct outbox_plan plan;
    int any = decide_plan(b, &plan);
    plan.max_pending = 100;
    if (any)
        assert_int_equal(outbox_apply(store, &plan), 0);
    decide_end(b);
    return any;
}

static char rows[32][64];
static int nrows;

static void note_row(void *arg, const struct outbox_delivery *d)
{
    (void)arg;
    snprintf(rows[nrows++], sizeof(rows[0]), "%s:%s:%lld:%s", d->subscription, d->event,
             (long long)(d->seq > 1000000 ? d->seq - T0 : d->seq), d->state);
}

/* The deliveries, oldest first, seq as seconds after T0. */
static const char *deliveries(void)
{
    static char listed[2048];
    struct outbox_query q = {.limit = 32};
    nrows = 0;
    outbox_list(store, &q, note_row, NULL);
    listed[0] = '\0';
    for (int i = nrows - 1; i >= 0; i--)
        snprintf(listed + strlen(listed), sizeof(listed) - strlen(listed), "%s\n", rows[i]);
    return listed;
}

static void count_event(void *arg, const struct history_event *ev)
{
    (void)arg, (void)ev;
}

static void an_incident_becomes_opened_updates_and_resolved_for_its_followers(void **state)
{
    (void)state;
    size_t n;
    const struct notify_state *s = evening(&n);
    assert_true(decide(s, n));
    assert_string_equal(deliveries(), "all:opened:0:pending\n"
                                      "all:updated:60:superseded\n"
                                      "major:opened:0:pending\n"
                                      "br:opened:0:pending\n"
                                      "all:updated:700:superseded\n"
                                      "major:updated:700:superseded\n"
                                      "br:updated:700:superseded\n"
                                      "all:resolved:0:pending\n"
                                      "major:resolved:0:pending\n"
                                      "br:resolved:0:pending\n");
    /* A restart feeds the same states again: nothing is decided twice. */
    assert_false(decide(s, n));
    /* An official update goes to the three followers. */
    struct store_incident row = {ID, "whatsapp", NULL, T0 - 30, T0, T0 + 800, T0 + 800,
                                 "resolved", s[0].json};
    assert_int_equal(store_put_incidents(store, &row, 1), 0);
    struct store_update u = {.incident = ID, .at = 1764390000, .text = "fixed"};
    assert_int_equal(store_add_update(store, &u), 1);
    assert_true(decide(NULL, 0));
    assert_non_null(strstr(deliveries(), "all:official_update:1:pending\n"
                                         "major:official_update:1:pending\n"
                                         "br:official_update:1:pending\n"));
    int64_t mark;
    assert_int_equal(outbox_mark(store, "official_update", &mark), 0);
    assert_int_equal(mark, u.id);
}

static void a_silence_holds_messages_back_while_it_covers_their_time(void **state)
{
    (void)state;
    struct silence quiet = {.id = 7, .kind = SILENCE_MUTE, .service = "whatsapp",
                            .starts = T0 - 10, .ends = T0 + 100, .until = T0 - 10,
                            .cancelled = -1, .expired = -1};
    rules.silences = &quiet;
    rules.nsilences = 1;
    size_t n;
    const struct notify_state *s = evening(&n);
    assert_true(decide(s, 2)); /* opened and the first update, both silenced */
    assert_string_equal(deliveries(), "all:opened:0:suppressed\n"
                                      "major:opened:0:suppressed\n"
                                      "br:opened:0:suppressed\n");
    assert_true(decide(s + 2, 3)); /* the silence is over: told, updated, resolved */
    assert_string_equal(deliveries(), "all:opened:0:pending\n"
                                      "major:opened:0:pending\n"
                                      "br:opened:0:pending\n"
                                      "all:updated:700:superseded\n"
                                      "major:updated:700:superseded\n"
                                      "br:updated:700:superseded\n"
                                      "all:resolved:0:pending\n"
                                      "major:resolved:0:pending\n"
                                      "br:resolved:0:pending\n");
    struct history_query q = {.limit = 100, .kind = "notification_suppressed"};
    assert_int_equal(history_list(store, &q, count_event, NULL), 3); /* once per subscription */
    rules.silences = NULL;
    rules.nsilences = 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            an_incident_becomes_opened_updates_and_resolved_for_its_followers, setup, teardown),
        cmocka_unit_test_setup_teardown(a_silence_holds_messages_back_while_it_covers_their_time,
                                        setup, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
