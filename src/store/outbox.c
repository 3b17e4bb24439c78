/* outbox.c - deliveries, notices and marks in SQLite (see outbox.h).
 *
 * Idempotency is the table's: the unique key (subscription, incident,
 * event, seq) and an upsert that only replaces a "suppressed" row, with
 * RETURNING to learn whether (and which) row changed. Reads are small
 * indexed queries on the store's read connection; each write is one
 * transaction on the writer's, with its history events. */
#include "store/outbox.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define DELIVERY_COLUMNS                                                                       \
    "id, subscription, incident, event, seq, state, body, created, attempts, next_at,"        \
    " last_at, last_status, last_error, reason"

/* Prepare the statements of a transaction; finalize them all at the end. */
static int prepare_all(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, int n)
{
    int rc = SQLITE_OK;
    for (int i = 0; i < n; i++)
        st[i] = NULL;
    for (int i = 0; i < n && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL);
    return rc;
}

static void finalize_all(sqlite3_stmt **st, int n)
{
    for (int i = 0; i < n; i++)
        sqlite3_finalize(st[i]);
}

/* Step a statement that returns no row (or ignores it) and reset it. */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* ---- apply ------------------------------------------------------------------- */

enum { S_COUNT, S_PUT, S_SUPERSEDE, S_NOTICE, S_MARK, S_STATEMENTS };

static const char *const apply_sql[S_STATEMENTS] = {
    [S_COUNT] = "SELECT count(*) FROM deliveries WHERE state = 'pending'",
    [S_PUT] = "INSERT INTO deliveries(subscription, incident, event, seq, state, body, created,"
              " attempts, next_at, last_error, reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?7,"
              " ?8, ?9)"
              " ON CONFLICT(subscription, incident, event, seq) DO UPDATE SET"
              "  state = excluded.state, body = excluded.body, created = excluded.created,"
              "  next_at = excluded.next_at, last_error = excluded.last_error,"
              "  reason = excluded.reason"
              " WHERE deliveries.state = 'suppressed'"
              " RETURNING id",
    [S_SUPERSEDE] = "UPDATE deliveries SET state = 'superseded'"
                    " WHERE subscription = ?1 AND incident = ?2 AND event = 'updated'"
                    "   AND state = 'pending' AND id < ?3",
    [S_NOTICE] = "INSERT OR REPLACE INTO notices(incident, service, grp, seen, opened, resolved,"
                 " maintenance, severity, countries, sent_at, sent_severity, top_severity,"
                 " sent_countries) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_MARK] = "INSERT OR REPLACE INTO notify_marks(name, value) VALUES('official_update', ?)",
};

/* Queue one row; *pending counts the pending rows. */
static int put_one(sqlite3 *db, sqlite3_stmt **st, const struct outbox_put *put,
                   const struct outbox_plan *p, int64_t *pending)
{
    const struct outbox_delivery *r = &put->row;
    int full = strcmp(r->state, "pending") == 0 && *pending >= p->max_pending;
    const char *state = full ? "dead" : r->state;
    sqlite3_stmt *q = st[S_PUT];
    sqlite3_bind_text(q, 1, r->subscription, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, r->incident, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, r->event, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, r->seq);
    sqlite3_bind_text(q, 5, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, r->body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, p->now);
    store__bind_text(q, 8, full ? "the outbox is full (outbox_max pending deliveries)" : NULL);
    store__bind_text(q, 9, r->reason);
    int rc = sqlite3_step(q);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return rc;
    if (!id)
        return SQLITE_OK; /* there already: nothing changes */
    if (strcmp(state, "pending") == 0) {
        ++*pending;
        if (strcmp(r->event, "updated") == 0 || strcmp(r->event, "resolved") == 0) {
            sqlite3_stmt *sup = st[S_SUPERSEDE];
            sqlite3_bind_text(sup, 1, r->subscription, -1, SQLITE_STATIC);
            sqlite3_bind_text(sup, 2, r->incident, -1, SQLITE_STATIC);
            sqlite3_bind_int64(sup, 3, id);
            if ((rc = step_done(sup)) != SQLITE_OK)
                return rc;
            *pending -= sqlite3_changes(db);
        }
    }
    if (!put->event_kind && !full)
        return SQLITE_OK;
    struct history_event ev = {
        .at = p->now,
        .kind = full ? "notification_dead" : put->event_kind,
        .incident = r->incident,
        .subscription = r->subscription,
        .delivery = id,
        .detail = full ? "{\"error\":\"the outbox is full\"}" : put->event_detail,
    };
    return history__insert(db, &ev);
}

