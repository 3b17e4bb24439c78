/* groups.c - GET /api/v1/groups and /api/v1/groups/{id}: incidents that
 * started together in the same countries (one cause, such as the Meta
 * outage of 3 April 2024), as the detector grouped them.
 *
 * A group is the incidents that share the `group` field, named after the
 * first of them. The list shows groups of two or more (all=1 adds the lone
 * incidents, each a group of one under its own id), open=1 only those with
 * an incident still open, at most `limit` (default 100, at most 1000),
 * newest first. Each group: its id, whether it is open, its start (the
 * earliest onset) and end (the last end, null while open), its services
 * and incidents in order of onset. The store hands out the member rows
 * group by group (store_list_groups); this file folds them into objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "live/live.h"
#include "store/store.h"

#define GROUPS_DEFAULT 100
#define GROUPS_MAX 1000

/* The group being folded, written into out when the next one starts. */
struct fold {
    struct buf *out;
    int groups;
    char id[LIVE_ID_MAX];
    int open;
    int64_t start, end;
    struct buf services, incidents;
    int members;
};

static void time_or_null(struct buf *b, int64_t t)
{
    char iso[32];
    if (t < 0) {
        buf_puts(b, "null");
        return;
    }
    time_format(t, iso, sizeof(iso));
    buf_printf(b, "\"%s\"", iso);
}

static void flush_group(struct fold *f)
{
    if (!f->members)
        return;
    buf_puts(f->out, f->groups++ ? ",{\"id\":" : "{\"id\":");
    buf_json_cstr(f->out, f->id);
    buf_printf(f->out, ",\"open\":%s,\"start\":", f->open ? "true" : "false");
    time_or_null(f->out, f->start);
    buf_puts(f->out, ",\"end\":");
    time_or_null(f->out, f->open ? -1 : f->end);
    buf_puts(f->out, ",\"services\":[");
    buf_append(f->out, f->services.data, f->services.len);
    buf_puts(f->out, "],\"incidents\":[");
    buf_append(f->out, f->incidents.data, f->incidents.len);
    buf_puts(f->out, "]}");
    buf_reset(&f->services);
    buf_reset(&f->incidents);
    f->members = 0;
}

/* Whether the JSON array items in b already hold the id s: ids have no
 * quotes or backslashes, so a quoted match is a whole item. */
static int listed(const struct buf *b, const char *s)
{
    struct buf quoted;
    buf_init(&quoted);
    buf_json_cstr(&quoted, s);
    int found = b->data && strstr(b->data, quoted.data);
    buf_free(&quoted);
    return found;
}

static void on_member(void *arg, const struct store_group_member *m)
{
    struct fold *f = arg;
    if (f->members && strcmp(f->id, m->group) != 0)
        flush_group(f);
    if (!f->members) {
        snprintf(f->id, sizeof(f->id), "%s", m->group);
        f->open = 0;
        f->start = m->start;
        f->end = m->end;
    }
    f->open |= m->end < 0;
    if (m->end > f->end)
        f->end = m->end;
    if (!listed(&f->services, m->service)) {
        if (f->services.len)
            buf_putc(&f->services, ',');
        buf_json_cstr(&f->services, m->service);
    }
    if (f->members++)
        buf_putc(&f->incidents, ',');
    buf_json_cstr(&f->incidents, m->id);
}

/* Read the groups that f selects into out (JSON objects, comma-separated);
 * returns how many, or -1 when the store cannot be read. */
static long read_groups(struct api *api, const struct store_group_filter *filter, struct buf *out)
{
    struct fold f = {.out = out};
    buf_init(&f.services);
    buf_init(&f.incidents);
    long n = store_list_groups(api->store, filter, on_member, &f);
    flush_group(&f);
    buf_free(&f.services);
    buf_free(&f.incidents);
    return n;
}

static void open_answer(struct api *api, struct buf *b)
{
    char now[32];
    time_format(live_now(api->live), now, sizeof(now));
    buf_init(b);
    buf_printf(b, "{\"version\":1,\"now\":\"%s\",", now);
}

static void list_groups(struct api *api, struct http_request *req)
{
    struct store_group_filter f = {.min_incidents = 2, .limit = GROUPS_DEFAULT};
    const char *v;
    int all = 0;
    if ((v = http_query(req, "open")) && api__parse_flag(v, &f.open_only) < 0) {
        api__error(req, 400, "invalid_open", "open is true or false");
        return;
    }
    if ((v = http_query(req, "all")) && api__parse_flag(v, &all) < 0) {
        api__error(req, 400, "invalid_all", "all is true or false");
        return;
    }
    if (all)
        f.min_incidents = 1;
    if (api__parse_limit(req, GROUPS_MAX, &f.limit) < 0)
        return;
    struct buf b;
    open_answer(api, &b);
    buf_puts(&b, "\"groups\":[");
    if (read_groups(api, &f, &b) < 0) {
        buf_free(&b);
        api__error(req, 503, "storage_unavailable", "the incidents cannot be read right now");
        return;
    }
    buf_puts(&b, "]}");
    api__json(req, 200, &b);
}

static void one_group(struct api *api, struct http_request *req, const char *id)
{
    struct store_group_filter f = {.id = id, .min_incidents = 1, .limit = 1};
    struct buf b;
    open_answer(api, &b);
    buf_puts(&b, "\"group\":");
    long n = read_groups(api, &f, &b);
    if (n == 1) {
        buf_putc(&b, '}');
        api__json(req, 200, &b);
        return;
    }
    buf_free(&b);
    if (n < 0) {
        api__error(req, 503, "storage_unavailable", "the incidents cannot be read right now");
        return;
    }
    char shown[80], detail[160];
    snprintf(detail, sizeof(detail), "no group \"%s\"",
             api__printable(id, strlen(id), shown, sizeof(shown)));
    api__error(req, 404, "unknown_group", detail);
}

void api__groups(struct api *api, struct http_request *req, const char *rest)
{
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        list_groups(api, req);
    else
        one_group(api, req, rest + 1);
}
