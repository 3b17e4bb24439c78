/* incidents.c - GET /api/v1/incidents and /api/v1/incidents/{id}.
 *
 * Both read the store's incidents (live.h writes them as the detector
 * publishes them), so they show the history across restarts. Filters on
 * the list: service, group, open=true|false, since (ISO 8601 or Unix
 * seconds: incidents still open then or ending after it) and limit
 * (default 100, at most 1000), newest start first. One incident comes with
 * its timeline: every state it went through, oldest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "http/server.h"
#include "store/store.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

static void list_incidents(struct api *api, struct http_request *req)
{
    struct store_incident_filter f = {.limit = LIST_DEFAULT, .since = INT64_MIN};
    const char *v;
    char detail[200];
    if ((v = http_query(req, "service"))) {
        if (catalog_find(api->catalog, v, strlen(v)) < 0) {
            api__unknown_service(req, v, strlen(v));
            return;
        }
        f.service = v;
    }
    f.group = http_query(req, "group");
    if ((v = http_query(req, "open"))) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0 && strcmp(v, "1") != 0 &&
            strcmp(v, "0") != 0) {
            api__error(req, 400, "invalid_open", "open is true or false");
            return;
        }
        f.open_only = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
    }
    if ((v = http_query(req, "since")) && api__parse_time(v, &f.since) < 0) {
        api__error(req, 400, "invalid_since", "since is an ISO 8601 time or Unix seconds");
        return;
    }
    if ((v = http_query(req, "limit"))) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*v == '\0' || *end || n < 1 || n > LIST_MAX) {
            snprintf(detail, sizeof(detail), "limit is a whole number from 1 to %d", LIST_MAX);
            api__error(req, 400, "invalid_limit", detail);
            return;
        }
        f.limit = (int)n;
    }
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"incidents\":[");
    if (store_list_incidents(api->store, &f, &b) < 0) {
        buf_free(&b);
        api__error(req, 503, "storage_unavailable", "the incidents cannot be read right now");
        return;
    }
    buf_puts(&b, "]}");
    api__json(req, 200, &b);
}

void api__incidents(struct api *api, struct http_request *req, const char *rest)
{
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        list_incidents(api, req);
        return;
    }
    const char *id = rest + 1;
    struct buf b;
    buf_init(&b);
    int found = strchr(id, '/') ? 0 : store_get_incident(api->store, id, &b);
    if (found == 1) {
        api__json(req, 200, &b);
        return;
    }
    buf_free(&b);
    if (found < 0) {
        api__error(req, 503, "storage_unavailable", "the incidents cannot be read right now");
        return;
    }
    char shown[80], detail[160];
    snprintf(detail, sizeof(detail), "no incident \"%s\"",
             api__printable(id, strlen(id), shown, sizeof(shown)));
    api__error(req, 404, "unknown_incident", detail);
}
