/* history.c - the events table (see history.h). Inserts are one bound
 * statement, run inside whichever transaction records the event; reads go
 * through the store's read connection with the filters as bound
 * parameters (NULL matches all), paged on the integer primary key so a
 * page costs its own rows, however deep it is. */
#include "store/history.h"

#include <sqlite3.h>
#include <stddef.h>

static const char insert_sql[] =
    "INSERT INTO events(at, kind, incident, subscription, silence, delivery, detail)"
    " VALUES(?, ?, ?, ?, ?, ?, ?)";

static void bind_id_or_null(sqlite3_stmt *st, int i, int64_t id)
{
    if (id > 0)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

int history__insert(sqlite3 *db, const struct history_event *ev)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, insert_sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, ev->at);
    sqlite3_bind_text(st, 2, ev->kind, -1, SQLITE_STATIC);
    store__bind_text(st, 3, ev->incident);
    store__bind_text(st, 4, ev->subscription);
    bind_id_or_null(st, 5, ev->silence);
    bind_id_or_null(st, 6, ev->delivery);
    sqlite3_bind_text(st, 7, ev->detail ? ev->detail : "{}", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int insert_one(sqlite3 *db, void *arg)
{
    return history__insert(db, arg);
}

int history_add(struct store *s, const struct history_event *ev)
{
    return store__write(s, insert_one, (void *)ev);
}

struct listing {
    void (*fn)(void *arg, const struct history_event *ev);
    void *arg;
};

static void bind_query(sqlite3_stmt *st, const void *params)
{
    const struct history_query *q = params;
    sqlite3_bind_int64(st, 1, q->before);
    store__bind_text(st, 2, q->kind);
    store__bind_text(st, 3, q->incident);
    store__bind_text(st, 4, q->subscription);
    sqlite3_bind_int(st, 5, q->limit);
}

static void event_row(sqlite3_stmt *st, void *arg)
{
    const struct listing *l = arg;
    struct history_event ev = {
        .id = sqlite3_column_int64(st, 0),
        .at = sqlite3_column_int64(st, 1),
        .kind = (const char *)sqlite3_column_text(st, 2),
        .incident = (const char *)sqlite3_column_text(st, 3),
        .subscription = (const char *)sqlite3_column_text(st, 4),
        .silence = sqlite3_column_int64(st, 5),
        .delivery = sqlite3_column_int64(st, 6),
        .detail = (const char *)sqlite3_column_text(st, 7),
    };
    l->fn(l->arg, &ev);
}

long history_list(struct store *s, const struct history_query *q,
                  void (*fn)(void *arg, const struct history_event *ev), void *arg)
{
    struct listing l = {fn, arg};
    struct store__query query = {"SELECT id, at, kind, incident, subscription, silence, delivery,"
                                 " detail FROM events"
                                 " WHERE (?1 = 0 OR id < ?1) AND (?2 IS NULL OR kind = ?2)"
                                 "   AND (?3 IS NULL OR incident = ?3)"
                                 "   AND (?4 IS NULL OR subscription = ?4)"
                                 " ORDER BY id DESC LIMIT ?5",
                                 bind_query, q, event_row, &l, 0};
    return store__select(s, &query);
}

static int prune_rows(sqlite3 *db, void *arg)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "DELETE FROM events WHERE id <="
                                " (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int history_prune(struct store *s, int64_t keep)
{
    return store__write(s, prune_rows, &keep);
}
