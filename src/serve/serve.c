/* serve.c - the `serve` command (see serve.h).
 *
 * Start-up order follows the data flow: configuration, catalog, GeoIP and
 * trusted proxies, guard, series, store, notifications (the webhooks file,
 * stored subscriptions and silences); then the counts and votes are
 * rebuilt from the reports on disk (so a restart, even after kill -9, shows
 * what was acknowledged), the notify thread starts (sending what the
 * outbox holds), and only then does the HTTP server accept connections.
 * Signals are taken by sigwait() on the main thread: SIGHUP re-reads the
 * webhooks file; SIGINT/SIGTERM stop accepting, let the deferred requests
 * get their commit, close the server, the detector (its last states go to
 * notify), notify, and the store (final commit and checkpoint), exit 0. */
#include "serve/serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "config/config.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "geo/geo.h"
#include "guard/guard.h"
#include "http/server.h"
#include "live/live.h"
#include "notify/notify.h"
#include "series/series.h"
#include "store/store.h"
#include "web/web.h"

#define DRAIN_TIMEOUT_MS 10000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: downwatch serve [--config FILE] [--OPTION=VALUE ...] [--check-config]\n"
            "\n"
            "Serve the report intake and the JSON API over HTTP. Without options it\n"
            "listens on 127.0.0.1:8080 and keeps its SQLite database in ./data.\n"
            "Options come from (weakest first) defaults, the config file\n"
            "(`name = value` lines), DOWNWATCH_<NAME> environment variables, flags.\n"
            "--check-config checks the configuration, prints it and exits.\n"
            "\n");
    config_print_help(out);
}

/* The server's one handler: the JSON API under /api/, the Atom feeds
 * under /feeds/ and /metrics (api.h), the status page (web.h) everywhere
 * else. */
static void route(struct http_request *req, void *ctx)
{
    const char *path = http_path(req);
    if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
        strncmp(path, "/feeds/", 7) == 0 || strcmp(path, "/metrics") == 0)
        api_handle(req, ctx);
    else
        web_handle(req);
}

struct rebuild {
    struct series *series;
    struct live *live;
    struct guard *guard;
    long reports;
};

static void rebuild_one(void *arg, const struct store_report *r)
{
    struct rebuild *rb = arg;
    series_add(rb->series, r->service, r->country, r->problem, r->counted == GUARD_COUNTED,
               r->ts);
    live_feed(rb->live, r, 1);
    if (r->counted == GUARD_COUNTED)
        guard_seed_vote(rb->guard, r->voter, r->service, r->ts);
    rb->reports++;
}

/* Everything that lives while the server runs; closed in reverse order. */
struct stages {
    struct catalog *catalog;
    struct geo *geo;
    struct guard *guard;
    struct series *series;
    struct store *store;
    struct notify *notify;
    struct live *live;
};

static void close_stages(struct stages *st)
{
    live_free(st->live); /* stores what it has queued, and tells notify */
    notify_close(st->notify);
    if (st->store)
        store_close(st->store);
    if (st->series)
        series_free(st->series);
    if (st->guard)
        guard_free(st->guard);
    if (st->geo)
        geo_close(st->geo);
    if (st->catalog)
        catalog_free(st->catalog);
}

static int open_stages(const struct config *cfg, struct stages *st, int with_store, char *err,
                       size_t errsz)
{
    memset(st, 0, sizeof(*st));
    st->catalog = catalog_load(cfg->catalog, err, errsz);
    if (!st->catalog)
        return -1;
    st->geo = geo_open(cfg->geoip_db, cfg->geoip_db_v6, cfg->trusted_proxies, err, errsz);
    if (!st->geo)
        return -1;
    if (!with_store)
        return notify_check_file(cfg->webhooks, st->catalog, err, errsz) < 0 ? -1 : 0;
    struct guard_config gc = {
        .rate = cfg->rate_limit,
        .burst = cfg->rate_burst,
        .bucket_slots = (size_t)cfg->rate_slots,
        .vote_window = cfg->vote_window,
        .vote_slots = (size_t)cfg->vote_slots,
        .network_rate = cfg->network_rate_limit,
        .network_burst = cfg->network_rate_burst,
        .address_votes = cfg->address_votes,
        .network_votes = cfg->network_votes,
    };
    st->guard = guard_new(&gc);
    struct series_config sc = {
        .services = catalog_count(st->catalog),
        .max_series = (size_t)cfg->max_series,
        .minutes = cfg->series_minutes,
        .hours = cfg->series_hours,
    };
    st->series = series_new(&sc);
    struct store_config stc = {
        .dir = cfg->data_dir,
        .sync = strcmp(cfg->sync, "full") == 0 ? STORE_SYNC_FULL : STORE_SYNC_NORMAL,
        .queue_max = (size_t)cfg->queue_max,
    };
    st->store = store_open(&stc, st->catalog, err, errsz);
    if (!st->store)
        return -1;
    struct notify_config nc = {
        .webhooks = cfg->webhooks,
        .concurrency = cfg->webhook_concurrency,
        .timeout_ms = cfg->webhook_timeout * 1000,
        .attempts = cfg->webhook_attempts,
        .retry_base_ms = (int64_t)(cfg->webhook_retry_base * 1000),
        .retry_max_ms = (int64_t)(cfg->webhook_retry_max * 1000),
        .update_interval = cfg->update_interval,
        .outbox_max = cfg->outbox_max,
        .silence_max = cfg->silence_max,
        .events_max = cfg->events_max,
        .retention_ms = (int64_t)cfg->delivery_retention * 1000,
    };
    st->notify = notify_open(&nc, st->catalog, st->store, err, errsz);
    return st->notify ? 0 : -1;
}

