/* server.c - libmicrohttpd wrapped with downwatch's limits (see server.h).
 *
 * Each event loop owns an MHD daemon in external epoll mode on the shared
 * listening socket; loop_main waits on an epoll set holding the daemon's
 * epoll fd and an eventfd, runs the daemon, then the after_run hook.
 * Per request, MHD calls `on_access` several times: once when the headers
 * are in (we check the body size and smuggling shapes here, before reading
 * any body), once per body chunk (collected into a buffer up to max_body),
 * and once at the end, where the handler runs. If the handler has not
 * answered by the time it returns but promised an answer from this loop's
 * after_run hook (a group commit), the connection is left as it is: MHD
 * keeps it among its ready connections and calls on_access again on its
 * next pass, which queues the answer, or parks it if there is none yet.
 * Otherwise the connection is suspended (parked); whoever
 * later calls http_respond() resumes it (and, from another thread, wakes
 * the loop through its eventfd, since MHD keeps no wake-up channel in
 * external mode) and MHD calls on_access again, which queues the stored
 * answer. A per-request mutex orders "suspend" and "answer" so that an
 * answer arriving before the suspend is never lost and a resume always
 * follows its suspend. Connections are tracked from open to close for the
 * limits over all loops (an accept policy) and for the header timeout,
 * which MHD's own idle timeout cannot enforce (see reaper_main). Each
 * answer is reported to the observe hook (metrics) as it is queued, with
 * the time since the request's headers came in. */
#include "http/server.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"

#define MAX_EXTRA_HEADERS 8
#define IP_BUCKETS 65536 /* per-address connection counts; colliding addresses share one */
#define REAPER_PERIOD_NS 500000000LL

/* One open connection, for the header timeout: waiting for a request's
 * headers since phase_start_ns unless in_request. Those two are written by
 * the connection's loop without a lock and read by the reaper. */
struct conn_track {
    struct MHD_Connection *conn;
    _Atomic int64_t phase_start_ns;
    atomic_int in_request;
    unsigned ip_bucket; /* its slot in ip_counts */
    struct conn_track *prev, *next;
};

/* One event loop: a thread running its own MHD daemon on the shared
 * listening socket. Aligned so that loops do not share a cache line. */
struct loop {
    _Alignas(64) struct http_server *srv;
    struct MHD_Daemon *daemon;
    pthread_t thread;
    int wake_fd;  /* eventfd: another thread resumed one of ours, or stop */
    int quiesced; /* this loop has stopped accepting */
    atomic_int pending; /* its requests waiting for an answer (waiting or parked) */
};

/* The loop whose thread this is (NULL elsewhere). */
static __thread struct loop *current_loop;

struct http_server {
    int listen_fd;
    int nloops;
    struct loop *loops;
    atomic_int stopping;
    atomic_int quiesced; /* loops that stopped accepting */
    http_after_run_fn after_run;
    http_observe_fn observe;
    int64_t header_timeout_ns;
    pthread_mutex_t conns_lock;   /* guards conns, open and ip_counts */
    struct conn_track *conns;
    int open;                     /* connections now */
    int max_open, max_per_ip;     /* the limits, for all loops together */
    int *ip_counts;               /* connections per hashed client address */
    pthread_t reaper;
    atomic_int reaper_stop;
    http_handler_fn handler;
    void *ctx;
    size_t max_body;
    uint16_t port;
    atomic_int closing;  /* set by http_quiesce */
};

/* REQ_WAITING: promised an answer by this loop's after_run hook, so left
 * unparked in MHD's ready list (MHD calls on_access again on its next pass);
 * parked after all if that pass finds it still unanswered. */
enum req_state { REQ_READING, REQ_HANDLING, REQ_WAITING, REQ_SUSPENDED, REQ_ANSWERED };

struct http_request {
    struct http_server *srv;
    struct loop *loop; /* whose daemon has the connection */
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    struct buf body;
    pthread_mutex_t lock;
    enum req_state state;
    struct MHD_Response *response;
    unsigned status;
    int answer_this_pass; /* http_answer_this_pass() was called */
    int orphaned;         /* MHD ended the request before its answer came */
    int64_t started_ns; /* when its headers were in, for the observe hook */
    unsigned nheaders;
    char *headers[MAX_EXTRA_HEADERS][2];
};

