/* api.h - the JSON API of `downwatch serve`: routes HTTP requests to the
 * intake stages and translates their answers back into HTTP.
 *
 *   POST /api/v1/reports                 one report (application/json) or an
 *                                        NDJSON batch (application/x-ndjson)
 *   GET  /api/v1/services                the catalog, each service with its
 *                                        status, open incident, group, last
 *                                        24 h (sparkline) and above_normal
 *   GET  /api/v1/services/{id}           one service: status, open incident,
 *                                        problem shares, countries' excess
 *   GET  /api/v1/services/{id}/series    minute/hour counts with the normal
 *                                        band (expected, upper)
 *   GET  /api/v1/incidents               incidents, filtered
 *   GET  /api/v1/incidents/{id}          one incident, its timeline and the
 *                                        official updates
 *   POST /api/v1/incidents/{id}/updates  an official update (admin token)
 *   GET  /api/v1/groups                  incidents that started together
 *   GET  /api/v1/groups/{id}             one group
 *   GET/POST /api/v1/subscriptions, GET/DELETE /api/v1/subscriptions/{id}
 *                                        webhook subscriptions (admin token)
 *   GET/POST /api/v1/silences, GET/DELETE /api/v1/silences/{id}
 *                                        silences and maintenance (admin token)
 *   GET  /api/v1/maintenance             maintenance windows (public)
 *   GET  /api/v1/deliveries              the outbox, dead letters (admin token)
 *   POST /api/v1/deliveries/{id}/retry   send a dead letter again (admin token)
 *   GET  /api/v1/events                  what downwatch did (admin token)
 *   GET  /api/v1/openapi.json            the OpenAPI 3.0.3 description
 *   GET  /api/v1/health                  liveness and store figures
 *   GET  /api/v1/                        an index of these routes (/ is the
 *                                        status page, src/web/)
 *   GET  /feeds/incidents.atom           Atom feeds of incidents, all of them
 *   GET  /feeds/services/{id}.atom       and one service's (feeds.c)
 *   GET  /metrics                        Prometheus metrics (metrics.c)
 *
 * "Now" in the answers is the detector's watermark (live_now), so that a
 * replayed trace shows its own last 24 hours. Every JSON answer has
 * "version":1; errors are always {"error":"<code>","detail":"<sentence>"}
 * with the right status. This layer owns no state of its own beyond the
 * pointers to the stages in struct api. */
#ifndef DW_API_H
#define DW_API_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "report/country.h"
#include "report/report.h"

struct http_request;
struct catalog;
struct geo;
struct guard;
struct store;
struct series;
struct live;
struct notify;

struct api {
    const struct catalog *catalog;
    const struct geo *geo;
    struct guard *guard;
    struct store *store;
    struct series *series;
    struct live *live;        /* required */
    struct notify *notify;    /* required */
    const char *admin_token;  /* "" = none */
    const char *replay_token; /* "" = none */
    const char *metrics_token; /* "" = /metrics is public */
    const char *public_url;   /* "https://host[:port][/prefix]" for the feeds' links
                                 and ids; "" = links from the Host header */
    int64_t started;          /* Unix seconds */
};

/* The http_handler_fn of the server; ctx is a struct api. Reports are
 * parked until the end of the event loop's pass... */
void api_handle(struct http_request *req, void *ctx);
/* ...when this, the server's http_after_run_fn, commits them together and
 * answers them. */
void api_after_run(void *ctx);

/* Check the public_url option: "" or http(s)://host[:port][/prefix] in
 * plain URL characters. Returns 0, or -1 with a sentence in err. */
int api_check_public_url(const char *url, char *err, size_t errsz);

/* Register the metrics this layer counts (and the webhook deliveries,
 * until the notifier registers them itself); once, before serving. */
void api_metrics_register(void);
/* The server's http_observe_fn: counts each answer by route and code, and
 * its latency. */
void api_observe(void *ctx, const char *path, unsigned status, int64_t elapsed_ns);

/* Shared by the handlers (api__ = internal to src/api/). */
void api__error(struct http_request *req, unsigned status, const char *error,
                const char *detail);
void api__json(struct http_request *req, unsigned status, struct buf *body);
void api__reports(struct api *api, struct http_request *req);
void api__services(struct api *api, struct http_request *req, const char *rest);
void api__incidents(struct api *api, struct http_request *req, const char *rest);
void api__incidents_post(struct api *api, struct http_request *req, const char *rest);
void api__groups(struct api *api, struct http_request *req, const char *rest);
void api__openapi(struct api *api, struct http_request *req, const char *rest);
void api__subscriptions(struct api *api, struct http_request *req, const char *rest);
void api__subscriptions_post(struct api *api, struct http_request *req, const char *rest);
void api__subscriptions_delete(struct api *api, struct http_request *req, const char *rest);
void api__silences(struct api *api, struct http_request *req, const char *rest);
void api__silences_post(struct api *api, struct http_request *req, const char *rest);
void api__silences_delete(struct api *api, struct http_request *req, const char *rest);
void api__maintenance(struct api *api, struct http_request *req, const char *rest);
void api__deliveries(struct api *api, struct http_request *req, const char *rest);
void api__deliveries_post(struct api *api, struct http_request *req, const char *rest);
void api__events(struct api *api, struct http_request *req, const char *rest);

