/* metrics.c - GET /metrics (Prometheus text format) and the counters of
 * the HTTP layer and the intake that it shows.
 *
 * The HTTP layer reports every answer to api_observe, which files it under
 * a route label from a fixed list (the path's shape, never the path itself,
 * so ids in paths cannot grow the series) and its status code (the codes
 * downwatch sends, others as their class). The intake counts what it
 * received, stored and rejected (by the same reason codes its answers
 * give). Both are prom.h counters: a relaxed atomic add on the thread's own
 * shard, no lock on the request path. What a scrape reads from the stages
 * (queue depth, series, open incidents, the watermark) is read when
 * scraped. An optional bearer token (metrics_token) keeps the page from the
 * public. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "http/server.h"
#include "live/live.h"
#include "prom/prom.h"
#include "series/series.h"
#include "store/store.h"

/* ---- routes and codes --------------------------------------------------- */

enum route {
    ROUTE_REPORTS, ROUTE_SERVICES, ROUTE_SERVICE, ROUTE_SERIES, ROUTE_INCIDENTS,
    ROUTE_INCIDENT, ROUTE_UPDATES, ROUTE_GROUPS, ROUTE_GROUP, ROUTE_OPENAPI, ROUTE_HEALTH,
    ROUTE_INDEX, ROUTE_FEEDS, ROUTE_METRICS, ROUTE_PAGES, ROUTE_OTHER, ROUTE_COUNT
};

static const char *const route_names[ROUTE_COUNT] = {
    "reports", "services", "service", "series", "incidents", "incident", "updates", "groups",
    "group", "openapi", "health", "index", "feeds", "metrics", "pages", "other",
};

static const unsigned known_codes[] = {200, 201, 202, 204, 304, 400, 401, 403, 404,
                                       405, 408, 413, 415, 429, 431, 500, 503};
#define KNOWN_CODES (sizeof(known_codes) / sizeof(known_codes[0]))
static const char *const code_names[] = {
    "200", "201", "202", "204", "304", "400", "401", "403", "404", "405", "408", "413",
    "415", "429", "431", "500", "503", "1xx", "2xx", "3xx", "4xx", "5xx",
};
#define CODE_COUNT (sizeof(code_names) / sizeof(code_names[0]))
_Static_assert(CODE_COUNT == KNOWN_CODES + 5, "every known code has its name, then 5 classes");

static size_t code_index(unsigned status)
{
    for (size_t i = 0; i < KNOWN_CODES; i++) {
        if (known_codes[i] == status)
            return i;
    }
    unsigned class = status / 100;
    return KNOWN_CODES + (class >= 1 && class <= 5 ? class - 1 : 4);
}

/* rest starts at "/{id}..." or is "" / "/": which of the three shapes
 * (collection, one item, an item's sub-resource `sub`) it is. */
static enum route below(const char *rest, enum route collection, enum route item,
                        const char *sub, enum route sub_route)
{
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        return collection;
    if (*rest != '/')
        return ROUTE_OTHER;
    const char *slash = strchr(rest + 1, '/');
    if (!slash)
        return item;
    return sub && strcmp(slash + 1, sub) == 0 ? sub_route : ROUTE_OTHER;
}

static int starts(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0)
        return 0;
    *rest = s + n;
    return 1;
}

static enum route route_of(const char *path)
{
    const char *rest;
    if (starts(path, "/api/v1/", &rest)) {
        const char *sub;
        if (strcmp(rest, "reports") == 0)
            return ROUTE_REPORTS;
        if (starts(rest, "services", &sub))
            return below(sub, ROUTE_SERVICES, ROUTE_SERVICE, "series", ROUTE_SERIES);
        if (starts(rest, "incidents", &sub))
            return below(sub, ROUTE_INCIDENTS, ROUTE_INCIDENT, "updates", ROUTE_UPDATES);
        if (starts(rest, "groups", &sub))
            return below(sub, ROUTE_GROUPS, ROUTE_GROUP, NULL, ROUTE_OTHER);
        if (strcmp(rest, "openapi.json") == 0)
            return ROUTE_OPENAPI;
        if (strcmp(rest, "health") == 0)
            return ROUTE_HEALTH;
        return *rest ? ROUTE_OTHER : ROUTE_INDEX;
    }
    if (strcmp(path, "/api/v1") == 0)
        return ROUTE_INDEX;
    if (starts(path, "/feeds/", &rest))
        return ROUTE_FEEDS;
    if (strcmp(path, "/metrics") == 0)
        return ROUTE_METRICS;
    /* The status pages: /, /s/{service}, /i/{incident} and their assets. */
    if (strcmp(path, "/") == 0 || starts(path, "/s/", &rest) || starts(path, "/i/", &rest) ||
        starts(path, "/assets/", &rest))
        return ROUTE_PAGES;
    return ROUTE_OTHER;
}

