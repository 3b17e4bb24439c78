/* deliveries.c - /api/v1/deliveries: the webhook outbox, for an operator
 * (admin token): what was sent, what waits, and the dead letters.
 *
 *   GET  /deliveries?state=&subscription=&incident=&before=&limit=
 *        newest first, at most limit (default 100, at most 1000), each
 *        with its payload exactly as sent; state=dead lists the dead
 *        letters; next_before pages on
 *   POST /deliveries/{id}/retry
 *        send a dead letter again, from its first attempt
 * The rows are the store's (store/outbox.h); this file only shows them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/query.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "notify/notify.h"
#include "store/outbox.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define RETRY_SUFFIX "/retry"

static const char *const states[] = {"pending",    "delivered",  "dead",    "suppressed",
                                     "superseded", "cancelled", "skipped"};

static void ms_or_null(struct buf *b, const char *key, int64_t ms)
{
    char when[40];
    buf_printf(b, ",\"%s\":", key);
    if (ms < 0) {
        buf_puts(b, "null");
        return;
    }
    time_format_ms(ms, when, sizeof(when));
    buf_printf(b, "\"%s\"", when);
}

static void text_or_null(struct buf *b, const char *key, const char *text)
{
    buf_printf(b, ",\"%s\":", key);
    buf_json_cstr_or_null(b, text);
}

struct listing {
    struct buf *out;
    long count;
    int64_t last;
};

static void on_delivery(void *arg, const struct outbox_delivery *d)
{
    struct listing *l = arg;
    struct buf *b = l->out;
    buf_printf(b, "%s{\"id\":%lld", l->count++ ? "," : "", (long long)d->id);
    text_or_null(b, "subscription", d->subscription);
    text_or_null(b, "incident", d->incident);
    text_or_null(b, "event", d->event);
    text_or_null(b, "state", d->state);
    buf_printf(b, ",\"attempts\":%d", d->attempts);
    ms_or_null(b, "created", d->created);
    ms_or_null(b, "next_attempt_at", strcmp(d->state, "pending") == 0 ? d->next_at : -1);
    ms_or_null(b, "last_attempt_at", d->last_at);
    buf_puts(b, ",\"last_status\":");
    if (d->last_status)
        buf_printf(b, "%d", d->last_status);
    else
        buf_puts(b, "null");
    text_or_null(b, "last_error", d->last_error);
    text_or_null(b, "reason", d->reason);
    buf_puts(b, ",\"payload\":");
    buf_puts(b, d->body); /* JSON the notify stage wrote */
    buf_putc(b, '}');
    l->last = d->id;
}

void api__deliveries(struct api *api, struct http_request *req, const char *rest)
{
    if (!api__require_admin(api, req))
        return;
    if (*rest && strcmp(rest, "/") != 0) {
        api__error(req, 404, "not_found", "deliveries are listed at /api/v1/deliveries");
        return;
    }
    struct outbox_query q = {.limit = LIST_DEFAULT};
    q.state = http_query(req, "state");
    q.subscription = http_query(req, "subscription");
    q.incident = http_query(req, "incident");
    int known = !q.state;
    for (size_t i = 0; !known && i < sizeof(states) / sizeof(states[0]); i++)
        known = strcmp(q.state, states[i]) == 0;
    if (!known) {
        api__error(req, 400, "invalid_state",
                   "state is pending, delivered, dead, suppressed, superseded, cancelled or "
                   "skipped");
        return;
    }
    if (api__parse_before(req, &q.before) < 0 || api__parse_limit(req, LIST_MAX, &q.limit) < 0)
        return;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"deliveries\":[");
    struct listing l = {&b, 0, 0};
    if (outbox_list(api->store, &q, on_delivery, &l) < 0) {
        buf_free(&b);
        api__error(req, 503, "storage_unavailable", "the outbox cannot be read right now");
        return;
    }
    buf_puts(&b, "],\"next_before\":");
    if (l.count == q.limit)
        buf_printf(&b, "%lld}", (long long)l.last);
    else
        buf_puts(&b, "null}");
    api__json(req, 200, &b);
}

void api__deliveries_post(struct api *api, struct http_request *req, const char *rest)
{
    char id[24], detail[160], shown[64];
    const char *sub;
    int n;
    if (!api__require_admin(api, req))
        return;
    int item = api__item(rest, id, sizeof(id), &sub);
    if (item != 1 || strcmp(sub, RETRY_SUFFIX) != 0) {
        api__method_not_allowed(req, "GET, HEAD");
        return;
    }
    int rc = 0;
    if (query_count(id, INT32_MAX, &n) == 0) {
        struct history_event ev = {.at = time_now_ms(), .kind = "notification_retried",
                                   .delivery = n};
        rc = outbox_retry(api->store, n, time_now_ms(), &ev);
    }
    if (rc == 1) {
        notify_wake(api->notify);
        struct buf b;
        buf_init(&b);
        buf_printf(&b, "{\"version\":1,\"retried\":%d}", n);
        api__json(req, 200, &b);
    } else if (rc == 0) {
        snprintf(detail, sizeof(detail), "no delivery \"%s\"",
                 api__printable(id, strlen(id), shown, sizeof(shown)));
        api__error(req, 404, "unknown_delivery", detail);
    } else if (rc == -EINVAL) {
        api__error(req, 409, "not_dead", "only a dead letter can be sent again");
    } else {
        api__error(req, 503, "storage_unavailable", "the delivery could not be changed; retry");
    }
}