/* GET /metrics (metrics.c) and GET /feeds/... (feeds.c), outside /api/v1/. */
void api__metrics(struct api *api, struct http_request *req, const char *rest);
void api__feeds(struct api *api, struct http_request *req, const char *rest);

/* The intake's figures for /metrics: reports received, stored (and how
 * many of them counted as votes), rejected with the reason code of the
 * answer (codes outside metrics.c's list count as "other"). */
void api__count_received(size_t n);
void api__count_stored(size_t stored, size_t votes);
void api__count_rejected(const char *reason, size_t n);

/* 405 for a method other than GET/HEAD on a read-only resource. */
void api__read_only(struct http_request *req);
/* 405 naming the methods a resource takes ("GET, HEAD, POST"). */
void api__method_not_allowed(struct http_request *req, const char *allow);

/* 1 when the request carries the admin token; else answers 401
 * unauthorized (the same answer whatever was wrong) and returns 0. */
int api__require_admin(const struct api *api, struct http_request *req);

/* 1 when the request's Content-Type is application/json (parameters such
 * as charset allowed); else answers 415 and returns 0. */
int api__json_request(struct http_request *req);

/* Creates an item from a JSON body: > 0 and the item's JSON in out, 0 for a
 * bad body (an error code and a sentence), or a negative errno when it
 * cannot be stored (notify_subscribe, notify_silence). */
typedef int64_t (*api_create_fn)(struct notify *n, const char *body, size_t len,
                                 struct buf *out, const char **code, char *detail, size_t detsz);

/* POST to a collection of the notify stage (rest "" for the collection
 * itself, else 405 naming allow): admin token, a JSON body, then 201
 * {"version":1,"<key>":{...}}, 400 with the creator's code, or 503. */
void api__create(struct api *api, struct http_request *req, const char *rest, const char *key,
                 api_create_fn create, const char *allow);

/* What a collection handler's rest names: 0 the collection ("" or "/"),
 * 1 an item (its id copied into id, NUL-terminated, and what follows it,
 * "" or "/...", in *sub), -1 an empty id or one of idsz bytes or more. */
int api__item(const char *rest, char *id, size_t idsz, const char **sub);

/* The query's before (an entry id; 0 when absent) into *out: 0, or -1
 * after answering 400 invalid_before. */
int api__parse_before(struct http_request *req, int64_t *out);

/* An official update's body, read by api__parse_update. */
#define UPDATE_TEXT_MAX 2000
struct api_update {
    char *text;         /* allocated (the caller frees it, also after a failure):
                           1..UPDATE_TEXT_MAX bytes of UTF-8, trimmed, no control
                           character but '\n' */
    const char *status; /* "investigating", "identified", "monitoring",
                           "resolved", or NULL */
};

/* Read a body {"text":"...","status":"..."|null} (strict JSON, no other
 * field) into *out (which starts as {NULL, NULL}): 0, or -1 with an error
 * code ("invalid_text", "unknown_field", ...) and a sentence. */
int api__parse_update(const char *body, size_t len, struct api_update *out, const char **code,
                      char *detail, size_t detsz);

struct store_update;
/* POST /api/v1/incidents/{id}/updates for the incident id (updates.c). */
void api__post_update(struct api *api, struct http_request *req, const char *id);
/* One official update as the API shows it: {"id","incident","at","text",
 * "status"}. */
void api__update_json(struct buf *b, const struct store_update *u);

/* What a stored incident state's JSON says beyond the store's columns. */
struct api_incident_facts {
    int ncountries;
    int countries[COUNTRY_SLOTS];    /* country.h indexes, most extra reports first */
    int nproblems;
    int problems[REP_PROBLEM_COUNT]; /* enum rep_problem, largest share first */
    double shares[REP_PROBLEM_COUNT];
    double peak_per_min;
};

/* Read countries, problem shares and peak from an incident's JSON (len
 * bytes); what is missing or unreadable reads as none (incidents.c). */
void api__incident_facts(const char *json, size_t len, struct api_incident_facts *out);

/* Copy len bytes of outside text into out (size outsz) for an error
 * sentence: anything but printable ASCII becomes '?', long text is cut. */
const char *api__printable(const char *s, size_t len, char *out, size_t outsz);

/* 404 unknown_service for the len bytes of id. */
void api__unknown_service(struct http_request *req, const char *id, size_t len);

/* Which token a request carries: 0 none, 1 replay/admin token valid,
 * -1 an Authorization header with a wrong token. Constant-time compare. */
int api__auth(const struct api *api, struct http_request *req);

/* 1 when the request carries "Authorization: Bearer <token>" (token not
 * empty; compared in constant time), else 0. */
int api__bearer_is(struct http_request *req, const char *token);

/* 1 when the request carries the admin token (one is configured and
 * "Authorization: Bearer <it>" matches, compared in constant time), else 0. */
int api__admin(const struct api *api, struct http_request *req);

/* The query's limit (1..max) into *out, left as it is when absent: 0, or
 * -1 after answering 400 invalid_limit. */
int api__parse_limit(struct http_request *req, int max, int *out);

#endif