/* ---- the families ------------------------------------------------------- */

static const char *const rejection_reasons[] = {
    /* a report's own faults (report.h's codes, and the catalog's) */
    "invalid_json", "not_an_object", "invalid_utf8", "unknown_field", "duplicate_field",
    "invalid_type", "missing_field", "invalid_service", "invalid_country", "invalid_problem",
    "invalid_client", "invalid_ts", "unknown_service",
    /* refusals of a whole request's reports */
    "rate_limited", "overloaded", "shutting_down", "storage_unavailable",
    "other",
};
#define REASON_COUNT (sizeof(rejection_reasons) / sizeof(rejection_reasons[0]))

static const char *const webhook_outcomes[] = {"delivered", "retried", "failed"};

static const struct prom_spec http_requests_spec = {
    .name = "downwatch_http_requests_total",
    .help = "HTTP requests answered, by route (the path's shape) and status code.",
    .kind = PROM_COUNTER,
    .nlabels = 2,
    .labels = {{"route", route_names, ROUTE_COUNT}, {"code", code_names, CODE_COUNT}},
    .sparse = 1,
};
static const struct prom_spec http_duration_spec = {
    .name = "downwatch_http_request_duration_seconds",
    .help = "Time from a request's headers to its answer (for reports: after their commit), "
            "by route.",
    .kind = PROM_DURATIONS,
    .nlabels = 1,
    .labels = {{"route", route_names, ROUTE_COUNT}},
    .sparse = 1,
};
static const struct prom_spec received_spec = {
    .name = "downwatch_reports_received_total",
    .help = "Reports received: single objects and non-blank NDJSON lines.",
    .kind = PROM_COUNTER,
};
static const struct prom_spec accepted_spec = {
    .name = "downwatch_reports_accepted_total",
    .help = "Reports committed to disk and acknowledged (202).",
    .kind = PROM_COUNTER,
};
static const struct prom_spec counted_spec = {
    .name = "downwatch_reports_counted_total",
    .help = "Accepted reports that counted as a vote (a client's first for a service in the "
            "vote window, within its address's and network's share).",
    .kind = PROM_COUNTER,
};
static const struct prom_spec rejected_spec = {
    .name = "downwatch_reports_rejected_total",
    .help = "Reports not stored, by reason (the error code of the answer).",
    .kind = PROM_COUNTER,
    .nlabels = 1,
    .labels = {{"reason", rejection_reasons, REASON_COUNT}},
};
static const struct prom_spec webhook_spec = {
    .name = "downwatch_webhook_deliveries_total",
    .help = "Webhook delivery attempts by outcome: delivered (2xx), retried (an attempt "
            "failed, another follows), failed (the last attempt failed: a dead letter).",
    .kind = PROM_COUNTER,
    .nlabels = 1,
    .labels = {{"outcome", webhook_outcomes, sizeof(webhook_outcomes) / sizeof(char *)}},
};

static struct prom_family *http_requests, *http_duration, *received, *accepted, *counted,
    *rejected;

void api_metrics_register(void)
{
    http_requests = prom_register(&http_requests_spec);
    http_duration = prom_register(&http_duration_spec);
    received = prom_register(&received_spec);
    accepted = prom_register(&accepted_spec);
    counted = prom_register(&counted_spec);
    rejected = prom_register(&rejected_spec);
    prom_register(&webhook_spec); /* counted by the notifier, by name */
}

