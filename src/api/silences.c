/* silences.c - /api/v1/silences and /api/v1/maintenance: times when
 * notifications are held back (notify/silence.h).
 *
 *   GET    /silences?kind=&state=   every silence and maintenance window
 *                                   (admin token), by start; kind silence
 *                                   or maintenance, state scheduled,
 *                                   active, expired or cancelled
 *   GET    /silences/{id}           one (admin token)
 *   POST   /silences                create one (admin token); 201
 *   DELETE /silences/{id}           end it now (admin token): it stays
 *                                   listed, "cancelled"
 *   GET    /maintenance?all=        public, for the status page: the
 *                                   maintenance windows under way or ahead
 *                                   (all=true: also the past and cancelled
 *                                   ones), without who created them
 * States are judged on the wall clock; windows apply to incidents' event
 * time (silence.h says why). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/query.h"
#include "http/server.h"
#include "notify/notify.h"
#include "notify/silence.h"

#define SILENCE_ID_DIGITS 20

static const char *const states[] = {"scheduled", "active", "expired", "cancelled"};

static void unknown_silence(struct http_request *req, const char *rest)
{
    char detail[160], shown[64];
    snprintf(detail, sizeof(detail), "no silence \"%s\"",
             api__printable(rest + 1, strlen(rest + 1), shown, sizeof(shown)));
    api__error(req, 404, "unknown_silence", detail);
}

/* The silence id that rest names, or 0 (after answering 404) when it names
 * none; -1 for the collection itself. */
static int64_t silence_id(struct http_request *req, const char *rest)
{
    char id[SILENCE_ID_DIGITS + 1];
    const char *sub;
    int item = api__item(rest, id, sizeof(id), &sub);
    int n;
    if (item == 0)
        return -1;
    if (item == 1 && !*sub && query_count(id, INT32_MAX, &n) == 0)
        return n;
    unknown_silence(req, rest);
    return 0;
}

/* {"version":1,"silence":...} when fn (notify_silence_get,
 * notify_unsilence) writes one and returns 1; else nothing is answered and
 * what fn returned is returned. */
static int answer(struct api *api, struct http_request *req, int64_t id,
                  int (*fn)(struct notify *n, int64_t id, struct buf *out))
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"silence\":");
    int rc = fn(api->notify, id, &b);
    if (rc != 1) {
        buf_free(&b);
        return rc;
    }
    buf_putc(&b, '}');
    api__json(req, 200, &b);
    return 1;
}

/* Reads kind= and state= into f: 0, or -1 after answering 400. */
static int parse_filter(struct http_request *req, struct notify_silence_filter *f)
{
    const char *v = http_query(req, "kind");
    if (v) {
        if (strcmp(v, "silence") && strcmp(v, "maintenance")) {
            api__error(req, 400, "invalid_kind", "kind is silence or maintenance");
            return -1;
        }
        f->kind = v[0] == 's' ? SILENCE_MUTE : SILENCE_MAINTENANCE;
    }
    if ((v = http_query(req, "state"))) {
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]) && !f->state; i++)
            if (strcmp(v, states[i]) == 0)
                f->state = states[i];
        if (!f->state) {
            api__error(req, 400, "invalid_state",
                       "state is scheduled, active, expired or cancelled");
            return -1;
        }
    }
    return 0;
}

/* {"version":1,"<key>":[...]} of the silences f selects. */
static void list(struct api *api, struct http_request *req, const char *key,
                 const struct notify_silence_filter *f)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "{\"version\":1,\"%s\":[", key);
    notify_silences(api->notify, f, &b);
    buf_puts(&b, "]}");
    api__json(req, 200, &b);
}

void api__silences(struct api *api, struct http_request *req, const char *rest)
{
    if (!api__require_admin(api, req))
        return;
    int64_t id = silence_id(req, rest);
    if (id < 0) {
        struct notify_silence_filter f = {.kind = -1, .service = -1};
        if (parse_filter(req, &f) == 0)
            list(api, req, "silences", &f);
        return;
    }
    if (id > 0 && answer(api, req, id, notify_silence_get) == 0)
        unknown_silence(req, rest);
}

void api__silences_post(struct api *api, struct http_request *req, const char *rest)
{
    api__create(api, req, rest, "silence", notify_silence, "GET, HEAD, DELETE");
}

void api__silences_delete(struct api *api, struct http_request *req, const char *rest)
{
    if (!api__require_admin(api, req))
        return;
    int64_t id = silence_id(req, rest);
    if (id < 0) {
        api__method_not_allowed(req, "GET, HEAD, POST");
        return;
    }
    int rc = id > 0 ? answer(api, req, id, notify_unsilence) : 1;
    if (rc == 1)
        return;
    if (rc == 0)
        unknown_silence(req, rest);
    else if (rc == -EALREADY)
        api__error(req, 409, "already_ended", "this silence has expired or was cancelled");
    else
        api__error(req, 503, "storage_unavailable", "the silence could not be cancelled; retry");
}

void api__maintenance(struct api *api, struct http_request *req, const char *rest)
{
    struct notify_silence_filter f = {.kind = SILENCE_MAINTENANCE, .current = 1, .service = -1,
                                      .public_view = 1};
    const char *v = http_query(req, "all");
    int all = 0;
    if (*rest && strcmp(rest, "/") != 0) {
        api__error(req, 404, "not_found", "maintenance windows are listed at /api/v1/maintenance");
        return;
    }
    if (v && query_flag(v, &all) < 0) {
        api__error(req, 400, "invalid_all", "all is true or false");
        return;
    }
    f.current = !all;
    list(api, req, "maintenance", &f);
}
