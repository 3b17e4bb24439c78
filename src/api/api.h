/* api.h - the JSON API of `downwatch serve`: routes HTTP requests to the
 * intake stages and translates their answers back into HTTP.
 *
 *   POST /api/v1/reports                 one report (application/json) or an
 *                                        NDJSON batch (application/x-ndjson)
 *   GET  /api/v1/services                the catalog
 *   GET  /api/v1/services/{id}           one service
 *   GET  /api/v1/services/{id}/series    minute/hour counts
 *   GET  /api/v1/health                  liveness and store figures
 *   GET  /api/v1/                        an index of these routes (/ is the
 *                                        status page, src/web/)
 *
 * Errors are always {"error":"<code>","detail":"<sentence>"} with the right
 * status. This layer owns no state of its own beyond the pointers to the
 * stages in struct api. */
#ifndef DW_API_H
#define DW_API_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct http_request;
struct catalog;
struct geo;
struct guard;
struct store;
struct series;
struct live;

struct api {
    const struct catalog *catalog;
    const struct geo *geo;
    struct guard *guard;
    struct store *store;
    struct series *series;
    struct live *live;
    const char *admin_token;  /* "" = none */
    const char *replay_token; /* "" = none */
    int64_t started;          /* Unix seconds */
};

/* The http_handler_fn of the server; ctx is a struct api. Reports are
 * parked until the end of the event loop's pass... */
void api_handle(struct http_request *req, void *ctx);
/* ...when this, the server's http_after_run_fn, commits them together and
 * answers them. */
int api_after_run(void *ctx);

/* Shared by the handlers (api__ = internal to src/api/). */
void api__error(struct http_request *req, unsigned status, const char *error,
                const char *detail);
void api__json(struct http_request *req, unsigned status, struct buf *body);
void api__reports(struct api *api, struct http_request *req);
void api__services(struct api *api, struct http_request *req, const char *rest);
void api__incidents(struct api *api, struct http_request *req, const char *rest);

/* Copy len bytes of outside text into out (size outsz) for an error
 * sentence: anything but printable ASCII becomes '?', long text is cut. */
const char *api__printable(const char *s, size_t len, char *out, size_t outsz);

/* 404 unknown_service for the len bytes of id. */
void api__unknown_service(struct http_request *req, const char *id, size_t len);

/* A time as ISO 8601 or Unix seconds (0..9999-12-31): 0, or -1. */
int api__parse_time(const char *s, int64_t *out);

/* Which token a request carries: 0 none, 1 replay/admin token valid,
 * -1 an Authorization header with a wrong token. Constant-time compare. */
int api__auth(const struct api *api, struct http_request *req);

#endif