int http_parse_listen(const char *listen, struct sockaddr_storage *out, socklen_t *outlen,
                      char *err, size_t errsz)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon) {
        err_set(err, errsz, "listen address \"%s\" needs a port (host:port)", listen);
        return -1;
    }
    size_t hlen = (size_t)(colon - listen);
    if (hlen >= sizeof(host)) {
        err_set(err, errsz, "listen address \"%s\" is too long", listen);
        return -1;
    }
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || errno || port < 0 || port > 65535) {
        err_set(err, errsz, "listen address \"%s\": port must be 0..65535", listen);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
        host[hlen - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) {
            err_set(err, errsz, "listen address \"%s\": bad IPv6 address", listen);
            return -1;
        }
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *outlen = sizeof(*a6);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    if (hlen == 0 || strcmp(host, "*") == 0) {
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (strcmp(host, "localhost") == 0) {
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
        err_set(err, errsz, "listen address \"%s\": bad IPv4 address (use [v6]:port for IPv6)",
                listen);
        return -1;
    }
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *outlen = sizeof(*a4);
    return 0;
}

/* ---- answering ------------------------------------------------------- */

static struct MHD_Response *build_response(struct http_request *req, const char *content_type,
                                           const char *body, size_t len, int owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body ? (char *)body : (char *)"",
        body && owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    for (unsigned i = 0; i < req->nheaders; i++) {
        MHD_add_response_header(r, req->headers[i][0], req->headers[i][1]);
        free(req->headers[i][0]);
        free(req->headers[i][1]);
    }
    req->nheaders = 0;
    return r;
}

void http_set_header(struct http_request *req, const char *name, const char *value)
{
    if (req->nheaders >= MAX_EXTRA_HEADERS)
        return;
    req->headers[req->nheaders][0] = xstrdup(name);
    req->headers[req->nheaders][1] = xstrdup(value);
    req->nheaders++;
}

static void free_request(struct http_request *req)
{
    if (req->response)
        MHD_destroy_response(req->response);
    for (unsigned i = 0; i < req->nheaders; i++) {
        free(req->headers[i][0]);
        free(req->headers[i][1]);
    }
    buf_free(&req->body);
    pthread_mutex_destroy(&req->lock);
    free(req);
}

static void respond(struct http_request *req, unsigned status, const char *content_type,
                    const char *body, size_t len, int owned)
{
    struct MHD_Response *r = build_response(req, content_type, body, len, owned);
    struct MHD_Connection *conn = req->conn;
    struct loop *loop = req->loop;
    pthread_mutex_lock(&req->lock);
    req->response = r;
    req->status = status;
    enum req_state was = req->state;
    req->state = REQ_ANSWERED;
    int orphaned = req->orphaned;
    pthread_mutex_unlock(&req->lock);
    if (orphaned) {
        free_request(req); /* nobody left to send it to */
    } else if (was == REQ_SUSPENDED) {
        /* A parked request is ours alone until resumed: after the resume,
         * MHD may answer and free it at once, so req is not touched after. */
        MHD_resume_connection(conn);
        if (loop != current_loop) {
            /* MHD has no wake-up of its own for an external loop. */
            uint64_t one = 1;
            ssize_t unused = write(loop->wake_fd, &one, sizeof(one));
            (void)unused;
        }
    }
    if (was == REQ_WAITING || was == REQ_SUSPENDED)
        atomic_fetch_sub(&loop->pending, 1); /* the server lives until all are 0 */
}

void http_answer_this_pass(struct http_request *req)
{
    req->answer_this_pass = 1;
}

void http_respond(struct http_request *req, unsigned status, const char *content_type,
                  char *body, size_t len)
{
    respond(req, status, content_type, body, len, 1);
}

void http_respond_static(struct http_request *req, unsigned status, const char *content_type,
                         const void *body, size_t len)
{
    respond(req, status, content_type, body, len, 0);
}

/* Answer with a JSON error from inside on_access (the HTTP thread). */
static enum MHD_Result queue_error(struct MHD_Connection *conn, unsigned status,
                                   const char *error, const char *detail, int close)
{
    struct buf b;
    buf_init(&b);
    buf_json_error_open(&b, error, detail);
    buf_puts(&b, "}\n");
    size_t len;
    char *body = buf_steal(&b, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- the MHD callbacks ----------------------------------------------- */

static unsigned ip_bucket(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET6)
        return (unsigned)XXH3_64bits(&((const struct sockaddr_in6 *)sa)->sin6_addr, 16) %
               IP_BUCKETS;
    return (unsigned)XXH3_64bits(&((const struct sockaddr_in *)sa)->sin_addr, 4) % IP_BUCKETS;
}

/* Accept policy: the connection limits, counted over all loops (each MHD
 * daemon only knows its own connections). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *srv = cls;
    pthread_mutex_lock(&srv->conns_lock);
    int ok = srv->open < srv->max_open &&
             (srv->max_per_ip == 0 || srv->ip_counts[ip_bucket(addr)] < srv->max_per_ip);
    pthread_mutex_unlock(&srv->conns_lock);
    return ok ? MHD_YES : MHD_NO;
}

/* Track connections from open to close, so the reaper can find the ones
 * whose request headers are late. Runs on the connection's thread; CLOSED
 * comes before MHD closes the socket. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    struct conn_track *t = *socket_context;
    pthread_mutex_lock(&srv->conns_lock);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        t = xcalloc(1, sizeof(*t));
        t->conn = conn;
        t->phase_start_ns = time_mono_ns();
        const union MHD_ConnectionInfo *peer =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        t->ip_bucket = peer ? ip_bucket(peer->client_addr) : 0;
        srv->ip_counts[t->ip_bucket]++;
        srv->open++;
        t->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = t;
        srv->conns = t;
        *socket_context = t;
    } else if (t) {
        srv->ip_counts[t->ip_bucket]--;
        srv->open--;
        if (t->prev)
            t->prev->next = t->next;
        else
            srv->conns = t->next;
        if (t->next)
            t->next->prev = t->prev;
        free(t);
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&srv->conns_lock);
}

/* Mark the connection of a request as inside (1) or between (0) requests.
 * No lock: the track lives as long as the connection, which is ours, and
 * a reaper that reads the two fields in between only decides a pass late. */
static void track_request(struct MHD_Connection *conn, int in_request)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_track *t = info ? info->socket_context : NULL;
    if (!t)
        return;
    atomic_store_explicit(&t->phase_start_ns, time_mono_ns(), memory_order_relaxed);
    atomic_store_explicit(&t->in_request, in_request, memory_order_relaxed);
}

/* The header timeout: MHD only knows an idle timeout, which a client
 * dripping a header byte at a time resets forever. Twice a second, shut
 * down the sockets that have waited longer than header_timeout for a
 * request's headers; MHD then sees the end of the stream and closes them. */
static void *reaper_main(void *arg)
{
    struct http_server *srv = arg;
    pthread_setname_np(pthread_self(), "dw-reaper");
    while (!atomic_load(&srv->reaper_stop)) {
        struct timespec pause = {0, REAPER_PERIOD_NS};
        nanosleep(&pause, NULL);
        int64_t now = time_mono_ns();
        int reaped = 0;
        pthread_mutex_lock(&srv->conns_lock);
        for (struct conn_track *t = srv->conns; t; t = t->next) {
            if (t->in_request || now - t->phase_start_ns < srv->header_timeout_ns)
                continue;
            const union MHD_ConnectionInfo *info =
                MHD_get_connection_info(t->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (info) {
                shutdown(info->connect_fd, SHUT_RDWR);
                reaped++;
            }
            t->phase_start_ns = now; /* once is enough */
        }
        pthread_mutex_unlock(&srv->conns_lock);
        if (reaped)
            log_debug("connections closed for slow headers", "count=%d", reaped);
    }
    return NULL;
}

static int header_present(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name) != NULL;
}

struct header_count {
    const char *name;
    int n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    (void)value;
    struct header_count *c = cls;
    c->n += strcasecmp(key, c->name) == 0;
    return MHD_YES;
}

/* How many times a header field appears (MHD's lookup sees the first). */
static int header_lines(struct MHD_Connection *conn, const char *name)
{
    struct header_count c = {name, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &c);
    return c.n;
}

/* First call for a request: decide from the headers alone whether to read
 * the body at all. Returns 0 to go on, or the status of the error sent (its
 * MHD result in *result). */
static unsigned check_headers(struct http_server *srv, struct MHD_Connection *conn,
                         enum MHD_Result *result)
{
    if (atomic_load(&srv->closing)) {
        *result = queue_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                              "the server is shutting down", 1);
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    if (header_present(conn, MHD_HTTP_HEADER_CONTENT_LENGTH) &&
        header_present(conn, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        *result = queue_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                              "Content-Length and Transfer-Encoding together are not accepted", 1);
        return MHD_HTTP_BAD_REQUEST;
    }
    /* Two lengths frame the body two ways: the way request smuggling
     * starts, whichever one a proxy in front believed. */
    if (header_lines(conn, MHD_HTTP_HEADER_CONTENT_LENGTH) > 1 ||
        header_lines(conn, MHD_HTTP_HEADER_TRANSFER_ENCODING) > 1) {
        *result = queue_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request",
                              "Content-Length or Transfer-Encoding given more than once", 1);
        return MHD_HTTP_BAD_REQUEST;
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno == ERANGE || n > srv->max_body) {
            char detail[96];
            snprintf(detail, sizeof(detail), "request bodies are limited to %zu bytes",
                     srv->max_body);
            *result = queue_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large", detail, 1);
            return MHD_HTTP_CONTENT_TOO_LARGE;
        }
    }
    return 0;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct http_server *srv = cls;
    struct http_request *req = *con_cls;
    if (!req) {
        enum MHD_Result result;
        unsigned refused = check_headers(srv, conn, &result);
        if (refused) {
            if (srv->observe)
                srv->observe(srv->ctx, url, refused, 0);
            return result;
        }
        track_request(conn, 1);
        req = xcalloc(1, sizeof(*req));
        req->started_ns = srv->observe ? time_mono_ns() : 0;
        req->srv = srv;
        req->loop = current_loop;
        req->conn = conn;
        req->method = method;
        req->path = url;
        buf_init(&req->body);
        pthread_mutex_init(&req->lock, NULL);
        req->state = REQ_READING;
        *con_cls = req;
        return MHD_YES;
    }
    if (req->state == REQ_READING && *upload_data_size) {
        if (req->body.len + *upload_data_size > srv->max_body) {
            /* A chunked body past the limit: MHD cannot answer mid-upload,
             * so the connection is closed rather than read any further. */
            log_debug("request body over the limit, connection closed", "max_body=%zu",
                      srv->max_body);
            return MHD_NO;
        }
        buf_append(&req->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    int first_call = req->state == REQ_READING;
    if (first_call) {
        req->state = REQ_HANDLING;
        srv->handler(req, srv->ctx);
    }
    pthread_mutex_lock(&req->lock);
    if (req->state != REQ_ANSWERED) {
        if (first_call)
            atomic_fetch_add(&req->loop->pending, 1);
        if (first_call && req->answer_this_pass) {
            /* No parking (two epoll_ctl): MHD keeps a connection without
             * an answer in its ready list and asks again next pass. */
            req->state = REQ_WAITING;
        } else {
            req->state = REQ_SUSPENDED;
            MHD_suspend_connection(conn);
        }
        pthread_mutex_unlock(&req->lock);
        return MHD_YES;
    }
    pthread_mutex_unlock(&req->lock);
    /* Answered: now, or by another thread that resumed us. */
    if (!req->response)
        return MHD_YES; /* an error already queued */
    struct MHD_Response *r = req->response;
    req->response = NULL;
    if (srv->observe)
        srv->observe(srv->ctx, req->path, req->status, time_mono_ns() - req->started_ns);
    enum MHD_Result rc = MHD_queue_response(conn, req->status, r);
    MHD_destroy_response(r);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_request *req = *con_cls;
    (void)cls;
    track_request(conn, 0); /* the next request's headers are due */
    if (!req)
        return;
    *con_cls = NULL;
    /* A waiting request (not parked) can see its client hang up, or the
     * server stop, while a commit handed to the writer still holds it:
     * then its answer frees it. */
    pthread_mutex_lock(&req->lock);
    int answer_coming = req->state == REQ_WAITING;
    req->orphaned = answer_coming;
    pthread_mutex_unlock(&req->lock);
    if (!answer_coming)
        free_request(req);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    char quoted[300];
    log_debug("http library", "detail=%s", log_quote(msg, quoted, sizeof(quoted)));
}

/* ---- lifecycle ------------------------------------------------------- */

/* Each loop waits on an epoll set of its own holding the daemon's epoll fd
 * (so MHD's edge-triggered events are left for MHD_run) and its wake fd.
 * After every MHD_run the after_run hook settles the requests that run
 * parked; their connections keep MHD's timeout at 0, so the next pass,
 * at once, sends the answers (and reads what came in meanwhile). Every
 * pass goes through the checks at the top: a flood cannot hold off a
 * shutdown. */
static void *loop_main(void *arg)
{
    struct loop *l = arg;
    struct http_server *srv = l->srv;
    current_loop = l;
    pthread_setname_np(pthread_self(), "dw-http");
    int outer = epoll_create1(EPOLL_CLOEXEC);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = info->epoll_fd};
    epoll_ctl(outer, EPOLL_CTL_ADD, info->epoll_fd, &ev);
    ev.data.fd = l->wake_fd;
    epoll_ctl(outer, EPOLL_CTL_ADD, l->wake_fd, &ev);
    while (!atomic_load(&srv->stopping)) {
        MHD_UNSIGNED_LONG_LONG ms;
        int timeout = -1;
        if (MHD_get_timeout(l->daemon, &ms) == MHD_YES)
            timeout = ms > 1000 ? 1000 : (int)ms;
        struct epoll_event ready[2];
        /* With work already pending (timeout 0), MHD_run's own epoll_wait
         * sees the new events: no need to ask twice. */
        int n = timeout == 0 ? 0 : epoll_wait(outer, ready, 2, timeout);
        for (int i = 0; i < n; i++) {
            if (ready[i].data.fd == l->wake_fd) {
                uint64_t count;
                ssize_t unused = read(l->wake_fd, &count, sizeof(count)); /* re-arm */
                (void)unused;
            }
        }
        if (atomic_load(&srv->closing) && !l->quiesced) {
            MHD_quiesce_daemon(l->daemon); /* on this thread: MHD_run is not running */
            l->quiesced = 1;
            atomic_fetch_add(&srv->quiesced, 1);
        }
        MHD_run(l->daemon);
        if (srv->after_run)
            srv->after_run(srv->ctx);
    }
    close(outer);
    return NULL;
}

