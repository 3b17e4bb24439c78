/* events.c - GET /api/v1/events: what downwatch did, newest first, for an
 * operator asking "why did I (not) get paged?" (admin token).
 *
 * Filters: kind (store/history.h lists them), incident, subscription;
 * paging: limit (default 100, at most 1000) and before (the next_before
 * of the page before). Each event: id, at (wall clock, ms), kind, the ids
 * it concerns (null when none) and its detail object. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "store/history.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

static const char *const kinds[] = {
    "incident_opened",        "incident_resolved",    "notification_sent",
    "notification_failed",    "notification_dead",    "notification_suppressed",
    "notification_retried",   "silence_created",      "silence_deleted",
    "silence_expired",        "subscription_created", "subscription_deleted",
    "config_reloaded",        "config_reload_failed",
};

struct page {
    struct buf *out;
    long count;
    int64_t last;
};

static void id_or_null(struct buf *b, const char *key, int64_t id)
{
    if (id > 0)
        buf_printf(b, ",\"%s\":%lld", key, (long long)id);
    else
        buf_printf(b, ",\"%s\":null", key);
}

static void on_event(void *arg, const struct history_event *ev)
{
    struct page *p = arg;
    struct buf *b = p->out;
    char at[40];
    time_format_ms(ev->at, at, sizeof(at));
    buf_printf(b, "%s{\"id\":%lld,\"at\":\"%s\",\"kind\":", p->count++ ? "," : "",
               (long long)ev->id, at);
    buf_json_cstr(b, ev->kind);
    buf_puts(b, ",\"incident\":");
    buf_json_cstr_or_null(b, ev->incident);
    buf_puts(b, ",\"subscription\":");
    buf_json_cstr_or_null(b, ev->subscription);
    id_or_null(b, "silence", ev->silence);
    id_or_null(b, "delivery", ev->delivery);
    buf_puts(b, ",\"detail\":");
    buf_puts(b, ev->detail ? ev->detail : "{}"); /* JSON the stages wrote */
    buf_putc(b, '}');
    p->last = ev->id;
}

void api__events(struct api *api, struct http_request *req, const char *rest)
{
    if (!api__require_admin(api, req))
        return;
    if (*rest && strcmp(rest, "/") != 0) {
        api__error(req, 404, "not_found", "events are listed at /api/v1/events");
        return;
    }
    struct history_query q = {.limit = LIST_DEFAULT};
    q.kind = http_query(req, "kind");
    q.incident = http_query(req, "incident");
    q.subscription = http_query(req, "subscription");
    int known = !q.kind;
    for (size_t i = 0; !known && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        known = strcmp(q.kind, kinds[i]) == 0;
    if (!known) {
        api__error(req, 400, "invalid_kind", "kind is one of those GET /api/v1/openapi.json lists");
        return;
    }
    if (api__parse_before(req, &q.before) < 0 || api__parse_limit(req, LIST_MAX, &q.limit) < 0)
        return;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"events\":[");
    struct page p = {&b, 0, 0};
    if (history_list(api->store, &q, on_event, &p) < 0) {
        buf_free(&b);
        api__error(req, 503, "storage_unavailable", "the events cannot be read right now");
        return;
    }
    buf_puts(&b, "],\"next_before\":");
    if (p.count == q.limit)
        buf_printf(&b, "%lld}", (long long)p.last);
    else
        buf_puts(&b, "null}");
    api__json(req, 200, &b);
}