static void bind_notice(sqlite3_stmt *q, const struct outbox_notice *n)
{
    sqlite3_bind_text(q, 1, n->incident, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, n->service, -1, SQLITE_STATIC);
    store__bind_text(q, 3, n->group[0] ? n->group : NULL);
    sqlite3_bind_int64(q, 4, n->seen);
    sqlite3_bind_int(q, 5, n->opened);
    sqlite3_bind_int(q, 6, n->resolved);
    sqlite3_bind_int(q, 7, n->maintenance);
    sqlite3_bind_int(q, 8, n->severity);
    sqlite3_bind_text(q, 9, n->countries, -1, SQLITE_STATIC);
    if (n->sent_at >= 0)
        sqlite3_bind_int64(q, 10, n->sent_at);
    else
        sqlite3_bind_null(q, 10);
    sqlite3_bind_int(q, 11, n->sent_severity);
    sqlite3_bind_int(q, 12, n->top_severity);
    sqlite3_bind_text(q, 13, n->sent_countries, -1, SQLITE_STATIC);
}

static int apply_plan(sqlite3 *db, void *arg)
{
    const struct outbox_plan *p = arg;
    sqlite3_stmt *st[S_STATEMENTS];
    int64_t pending = 0;
    int rc = prepare_all(db, apply_sql, st, S_STATEMENTS);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st[S_COUNT])) == SQLITE_ROW) {
        pending = sqlite3_column_int64(st[S_COUNT], 0);
        rc = SQLITE_OK;
    }
    size_t events = 0;
    for (size_t i = 0; rc == SQLITE_OK && i < p->nputs; i++) {
        while (rc == SQLITE_OK && events < p->puts[i].events_before && events < p->nevents)
            rc = history__insert(db, &p->events[events++]);
        if (rc == SQLITE_OK)
            rc = put_one(db, st, &p->puts[i], p, &pending);
    }
    while (rc == SQLITE_OK && events < p->nevents)
        rc = history__insert(db, &p->events[events++]);
    for (size_t i = 0; rc == SQLITE_OK && i < p->nnotices; i++) {
        bind_notice(st[S_NOTICE], &p->notices[i]);
        rc = step_done(st[S_NOTICE]);
    }
    if (rc == SQLITE_OK && p->official_mark > 0) {
        sqlite3_bind_int64(st[S_MARK], 1, p->official_mark);
        rc = step_done(st[S_MARK]);
    }
    finalize_all(st, S_STATEMENTS);
    return rc;
}

int outbox_apply(struct store *s, const struct outbox_plan *p)
{
    return store__write(s, apply_plan, (void *)p);
}

/* ---- results ----------------------------------------------------------------- */

struct results {
    const struct outbox_result *r;
    size_t n;
};

static int record_results(sqlite3 *db, void *arg)
{
    const struct outbox_result *r = ((const struct results *)arg)->r;
    size_t n = ((const struct results *)arg)->n;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "UPDATE deliveries SET attempts = ?2, last_at = ?3, next_at = ?4,"
                                " last_status = ?5, last_error = ?6,"
                                " state = CASE WHEN ?1 = 'delivered' OR state = 'pending'"
                                "  THEN ?1 ELSE state END"
                                " WHERE id = ?7",
                                -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_text(st, 1, r[i].state, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, r[i].attempts);
        sqlite3_bind_int64(st, 3, r[i].at);
        sqlite3_bind_int64(st, 4, r[i].next_at);
        if (r[i].status)
            sqlite3_bind_int(st, 5, r[i].status);
        else
            sqlite3_bind_null(st, 5);
        store__bind_text(st, 6, r[i].error);
        sqlite3_bind_int64(st, 7, r[i].id);
        rc = step_done(st);
        if (rc == SQLITE_OK && r[i].event.kind)
            rc = history__insert(db, &r[i].event);
    }
    sqlite3_finalize(st);
    return rc;
}

int outbox_record(struct store *s, const struct outbox_result *r, size_t n)
{
    struct results all = {r, n};
    return n ? store__write(s, record_results, &all) : 0;
}

/* ---- reads ------------------------------------------------------------------- */