static void wake_loops(struct http_server *srv)
{
    for (int i = 0; i < srv->nloops; i++) {
        uint64_t one = 1;
        ssize_t unused = write(srv->loops[i].wake_fd, &one, sizeof(one));
        (void)unused;
    }
}

static int open_listener(const struct http_server_config *cfg, uint16_t *port, char *err,
                         size_t errsz)
{
    struct sockaddr_storage addr;
    socklen_t addrlen;
    if (http_parse_listen(cfg->listen, &addr, &addrlen, err, errsz) < 0)
        return -1;
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&addr, addrlen) < 0 || listen(fd, 1024) < 0) {
        err_set(err, errsz, "cannot listen on %s: %s", cfg->listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    getsockname(fd, (struct sockaddr *)&bound, &blen);
    *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

static void free_server(struct http_server *srv)
{
    for (int i = 0; i < srv->nloops; i++) {
        if (srv->loops[i].daemon)
            MHD_stop_daemon(srv->loops[i].daemon);
        if (srv->loops[i].wake_fd >= 0)
            close(srv->loops[i].wake_fd);
    }
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv->ip_counts);
    free(srv->loops);
    free(srv);
}

struct http_server *http_start(const struct http_server_config *cfg, http_handler_fn handler,
                               void *ctx, char *err, size_t errsz)
{
    struct http_server *srv = xcalloc(1, sizeof(*srv));
    srv->handler = handler;
    srv->after_run = cfg->after_run;
    srv->observe = cfg->observe;
    srv->ctx = ctx;
    srv->max_body = cfg->max_body;
    srv->header_timeout_ns = (int64_t)cfg->header_timeout * 1000000000LL;
    pthread_mutex_init(&srv->conns_lock, NULL);
    srv->max_open = cfg->max_connections;
    srv->max_per_ip = cfg->max_connections_per_ip;
    srv->ip_counts = xcalloc(IP_BUCKETS, sizeof(*srv->ip_counts));
    srv->nloops = cfg->threads > 0 ? cfg->threads : 1;
    srv->loops = xcalloc_lines((size_t)srv->nloops, sizeof(*srv->loops));
    for (int i = 0; i < srv->nloops; i++)
        srv->loops[i].wake_fd = -1;
    srv->listen_fd = open_listener(cfg, &srv->port, err, errsz);
    if (srv->listen_fd < 0) {
        free_server(srv);
        return NULL;
    }
    for (int i = 0; i < srv->nloops; i++) {
        struct loop *l = &srv->loops[i];
        l->srv = srv;
        l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        /* ITC: a resume from another thread wakes this loop. */
        l->daemon = MHD_start_daemon(
            MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                MHD_USE_TURBO,
            0, on_accept, srv, on_access, srv,
            MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header,
            MHD_OPTION_STRICT_FOR_CLIENT, 1,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
            MHD_OPTION_END);
        if (!l->daemon || l->wake_fd < 0) {
            err_set(err, errsz, "cannot start the HTTP server on %s", cfg->listen);
            free_server(srv);
            return NULL;
        }
    }
    for (int i = 0; i < srv->nloops; i++)
        pthread_create(&srv->loops[i].thread, NULL, loop_main, &srv->loops[i]);
    pthread_create(&srv->reaper, NULL, reaper_main, srv);
    return srv;
}

uint16_t http_port(const struct http_server *srv)
{
    return srv->port;
}

void http_quiesce(struct http_server *srv)
{
    atomic_store(&srv->closing, 1);
    wake_loops(srv);
    /* Each loop takes the listening socket out of its own epoll set. */
    for (int waited = 0; atomic_load(&srv->quiesced) < srv->nloops && waited < 2000; waited += 5)
        usleep(5 * 1000);
    if (atomic_load(&srv->quiesced) == srv->nloops) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
    }
}