int serve_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    struct config cfg;
    int check_only;
    char err[512];
    if (config_load(&cfg, argc - 1, argv + 1, &check_only, err, sizeof(err)) < 0) {
        fprintf(stderr, "downwatch serve: %s\n", err);
        return 2;
    }
    enum log_level level;
    log_parse_level(cfg.log_level, &level);
    log_set_level(level);
    /* SIGINT/SIGTERM (and SIGHUP) are taken by sigwait() at the end: block
     * them before any thread starts (the store's writer starts in
     * open_stages), since threads inherit the mask and an unblocked one
     * would die of them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct stages st = {0};
    if (http_parse_listen(cfg.listen, &addr, &addrlen, err, sizeof(err)) < 0 ||
        api_check_public_url(cfg.public_url, err, sizeof(err)) < 0 ||
        open_stages(&cfg, &st, !check_only, err, sizeof(err)) < 0) {
        fprintf(stderr, "downwatch serve: %s\n", err);
        close_stages(&st);
        return check_only ? 2 : 1;
    }
    if (check_only) {
        config_print(&cfg, stdout);
        printf("# configuration is valid: %zu services in the catalog\n",
               catalog_count(st.catalog));
        close_stages(&st);
        return 0;
    }

    int64_t t0 = time_mono_ns();
    struct det_config dc;
    det_config_default(&dc);
    st.live = live_new(st.catalog, st.store, st.notify, &dc);
    struct rebuild rb = {.series = st.series, .live = st.live, .guard = st.guard};
    long scanned = store_scan(st.store, 0, rebuild_one, &rb);
    if (scanned < 0) {
        log_error("cannot read stored reports", "err=%ld", scanned);
        close_stages(&st);
        return 1;
    }
    live_flush(st.live);
    log_info("counts and incidents rebuilt", "reports=%ld ms=%lld", rb.reports,
             (long long)((time_mono_ns() - t0) / 1000000));
    if (live_start(st.live) < 0 || notify_start(st.notify) < 0) {
        log_error("cannot start the detector's ticker or the notify thread", "error=%s",
                  strerror(errno));
        close_stages(&st);
        return 1;
    }

    api_metrics_register();
    struct api api = {
        .catalog = st.catalog,
        .geo = st.geo,
        .guard = st.guard,
        .store = st.store,
        .series = st.series,
        .live = st.live,
        .notify = st.notify,
        .admin_token = cfg.admin_token,
        .replay_token = cfg.replay_token,
        .metrics_token = cfg.metrics_token,
        .public_url = cfg.public_url,
        .started = time_now(),
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct http_server_config hc = {
        .listen = cfg.listen,
        .threads = cfg.threads > 0 ? cfg.threads : (int)(cores > 0 ? cores : 1),
        .max_connections = cfg.max_connections,
        .max_connections_per_ip = cfg.max_connections_per_ip,
        .idle_timeout = cfg.idle_timeout,
        .header_timeout = cfg.header_timeout,
        .max_body = (size_t)cfg.max_body,
        .max_header = (size_t)cfg.max_header,
        .after_run = api_after_run,
        .observe = api_observe,
    };
    struct http_server *srv = http_start(&hc, route, &api, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "downwatch serve: %s\n", err);
        close_stages(&st);
        return 1;
    }
    char host[128];
    snprintf(host, sizeof(host), "%.*s", (int)(strrchr(cfg.listen, ':') - cfg.listen), cfg.listen);
    log_info("listening", "addr=%s:%u threads=%d data_dir=%s services=%zu sync=%s", host,
             http_port(srv), hc.threads, cfg.data_dir, catalog_count(st.catalog), cfg.sync);

    int sig;
    while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP)
        notify_reload(st.notify);
    log_info("shutting down", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    http_quiesce(srv);
    int left = http_stop(srv, DRAIN_TIMEOUT_MS); /* waits for their commits */
    if (left > 0) {
        /* The store is stuck (another process holds the database?): the
         * parked requests were never acknowledged, so nothing acknowledged
         * is lost by leaving now. */
        log_error("exiting with unanswered requests", "count=%d", left);
        return 1;
    }
    close_stages(&st);
    log_info("stopped", NULL);
    return 0;
}