static void read_delivery(sqlite3_stmt *st, struct outbox_delivery *d)
{
    *d = (struct outbox_delivery){
        .id = sqlite3_column_int64(st, 0),
        .subscription = (const char *)sqlite3_column_text(st, 1),
        .incident = (const char *)sqlite3_column_text(st, 2),
        .event = (const char *)sqlite3_column_text(st, 3),
        .seq = sqlite3_column_int64(st, 4),
        .state = (const char *)sqlite3_column_text(st, 5),
        .body = (const char *)sqlite3_column_text(st, 6),
        .created = sqlite3_column_int64(st, 7),
        .attempts = sqlite3_column_int(st, 8),
        .next_at = sqlite3_column_int64(st, 9),
        .last_at = store__column_or_none(st, 10),
        .last_status = sqlite3_column_int(st, 11),
        .last_error = (const char *)sqlite3_column_text(st, 12),
        .reason = (const char *)sqlite3_column_text(st, 13),
    };
}

static void bind_text1(sqlite3_stmt *st, const void *text)
{
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
}

static void copy_text(char *out, size_t size, const unsigned char *text)
{
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

static void notice_row(sqlite3_stmt *st, void *arg)
{
    struct outbox_notice *n = arg;
    copy_text(n->incident, sizeof(n->incident), sqlite3_column_text(st, 0));
    copy_text(n->service, sizeof(n->service), sqlite3_column_text(st, 1));
    copy_text(n->group, sizeof(n->group), sqlite3_column_text(st, 2));
    n->seen = sqlite3_column_int64(st, 3);
    n->opened = sqlite3_column_int(st, 4);
    n->resolved = sqlite3_column_int(st, 5);
    n->maintenance = sqlite3_column_int(st, 6);
    n->severity = sqlite3_column_int(st, 7);
    copy_text(n->countries, sizeof(n->countries), sqlite3_column_text(st, 8));
    n->sent_at = store__column_or_none(st, 9);
    n->sent_severity = sqlite3_column_int(st, 10);
    n->top_severity = sqlite3_column_int(st, 11);
    copy_text(n->sent_countries, sizeof(n->sent_countries), sqlite3_column_text(st, 12));
}

int outbox_notice(struct store *s, const char *incident, struct outbox_notice *out)
{
    struct store__query q = {"SELECT incident, service, grp, seen, opened, resolved, maintenance,"
                      " severity, countries, sent_at, sent_severity, top_severity,"
                      " sent_countries FROM notices WHERE incident = ?1",
                      bind_text1, incident, notice_row, out, 0};
    long n = store__select(s, &q);
    return n < 0 ? -1 : n > 0;
}

struct follower_fn {
    void (*fn)(void *arg, const char *subscription, const char *state);
    void *arg;
};

static void follower_row(sqlite3_stmt *st, void *arg)
{
    struct follower_fn *f = arg;
    f->fn(f->arg, (const char *)sqlite3_column_text(st, 0),
          (const char *)sqlite3_column_text(st, 1));
}

long outbox_followers(struct store *s, const char *incident,
                      void (*fn)(void *arg, const char *subscription, const char *state),
                      void *arg)
{
    struct follower_fn f = {fn, arg};
    struct store__query q = {"SELECT subscription, state FROM deliveries"
                      " WHERE incident = ?1 AND event = 'opened'",
                      bind_text1, incident, follower_row, &f, 0};
    return store__select(s, &q);
}

struct delivery_fn {
    void (*fn)(void *arg, const struct outbox_delivery *d);
    void *arg;
};

static void delivery_row(sqlite3_stmt *st, void *arg)
{
    struct delivery_fn *f = arg;
    struct outbox_delivery d;
    read_delivery(st, &d);
    f->fn(f->arg, &d);
}

long outbox_heads(struct store *s, void (*fn)(void *arg, const struct outbox_delivery *d),
                  void *arg)
{
    struct delivery_fn f = {fn, arg};
    struct store__query q = {"SELECT " DELIVERY_COLUMNS " FROM deliveries WHERE id IN"
                      " (SELECT min(id) FROM deliveries WHERE state = 'pending'"
                      "  GROUP BY subscription)",
                      NULL, NULL, delivery_row, &f, 0};
    return store__select(s, &q);
}

static void bind_query(sqlite3_stmt *st, const void *params)
{
    const struct outbox_query *q = params;
    store__bind_text(st, 1, q->state);
    store__bind_text(st, 2, q->subscription);
    store__bind_text(st, 3, q->incident);
    sqlite3_bind_int64(st, 4, q->before);
    sqlite3_bind_int(st, 5, q->limit);
}

long outbox_list(struct store *s, const struct outbox_query *oq,
                 void (*fn)(void *arg, const struct outbox_delivery *d), void *arg)
{
    struct delivery_fn f = {fn, arg};
    struct store__query q = {"SELECT " DELIVERY_COLUMNS " FROM deliveries"
                      " WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR subscription = ?2)"
                      "   AND (?3 IS NULL OR incident = ?3) AND (?4 <= 0 OR id < ?4)"
                      " ORDER BY id DESC LIMIT ?5",
                      bind_query, oq, delivery_row, &f, 0};
    return store__select(s, &q);
}

struct official_fn {
    void (*fn)(void *arg, const struct outbox_official *u);
    void *arg;
};

static void official_row(sqlite3_stmt *st, void *arg)
{
    struct official_fn *f = arg;
    struct outbox_official u = {
        .id = sqlite3_column_int64(st, 0),
        .incident = (const char *)sqlite3_column_text(st, 1),
        .at = sqlite3_column_int64(st, 2),
        .text = (const char *)sqlite3_column_text(st, 3),
        .status = (const char *)sqlite3_column_text(st, 4),
        .incident_json = (const char *)sqlite3_column_text(st, 5),
        .start = sqlite3_column_int64(st, 6),
        .end = store__column_or_none(st, 7),
    };
    f->fn(f->arg, &u);
}

static void bind_after(sqlite3_stmt *st, const void *params)
{
    const int64_t *p = params;
    sqlite3_bind_int64(st, 1, p[0]);
    sqlite3_bind_int64(st, 2, p[1]);
}

long outbox_officials(struct store *s, int64_t after, int limit,
                      void (*fn)(void *arg, const struct outbox_official *u), void *arg)
{
    struct official_fn f = {fn, arg};
    int64_t params[2] = {after, limit};
    struct store__query q = {"SELECT u.id, u.incident, u.at, u.text, u.status, i.json, i.start, i.end"
                      " FROM official_updates u JOIN incidents i ON i.id = u.incident"
                      " WHERE u.id > ?1 ORDER BY u.id LIMIT ?2",
                      bind_after, params, official_row, &f, 0};
    return store__select(s, &q);
}

static void mark_row(sqlite3_stmt *st, void *arg)
{
    *(int64_t *)arg = sqlite3_column_int64(st, 0);
}

int outbox_mark(struct store *s, const char *name, int64_t *value)
{
    *value = 0;
    struct store__query q = {"SELECT value FROM notify_marks WHERE name = ?1", bind_text1, name,
                      mark_row, value, 0};
    return store__select(s, &q) < 0 ? -1 : 0;
}

/* ---- operator's writes ----------------------------------------------------------- */

struct retry {
    int64_t id, now;
    const struct history_event *ev;
    int found; /* 1 retried, -1 not dead, 0 no such delivery */
};

static void state_row(sqlite3_stmt *st, void *arg)
{
    *(int *)arg = strcmp((const char *)sqlite3_column_text(st, 0), "dead") == 0 ? 1 : -1;
}

static void bind_id(sqlite3_stmt *st, const void *id)
{
    sqlite3_bind_int64(st, 1, *(const int64_t *)id);
}

static int retry_dead(sqlite3 *db, void *arg)
{
    struct retry *r = arg;
    struct store__query q = {"SELECT state FROM deliveries WHERE id = ?1", bind_id, &r->id, state_row,
                      &r->found, 0};
    int rc = store__run(db, &q);
    if (rc != SQLITE_OK || r->found != 1)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db,
                            "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?2"
                            " WHERE id = ?1",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->now);
    rc = step_done(st);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? history__insert(db, r->ev) : rc;
}

int outbox_retry(struct store *s, int64_t id, int64_t now, const struct history_event *ev)
{
    struct retry r = {id, now, ev, 0};
    int rc = store__write(s, retry_dead, &r);
    return rc < 0 ? rc : r.found < 0 ? -EINVAL : r.found;
}

static int prune_rows(sqlite3 *db, void *arg)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "DELETE FROM deliveries WHERE state <> 'pending' AND created < ?1"
                                " AND incident IN (SELECT id FROM incidents WHERE end IS NOT NULL)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
    rc = step_done(st);
    sqlite3_finalize(st);
    return rc;
}

int outbox_prune(struct store *s, int64_t before)
{
    return store__write(s, prune_rows, &before);
}