void api_observe(void *ctx, const char *path, unsigned status, int64_t elapsed_ns)
{
    (void)ctx;
    enum route route = route_of(path);
    prom_add(http_requests, (size_t)route * CODE_COUNT + code_index(status), 1);
    prom_observe_ns(http_duration, route, elapsed_ns);
}

void api__count_received(size_t n)
{
    prom_add(received, 0, n);
}

void api__count_stored(size_t stored, size_t votes)
{
    prom_add(accepted, 0, stored);
    prom_add(counted, 0, votes);
}

void api__count_rejected(const char *reason, size_t n)
{
    size_t i = 0;
    while (i < REASON_COUNT - 1 && strcmp(rejection_reasons[i], reason) != 0)
        i++;
    prom_add(rejected, i, n);
}

/* ---- the page ----------------------------------------------------------- */

static void write_stages(struct api *api, struct buf *b)
{
    struct store_stats st;
    store_get_stats(api->store, &st);
    prom_write_family(b, "downwatch_store_queue_reports", "gauge",
                      "Reports waiting for their commit, the transaction in progress included.");
    prom_write_sample(b, "downwatch_store_queue_reports", NULL, NULL, (double)st.queued);
    prom_write_family(b, "downwatch_store_queue_limit_reports", "gauge",
                      "Reports the write queue holds at most (queue_max); beyond it reports get "
                      "503.");
    prom_write_sample(b, "downwatch_store_queue_limit_reports", NULL, NULL,
                      (double)st.queue_max);
    prom_write_family(b, "downwatch_store_commit_failures_total", "counter",
                      "Transactions of reports that failed and were rolled back.");
    prom_write_sample(b, "downwatch_store_commit_failures_total", NULL, NULL,
                      (double)st.failures);
    prom_write_family(b, "downwatch_store_checkpoints_total", "counter",
                      "WAL checkpoints, by the checkpoint thread or by a committing thread "
                      "(when the WAL passed 16384 pages).");
    prom_write_sample(b, "downwatch_store_checkpoints_total", "by", "checkpoint_thread",
                      (double)st.checkpoints_background);
    prom_write_sample(b, "downwatch_store_checkpoints_total", "by", "committer",
                      (double)st.checkpoints_writer);
    prom_write_family(b, "downwatch_store_wal_pages", "gauge",
                      "Pages in the write-ahead log after the last commit.");
    prom_write_sample(b, "downwatch_store_wal_pages", NULL, NULL, (double)st.wal_pages);

    prom_write_family(b, "downwatch_series_active", "gauge",
                      "(service, country) series of counts kept in memory.");
    prom_write_sample(b, "downwatch_series_active", NULL, NULL,
                      (double)series_active(api->series));

    prom_write_family(b, "downwatch_detector_watermark_seconds", "gauge",
                      "Event time the detector has reached, Unix seconds.");
    prom_write_sample(b, "downwatch_detector_watermark_seconds", NULL, NULL,
                      (double)live_now(api->live));

    size_t n = catalog_count(api->catalog);
    unsigned char *open = xcalloc(n ? n : 1, 1);
    live_open_incidents(api->live, open, n);
    prom_write_family(b, "downwatch_open_incidents", "gauge",
                      "Open incidents by service (0 or 1).");
    for (size_t i = 0; i < n; i++)
        prom_write_sample(b, "downwatch_open_incidents", "service",
                          catalog_at(api->catalog, i)->id, open[i]);
    free(open);
}

void api__metrics(struct api *api, struct http_request *req, const char *rest)
{
    if (*rest) {
        api__error(req, 404, "not_found", "the metrics are at /metrics");
        return;
    }
    if (*api->metrics_token && !api__bearer_is(req, api->metrics_token)) {
        api__error(req, 401, "unauthorized", "metrics need the bearer token metrics_token");
        return;
    }
    struct buf b;
    buf_init(&b);
    prom_write_registry(&b);
    write_stages(api, &b);
    prom_write_process(&b);
    size_t len;
    char *body = buf_steal(&b, &len);
    http_set_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, PROM_CONTENT_TYPE, body, len);
}
