/* server.h - the HTTP layer: libmicrohttpd with downwatch's limits, and a
 * small request/response API for the handlers. It knows nothing of reports.
 *
 * `threads` event loops share one listening socket; each is a thread
 * running its own libmicrohttpd daemon in external epoll mode, with
 * keep-alive and pipelining. After every pass over its ready connections a
 * loop calls the after_run hook, where the handlers' parked requests are
 * settled together (the API commits them in one transaction). On top, this
 * layer gives every handler:
 * - the body collected up to max_body; a Content-Length above it is
 *   answered 413 before the body is read, and a chunked body that grows past
 *   it has its connection closed (MHD cannot answer mid-upload);
 *   Content-Length together with Transfer-Encoding is refused (400, a
 *   request-smuggling shape);
 * - request line and headers bounded by max_header bytes per connection,
 *   silent connections closed after idle_timeout, connections whose request
 *   headers take longer than header_timeout (a slow drip of bytes that keeps
 *   the idle timer happy) shut down by a reaper thread, and connections
 *   capped in total and per address over all loops;
 * - http_respond(), at once or later from any thread: a request without an
 *   answer when its handler returns is suspended (its connection parked)
 *   until http_respond() is called, so no thread waits for the disk while
 *   other connections wait for it.
 * Shutdown is two-step: http_quiesce() stops accepting and answers new
 * requests 503, http_stop() waits for deferred answers, then closes. */
#ifndef DW_HTTP_SERVER_H
#define DW_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct http_server;
struct http_request;

/* Called on an event loop's thread after each pass over its connections,
 * with the handler's ctx: the place to settle, all at once, the requests
 * that pass parked (a group commit). The loop's next pass, at once, sends
 * the answers. May be NULL. */
typedef void (*http_after_run_fn)(void *ctx);

/* Called on an event loop's thread as each answer is queued, with the
 * handler's ctx: the request's path, the status sent and the nanoseconds
 * from the arrival of its headers to its answer (0 for the requests this
 * layer refuses from their headers alone). Requests that libmicrohttpd
 * refuses itself (malformed, headers over max_header) are not seen. It must
 * be quick: it runs once per request. May be NULL. */
typedef void (*http_observe_fn)(void *ctx, const char *path, unsigned status,
                                int64_t elapsed_ns);

struct http_server_config {
    const char *listen;        /* "host:port"; port 0 picks a free one */
    int threads;               /* event loops, >= 1 */
    int max_connections;
    int max_connections_per_ip;/* 0 = no limit */
    int idle_timeout;          /* seconds of silence before a connection is closed */
    int header_timeout;        /* seconds for a request's headers to arrive (and
                                  for a keep-alive connection to start its next) */
    size_t max_body;           /* bytes */
    size_t max_header;         /* bytes per connection (request line + headers) */
    http_after_run_fn after_run;
    http_observe_fn observe;
};

/* Called once per complete request on an HTTP thread. It must arrange for
 * exactly one http_respond() for req, now or later (from any thread). */
typedef void (*http_handler_fn)(struct http_request *req, void *ctx);

/* Parse "host:port" / "[v6]:port" / ":port" into a socket address.
 * Returns 0 or -1 with a sentence in err. */
int http_parse_listen(const char *listen, struct sockaddr_storage *out, socklen_t *outlen,
                      char *err, size_t errsz);

/* Bind and start serving. Returns NULL with a sentence in err when the
 * address is bad or taken. */
struct http_server *http_start(const struct http_server_config *cfg, http_handler_fn handler,
                               void *ctx, char *err, size_t errsz);
/* The port actually bound (useful with port 0). */
uint16_t http_port(const struct http_server *srv);
/* Stop accepting connections; requests that still arrive on open
 * connections are answered 503 with Connection: close. */
void http_quiesce(struct http_server *srv);
/* Wait up to timeout_ms for deferred requests to be answered, then close
 * every connection and free the server. Returns the number of deferred
 * requests that were still unanswered (0 after a clean drain). */
int http_stop(struct http_server *srv, int timeout_ms);

/* Request accessors, valid until http_respond() returns. The path is
 * percent-decoded; the query value is decoded, NULL when absent. */
const char *http_method(const struct http_request *req);
const char *http_path(const struct http_request *req);
const char *http_header(const struct http_request *req, const char *name);
const char *http_query(const struct http_request *req, const char *name);
/* Every value of a header that may be repeated (X-Forwarded-For), joined
 * in order with ", " into out; returns out's text, or NULL when absent. */
struct buf;
const char *http_header_all(const struct http_request *req, const char *name, struct buf *out);
const char *http_body(const struct http_request *req, size_t *len);
const struct sockaddr *http_peer(const struct http_request *req);

/* Whether an If-None-Match value (NULL = absent) matches etag: "*", or
 * etag in its comma-separated list (weak comparison: W/ is ignored). For
 * the handlers that answer 304. */
int http_etag_matches(const char *if_none_match, const char *etag);

/* Add a response header (copied) before http_respond(); at most 8. */
void http_set_header(struct http_request *req, const char *name, const char *value);
/* Promise, from the handler, that this loop's after_run hook will answer
 * req: its connection then waits unparked (cheaper than a suspend and a
 * resume) and is parked only if the next pass still finds no answer. */
void http_answer_this_pass(struct http_request *req);
/* Answer the request: status, Content-Type and body. The body is taken
 * over (it must be malloc'ed; it is freed by the server; NULL for none).
 * Callable from any thread, exactly once per request; req must not be
 * touched afterwards. */
void http_respond(struct http_request *req, unsigned status, const char *content_type,
                  char *body, size_t len);
/* The same with a body that outlives the server (embedded assets): it is
 * sent from where it is, never copied or freed. */
void http_respond_static(struct http_request *req, unsigned status, const char *content_type,
                         const void *body, size_t len);

#endif