static int pending_answers(struct http_server *srv)
{
    int n = 0;
    for (int i = 0; i < srv->nloops; i++)
        n += atomic_load(&srv->loops[i].pending);
    return n;
}

int http_stop(struct http_server *srv, int timeout_ms)
{
    for (int waited = 0; pending_answers(srv) > 0 && waited < timeout_ms; waited += 10)
        usleep(10 * 1000);
    int left = pending_answers(srv);
    if (left > 0) {
        /* MHD cannot stop with parked connections; leave them to the exit. */
        log_error("requests still waiting at shutdown", "count=%d", left);
        return left;
    }
    atomic_store(&srv->reaper_stop, 1);
    pthread_join(srv->reaper, NULL);
    atomic_store(&srv->stopping, 1);
    wake_loops(srv);
    for (int i = 0; i < srv->nloops; i++)
        pthread_join(srv->loops[i].thread, NULL);
    free_server(srv);
    return 0;
}

/* ---- accessors ------------------------------------------------------- */

const char *http_method(const struct http_request *req)
{
    return req->method;
}

const char *http_path(const struct http_request *req)
{
    return req->path;
}

const char *http_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct join {
    const char *name;
    struct buf *out;
};

static enum MHD_Result join_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    struct join *j = cls;
    if (strcasecmp(key, j->name) == 0 && value) {
        if (j->out->len)
            buf_puts(j->out, ", ");
        buf_puts(j->out, value);
    }
    return MHD_YES;
}

const char *http_header_all(const struct http_request *req, const char *name, struct buf *out)
{
    struct join j = {name, out};
    buf_reset(out);
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_value, &j);
    return out->len ? out->data : NULL;
}

const char *http_query(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_body(const struct http_request *req, size_t *len)
{
    *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

const struct sockaddr *http_peer(const struct http_request *req)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

int http_etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    size_t elen = strlen(etag);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *tok = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        if ((size_t)(p - tok) == elen && strncmp(tok, etag, elen) == 0)
            return 1;
    }
    return 0;
}
