/* subscriptions.c - /api/v1/subscriptions: webhook subscriptions, all
 * behind the admin token (a missing or wrong one is the same 401).
 *
 *   GET    /subscriptions        every subscription, the webhooks file's
 *                                first; secrets are never shown again
 *   GET    /subscriptions/{id}   one
 *   POST   /subscriptions        create one from a JSON body (notify/sub.h
 *                                has the fields); 201 with its secret, the
 *                                only time it is shown (generated when the
 *                                body has none)
 *   DELETE /subscriptions/{id}   delete one made here; its pending
 *                                deliveries are cancelled; one of the
 *                                webhooks file is refused (409): edit the
 *                                file and send SIGHUP
 * The notify stage checks, stores and applies (notify.h); this file
 * translates to HTTP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "http/server.h"
#include "notify/notify.h"
#include "notify/sub.h"

static void unknown_subscription(struct http_request *req, const char *id)
{
    char detail[160], shown[80];
    snprintf(detail, sizeof(detail), "no subscription \"%s\"",
             api__printable(id, strlen(id), shown, sizeof(shown)));
    api__error(req, 404, "unknown_subscription", detail);
}

void api__subscriptions(struct api *api, struct http_request *req, const char *rest)
{
    char id[SUB_ID_MAX + 1];
    const char *sub;
    if (!api__require_admin(api, req))
        return;
    int item = api__item(rest, id, sizeof(id), &sub);
    struct buf b;
    buf_init(&b);
    if (item == 0) {
        buf_puts(&b, "{\"version\":1,\"subscriptions\":[");
        notify_subscriptions(api->notify, &b);
        buf_puts(&b, "]}");
        api__json(req, 200, &b);
        return;
    }
    buf_puts(&b, "{\"version\":1,\"subscription\":");
    if (item < 0 || *sub || !notify_subscription(api->notify, id, &b)) {
        buf_free(&b);
        unknown_subscription(req, item < 0 ? rest + 1 : id);
        return;
    }
    buf_putc(&b, '}');
    api__json(req, 200, &b);
}

void api__subscriptions_post(struct api *api, struct http_request *req, const char *rest)
{
    api__create(api, req, rest, "subscription", notify_subscribe, "GET, HEAD, DELETE");
}

void api__subscriptions_delete(struct api *api, struct http_request *req, const char *rest)
{
    char id[SUB_ID_MAX + 1];
    const char *sub;
    if (!api__require_admin(api, req))
        return;
    int item = api__item(rest, id, sizeof(id), &sub);
    if (item == 0) {
        api__method_not_allowed(req, "GET, HEAD, POST");
        return;
    }
    int rc = item < 0 || *sub ? 0 : notify_unsubscribe(api->notify, id);
    if (rc == 1) {
        struct buf b;
        buf_init(&b);
        buf_puts(&b, "{\"version\":1,\"deleted\":");
        buf_json_cstr(&b, id);
        buf_putc(&b, '}');
        api__json(req, 200, &b);
    } else if (rc == 0) {
        unknown_subscription(req, item < 0 ? rest + 1 : id);
    } else if (rc == -EPERM) {
        api__error(req, 409, "defined_in_file",
                   "this subscription comes from the webhooks file: edit the file and send "
                   "SIGHUP");
    } else {
        api__error(req, 503, "storage_unavailable", "the subscription could not be deleted; retry");
    }
}
