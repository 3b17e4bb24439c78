/* rules.c - subscriptions and silences on disk (see rules.h). Each write is
 * one transaction through store__write with its history event; reads walk
 * the whole table (there are few rows: the notify stage keeps them all in
 * memory) through the read connection. */
#include "store/rules.h"

#include <errno.h>
#include <sqlite3.h>
#include <stddef.h>

/* One statement and its history event, as one write: text1, int2, int3
 * and text4 bind ?1..?4 when set (NULL and -1 are left unbound, i.e.
 * NULL); the event is recorded only when the statement changed a row. */
struct change {
    const char *sql;
    const char *text1;
    int64_t int2, int3;
    const char *text4;
    const struct history_event *ev;
    int event_names_row; /* the event's silence is the row inserted */
    int changed;         /* rows the statement changed */
    int64_t rowid;       /* the row it inserted */
};

static int run_change(sqlite3 *db, void *arg)
{
    struct change *c = arg;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, c->sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (c->text1)
        sqlite3_bind_text(st, 1, c->text1, -1, SQLITE_STATIC);
    if (c->int2 >= 0)
        sqlite3_bind_int64(st, 2, c->int2);
    if (c->int3 >= 0)
        sqlite3_bind_int64(st, 3, c->int3);
    if (c->text4)
        sqlite3_bind_text(st, 4, c->text4, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc;
    c->changed = sqlite3_changes(db);
    c->rowid = sqlite3_last_insert_rowid(db);
    if (!c->changed || !c->ev)
        return SQLITE_OK;
    struct history_event ev = *c->ev;
    if (c->event_names_row)
        ev.silence = c->rowid;
    return history__insert(db, &ev);
}

int rules_add_subscription(struct store *s, const char *id, int64_t created, const char *spec,
                           const struct history_event *ev)
{
    struct change c = {"INSERT OR IGNORE INTO subscriptions(id, created, spec) VALUES(?1, ?2, ?4)",
                       id, created, -1, spec, ev, 0, 0, 0};
    int rc = store__write(s, run_change, &c);
    return rc < 0 ? rc : c.changed ? 0 : -EEXIST;
}

/* Delete the subscription (?1); its pending deliveries are cancelled by
 * a second statement of the same transaction. */
static int delete_subscription(sqlite3 *db, void *arg)
{
    struct change *c = arg;
    int rc = run_change(db, c);
    if (rc != SQLITE_OK || !c->changed)
        return rc;
    struct change cancel = {"UPDATE deliveries SET state = 'cancelled'"
                            " WHERE subscription = ?1 AND state = 'pending'",
                            c->text1, -1, -1, NULL, NULL, 0, 0, 0};
    return run_change(db, &cancel);
}

int rules_delete_subscription(struct store *s, const char *id, const struct history_event *ev)
{
    struct change c = {"DELETE FROM subscriptions WHERE id = ?1", id, -1, -1, NULL, ev, 0, 0, 0};
    int rc = store__write(s, delete_subscription, &c);
    return rc < 0 ? rc : c.changed > 0;
}

int64_t rules_add_silence(struct store *s, int64_t created, const char *spec,
                          const struct history_event *ev)
{
    struct change c = {"INSERT INTO silences(created, spec) VALUES(?3, ?4)", NULL, -1, created,
                       spec, ev, 1, 0, 0};
    int rc = store__write(s, run_change, &c);
    return rc < 0 ? rc : c.rowid;
}

/* Set a time column of a silence once (sql binds ?2 id, ?3 time). */
static int mark_silence(struct store *s, const char *sql, int64_t id, int64_t at,
                        const struct history_event *ev)
{
    struct change c = {sql, NULL, id, at, NULL, ev, 0, 0, 0};
    int rc = store__write(s, run_change, &c);
    return rc < 0 ? rc : c.changed > 0;
}

int rules_cancel_silence(struct store *s, int64_t id, int64_t at, const struct history_event *ev)
{
    return mark_silence(s, "UPDATE silences SET cancelled = ?3 WHERE id = ?2 AND cancelled IS NULL",
                        id, at, ev);
}

int rules_expire_silence(struct store *s, int64_t id, int64_t at, const struct history_event *ev)
{
    return mark_silence(s, "UPDATE silences SET expired = ?3 WHERE id = ?2 AND expired IS NULL", id,
                        at, ev);
}

/* ---- reads ---------------------------------------------------------------- */

struct walk {
    void (*subscription)(void *arg, const char *id, int64_t created, const char *spec);
    void (*silence)(void *arg, const struct rules_silence *r);
    void *arg;
};

static void subscription_row(sqlite3_stmt *st, void *arg)
{
    const struct walk *w = arg;
    w->subscription(w->arg, (const char *)sqlite3_column_text(st, 0),
                    sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2));
}

static void silence_row(sqlite3_stmt *st, void *arg)
{
    const struct walk *w = arg;
    struct rules_silence r = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                              store__column_or_none(st, 2), store__column_or_none(st, 3),
                              (const char *)sqlite3_column_text(st, 4)};
    w->silence(w->arg, &r);
}

long rules_subscriptions(struct store *s,
                         void (*fn)(void *arg, const char *id, int64_t created, const char *spec),
                         void *arg)
{
    struct walk w = {fn, NULL, arg};
    struct store__query q = {"SELECT id, created, spec FROM subscriptions ORDER BY created, id",
                             NULL, NULL, subscription_row, &w, 0};
    return store__select(s, &q);
}

long rules_silences(struct store *s, void (*fn)(void *arg, const struct rules_silence *r),
                    void *arg)
{
    struct walk w = {NULL, fn, arg};
    struct store__query q = {"SELECT id, created, cancelled, expired, spec FROM silences"
                             " ORDER BY id",
                             NULL, NULL, silence_row, &w, 0};
    return store__select(s, &q);
}
