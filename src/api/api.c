/* api.c - routing and the pieces every handler shares: JSON answers, the
 * error shape, token checks, ETags. Routes are few and fixed, so routing is
 * a prefix match on the decoded path; handlers live in reports.c,
 * services.c, incidents.c, updates.c, groups.c, openapi.c, for
 * notifications subscriptions.c, silences.c, deliveries.c and events.c,
 * and, outside /api/v1/, feeds.c and metrics.c. */
#include "api/api.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/query.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "store/store.h"

#define API_PREFIX "/api/v1/"

void api__json(struct http_request *req, unsigned status, struct buf *body)
{
    size_t len;
    buf_putc(body, '\n');
    char *data = buf_steal(body, &len);
    /* Reads must not be kept by caches; answers to POST, PUT and DELETE
     * never are without explicit freshness (RFC 9111), and the intake
     * answers enough of them for a header's copies to show. */
    const char *method = http_method(req);
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        http_set_header(req, "Cache-Control", "no-store");
    if (strcmp(method, "GET") == 0)
        http_set_header(req, "Access-Control-Allow-Origin", "*");
    http_respond(req, status, "application/json", data, len);
}

void api__error(struct http_request *req, unsigned status, const char *error, const char *detail)
{
    if (status == 401) /* RFC 9110: a 401 names the scheme it wants */
        http_set_header(req, "WWW-Authenticate", "Bearer realm=\"downwatch\"");
    struct buf b;
    buf_init(&b);
    buf_json_error_open(&b, error, detail);
    buf_putc(&b, '}');
    api__json(req, status, &b);
}

const char *api__printable(const char *s, size_t len, char *out, size_t outsz)
{
    size_t n = len < outsz - 1 ? len : outsz - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[n] = '\0';
    return out;
}

/* Compare without an early exit, so the time taken says nothing about how
 * much of the token matched. */
static int token_equal(const char *given, size_t glen, const char *want)
{
    size_t wlen = strlen(want);
    unsigned char diff = (unsigned char)(glen != wlen);
    for (size_t i = 0; i < wlen; i++)
        diff |= (unsigned char)(want[i] ^ (i < glen ? given[i] : 0));
    return diff == 0;
}

/* The token of an "Authorization: Bearer" header; NULL when there is no
 * Authorization header, "" when it is of another kind. */
static const char *bearer(struct http_request *req)
{
    const char *h = http_header(req, "Authorization");
    if (!h)
        return NULL;
    return strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 : "";
}

int api__auth(const struct api *api, struct http_request *req)
{
    const char *tok = bearer(req);
    if (!tok)
        return 0;
    if (!*tok)
        return -1;
    size_t len = strlen(tok);
    int ok = 0;
    if (*api->admin_token)
        ok |= token_equal(tok, len, api->admin_token);
    if (*api->replay_token)
        ok |= token_equal(tok, len, api->replay_token);
    return ok ? 1 : -1;
}

int api__bearer_is(struct http_request *req, const char *token)
{
    const char *tok = bearer(req);
    return tok && *tok && *token && token_equal(tok, strlen(tok), token);
}

int api__admin(const struct api *api, struct http_request *req)
{
    return api__bearer_is(req, api->admin_token);
}

int api__require_admin(const struct api *api, struct http_request *req)
{
    if (api__admin(api, req))
        return 1;
    api__error(req, 401, "unauthorized", "this resource needs the admin token");
    return 0;
}

int api__json_request(struct http_request *req)
{
    const char *ctype = http_header(req, "Content-Type");
    size_t n = ctype ? strcspn(ctype, "; \t") : 0;
    if (ctype && n == strlen("application/json") && strncasecmp(ctype, "application/json", n) == 0)
        return 1;
    api__error(req, 415, "unsupported_media_type", "send the body as application/json");
    return 0;
}

int api__parse_before(struct http_request *req, int64_t *out)
{
    const char *v = http_query(req, "before");
    int id;
    *out = 0;
    if (!v)
        return 0;
    if (query_count(v, INT_MAX, &id) < 0) {
        api__error(req, 400, "invalid_before", "before is the id of an entry, a whole number");
        return -1;
    }
    *out = id;
    return 0;
}

void api__create(struct api *api, struct http_request *req, const char *rest, const char *key,
                 api_create_fn create, const char *allow)
{
    if (!api__require_admin(api, req))
        return;
    if (*rest) {
        api__method_not_allowed(req, allow);
        return;
    }
    if (!api__json_request(req))
        return;
    size_t len;
    const char *body = http_body(req, &len);
    const char *code = "invalid_json";
    char detail[256], unstored[96];
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "{\"version\":1,\"%s\":", key);
    int64_t rc = create(api->notify, body, len, &b, &code, detail, sizeof(detail));
    if (rc > 0) {
        buf_putc(&b, '}');
        api__json(req, 201, &b);
        return;
    }
    buf_free(&b);
    snprintf(unstored, sizeof(unstored), "the %s could not be stored; retry", key);
    if (rc == 0)
        api__error(req, 400, code, detail);
    else
        api__error(req, 503, "storage_unavailable", unstored);
}

int api__item(const char *rest, char *id, size_t idsz, const char **sub)
{
    *sub = "";
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        return 0;
    const char *start = rest + 1, *slash = strchr(start, '/');
    size_t len = slash ? (size_t)(slash - start) : strlen(start);
    if (len == 0 || len >= idsz)
        return -1;
    memcpy(id, start, len);
    id[len] = '\0';
    *sub = slash ? slash : "";
    return 1;
}

int api__parse_limit(struct http_request *req, int max, int *out)
{
    const char *v = http_query(req, "limit");
    if (v && query_count(v, max, out) < 0) {
        char detail[80];
        snprintf(detail, sizeof(detail), "limit is a whole number from 1 to %d", max);
        api__error(req, 400, "invalid_limit", detail);
        return -1;
    }
    return 0;
}

static void health(struct api *api, struct http_request *req)
{
    struct store_stats st;
    store_get_stats(api->store, &st);
    struct buf b;
    buf_init(&b);
    buf_printf(&b,
               "{\"version\":1,\"status\":\"ok\",\"uptime_s\":%lld,\"store\":{\"commits\":%llu,"
               "\"reports\":%llu,\"failures\":%llu,\"queued\":%zu}}",
               (long long)(time_now() - api->started), (unsigned long long)st.commits,
               (unsigned long long)st.rows, (unsigned long long)st.failures, st.queued);
    api__json(req, 200, &b);
}

static void index_page(struct http_request *req)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"name\":\"downwatch\",\"version\":1,\"api\":{"
                 "\"reports\":\"/api/v1/reports\",\"services\":\"/api/v1/services\","
                 "\"incidents\":\"/api/v1/incidents\",\"groups\":\"/api/v1/groups\","
                 "\"maintenance\":\"/api/v1/maintenance\","
                 "\"health\":\"/api/v1/health\",\"openapi\":\"/api/v1/openapi.json\"}}");
    api__json(req, 200, &b);
}

/* The collections: a handler gets what follows the path ("" for the
 * collection itself, "/{id}..." below it). GET and HEAD go to get; POST and
 * DELETE to post and del, where there are (they answer 405 themselves for
 * what they do not take); any other method is refused here. */
typedef void (*collection_fn)(struct api *api, struct http_request *req, const char *rest);
static const struct {
    const char *path;
    collection_fn get, post, del;
} collections[] = {
    {API_PREFIX "services", api__services, NULL, NULL},
    {API_PREFIX "incidents", api__incidents, api__incidents_post, NULL},
    {API_PREFIX "groups", api__groups, NULL, NULL},
    {API_PREFIX "openapi.json", api__openapi, NULL, NULL},
    {API_PREFIX "subscriptions", api__subscriptions, api__subscriptions_post,
     api__subscriptions_delete},
    {API_PREFIX "silences", api__silences, api__silences_post, api__silences_delete},
    {API_PREFIX "maintenance", api__maintenance, NULL, NULL},
    {API_PREFIX "deliveries", api__deliveries, api__deliveries_post, NULL},
    {API_PREFIX "events", api__events, NULL, NULL},
    {"/feeds", api__feeds, NULL, NULL},
    {"/metrics", api__metrics, NULL, NULL},
};

void api__read_only(struct http_request *req)
{
    http_set_header(req, "Allow", "GET, HEAD");
    api__error(req, 405, "method_not_allowed", "this resource is read-only: use GET");
}

void api__method_not_allowed(struct http_request *req, const char *allow)
{
    char detail[96];
    snprintf(detail, sizeof(detail), "use %s", allow);
    http_set_header(req, "Allow", allow);
    api__error(req, 405, "method_not_allowed", detail);
}

void api__unknown_service(struct http_request *req, const char *id, size_t len)
{
    char detail[160], shown[65];
    snprintf(detail, sizeof(detail), "no service \"%s\" in the catalog",
             api__printable(id, len, shown, sizeof(shown)));
    api__error(req, 404, "unknown_service", detail);
}

void api_handle(struct http_request *req, void *ctx)
{
    struct api *api = ctx;
    const char *path = http_path(req);
    const char *method = http_method(req);
    if (strcmp(method, "OPTIONS") == 0) {
        http_set_header(req, "Access-Control-Allow-Origin", "*");
        http_set_header(req, "Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
        http_set_header(req, "Access-Control-Allow-Headers", "Content-Type, Authorization");
        http_respond(req, 204, NULL, NULL, 0);
        return;
    }
    if (strcmp(path, API_PREFIX "reports") == 0) {
        api__reports(api, req);
        return;
    }
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    for (size_t i = 0; i < sizeof(collections) / sizeof(collections[0]); i++) {
        size_t len = strlen(collections[i].path);
        const char *rest = path + len;
        if (strncmp(path, collections[i].path, len) != 0 || (*rest != '\0' && *rest != '/'))
            continue;
        if (is_get)
            collections[i].get(api, req, rest);
        else if (strcmp(method, "POST") == 0 && collections[i].post)
            collections[i].post(api, req, rest);
        else if (strcmp(method, "DELETE") == 0 && collections[i].del)
            collections[i].del(api, req, rest);
        else if (collections[i].post || collections[i].del)
            api__method_not_allowed(req, collections[i].del ? "GET, HEAD, POST, DELETE"
                                                            : "GET, HEAD, POST");
        else
            api__read_only(req);
        return;
    }
    int index = strcmp(path, API_PREFIX) == 0 || strcmp(path, "/api/v1") == 0;
    if (strcmp(path, API_PREFIX "health") == 0 || index) {
        if (!is_get) {
            http_set_header(req, "Allow", "GET, HEAD");
            api__error(req, 405, "method_not_allowed", "use GET");
            return;
        }
        if (index)
            index_page(req);
        else
            health(api, req);
        return;
    }
    api__error(req, 404, "not_found", "no such resource; the API lives under /api/v1/");
}
