/* reports.c - POST /api/v1/reports: the intake path.
 *
 * parse (one object, or NDJSON line by line) -> resolve the service in the
 * catalog -> client address and country (GeoIP when the report has none)
 * -> rate limit per address -> one vote per client and service -> park.
 * The requests parked during one pass of an HTTP event loop are committed
 * together at its end (api_after_run), and answered only then, so a 202
 * always means "on disk" and a burst of requests shares one transaction;
 * a big batch goes to the store's writer thread instead, so parsing the
 * next one overlaps its commit. Bad lines of a batch are reported line by
 * line and never stop the good ones. Every report received ends up
 * counted for /metrics (metrics.c) as stored or as rejected, with the
 * reason its answer gives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "geo/geo.h"
#include "guard/guard.h"
#include "live/live.h"
#include "http/server.h"
#include "report/country.h"
#include "report/report.h"
#include "series/series.h"
#include "store/store.h"

#define MAX_LISTED_ERRORS 100
#define WRITER_BATCH 256 /* reports from which a request goes to the writer thread */
#define MAX_FUTURE_SKEW (24 * 3600) /* trusted ts may lead the clock this much */
#define VOTER_SEED_ADDR 0x61646472ULL
#define NETWORK_SEED 0x6e6574ULL     /* "net" */

/* One request's reports on their way to disk. */
struct intake {
    struct store_batch batch;
    size_t capacity;
    struct api *api;
    struct http_request *req;
    int single;
    size_t rejected;
    size_t listed;      /* errors written into `errors` */
    struct buf errors;  /* JSON array items */
    const char *first_code; /* the first rejection, for a single report */
    char first_detail[160];
};

static void intake_free(struct intake *in)
{
    free(in->batch.rows);
    buf_free(&in->errors);
    free(in);
}

static void reject_line(struct intake *in, size_t line, const char *code, const char *detail)
{
    api__count_rejected(code, 1);
    if (in->rejected++ == 0) {
        in->first_code = code;
        snprintf(in->first_detail, sizeof(in->first_detail), "%s", detail);
    }
    if (in->listed >= MAX_LISTED_ERRORS)
        return;
    if (in->listed++)
        buf_putc(&in->errors, ',');
    buf_printf(&in->errors, "{\"line\":%zu,\"error\":", line);
    buf_json_cstr(&in->errors, code);
    buf_puts(&in->errors, ",\"detail\":");
    buf_json_cstr(&in->errors, detail);
    buf_putc(&in->errors, '}');
}

static void counts_json(struct buf *b, const struct intake *in, size_t counted)
{
    buf_puts(b, "\"accepted\":");
    buf_put_uint(b, in->batch.count);
    buf_puts(b, ",\"counted\":");
    buf_put_uint(b, counted);
    buf_puts(b, ",\"rejected\":");
    buf_put_uint(b, in->rejected);
    buf_puts(b, ",\"errors\":[");
    buf_append(b, in->errors.data ? in->errors.data : "", in->errors.len);
    buf_putc(b, ']');
    if (in->rejected > in->listed)
        buf_puts(b, ",\"errors_truncated\":true");
}

/* The batches parked during the current pass of this thread's event loop. */
static __thread struct store_batch *parked_head, *parked_tail;

/* The reports were not stored: their counted votes must not stand, or the
 * clients' retries would be taken for repeats. */
static void take_back_votes(struct intake *in)
{
    for (size_t i = 0; i < in->batch.count; i++) {
        const struct store_report *r = &in->batch.rows[i];
        if (r->counted == GUARD_COUNTED)
            guard_unvote(in->api->guard, r->voter, r->service, r->ts);
    }
}

/* The store's callback, on the writer thread: count and answer. */
static void on_stored(void *arg, int status)
{
    struct intake *in = arg;
    struct buf b;
    buf_init(&b);
    if (status < 0) {
        take_back_votes(in);
        http_set_header(in->req, "Retry-After", status == -EAGAIN ? "1" : "5");
        const char *code = status == -EAGAIN      ? "overloaded"
                           : status == -ESHUTDOWN ? "shutting_down"
                                                  : "storage_unavailable";
        api__count_rejected(code, in->batch.count);
        if (status == -EAGAIN) {
            api__error(in->req, 503, code, "the write queue is full; retry shortly");
        } else if (status == -ESHUTDOWN) {
            api__error(in->req, 503, code, "the server is shutting down");
        } else {
            char detail[160];
            snprintf(detail, sizeof(detail),
                     "reports could not be stored (%s); nothing was kept", strerror(-status));
            api__error(in->req, 503, code, detail);
        }
        intake_free(in);
        return;
    }
    size_t counted = 0;
    for (size_t i = 0; i < in->batch.count; i++) {
        const struct store_report *r = &in->batch.rows[i];
        series_add(in->api->series, r->service, r->country, r->problem,
                   r->counted == GUARD_COUNTED, r->ts);
        counted += r->counted == GUARD_COUNTED;
    }
    api__count_stored(in->batch.count, counted);
    if (in->api->live)
        live_feed(in->api->live, in->batch.rows, in->batch.count);
    buf_puts(&b, "{\"version\":1,");
    counts_json(&b, in, counted);
    if (in->single) {
        const struct store_report *r = &in->batch.rows[0];
        char ts[32], cc[3];
        time_format(r->ts, ts, sizeof(ts));
        buf_puts(&b, ",\"report\":{\"service\":");
        buf_json_cstr(&b, catalog_at(in->api->catalog, (size_t)r->service)->id);
        buf_puts(&b, ",\"country\":\"");
        buf_puts(&b, country_code(r->country, cc));
        buf_puts(&b, "\",\"problem\":\"");
        buf_puts(&b, rep_problem_name((enum rep_problem)r->problem));
        buf_puts(&b, "\",\"ts\":\"");
        buf_puts(&b, ts);
        buf_puts(&b, r->counted == GUARD_COUNTED ? "\",\"counted\":true}" : "\",\"counted\":false}");
    }
    buf_putc(&b, '}');
    api__json(in->req, 202, &b);
    intake_free(in);
}

/* Where the request comes from, for rate limits, votes and GeoIP. */
struct origin {
    struct geo_addr addr;
    struct guard_origin keys; /* hashes of the address and its network */
    char country[3];  /* GeoIP's answer, looked up when a report lacks one */
    int trusted;
    int64_t now;
};

/* An IPv6 host owns its whole /64: it is limited as one address. Its
 * network is the /48; an IPv4 address's the /24. */
static struct guard_origin origin_keys(const struct geo_addr *a)
{
    static const unsigned char v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int v4 = memcmp(a->b, v4_prefix, sizeof(v4_prefix)) == 0;
    return (struct guard_origin){
        .address = XXH3_64bits_withSeed(a->b, v4 ? 16 : 8, VOTER_SEED_ADDR),
        .network = XXH3_64bits_withSeed(a->b, v4 ? 15 : 6, NETWORK_SEED),
    };
}

/* Validate one parsed report against the catalog and turn it into a row.
 * Returns 0, or -1 after filling code/detail (and *not_found for an
 * unknown service). */
static int to_row(struct api *api, struct origin *o, const struct rep_report *r,
                  struct store_report *row, const char **code, char *detail, size_t detsz,
                  int *not_found)
{
    int service = catalog_find(api->catalog, r->service, strlen(r->service));
    if (service < 0) {
        *code = "unknown_service";
        snprintf(detail, detsz, "no service \"%s\" in the catalog (see /api/v1/services)",
                 r->service);
        *not_found = 1;
        return -1;
    }
    if (o->trusted && r->ts > o->now + MAX_FUTURE_SKEW) {
        *code = "invalid_ts";
        snprintf(detail, detsz, "ts is more than a day in the future");
        return -1;
    }
    row->service = service;
    if (!r->country[0] && !o->country[0])
        geo_country(api->geo, &o->addr, o->country);
    row->country = country_index(r->country[0] ? r->country : o->country);
    if (row->country < 0)
        row->country = country_index(COUNTRY_UNKNOWN_CODE);
    row->problem = (int)r->problem;
    row->received = o->now;
    row->ts = o->trusted && r->ts >= 0 ? r->ts : o->now;
    size_t clen = strlen(r->client);
    row->voter = clen ? guard_client_voter(r->client, clen) : o->keys.address;
    memcpy(row->client, r->client, clen + 1);
    row->counted = 0;
    return 0;
}

static void add_line(struct intake *in, struct origin *o, const char *line, size_t len,
                     size_t lineno, int *not_found)
{
    struct rep_report r;
    struct rep_error e;
    if (rep_parse(line, len, &r, &e) < 0) {
        reject_line(in, lineno, rep_error_name(e.code), e.detail);
        return;
    }
    if (in->batch.count == in->capacity) {
        /* One row for a single report: small enough for malloc's fast path. */
        in->capacity = in->capacity ? in->capacity * 2 : in->single ? 1 : 16;
        in->batch.rows = xrealloc(in->batch.rows, in->capacity * sizeof(*in->batch.rows));
    }
    const char *code;
    char detail[160];
    if (to_row(in->api, o, &r, &in->batch.rows[in->batch.count], &code, detail, sizeof(detail),
               not_found) < 0) {
        reject_line(in, lineno, code, detail);
        return;
    }
    in->batch.count++;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    }
    return 1;
}

static void parse_ndjson(struct intake *in, struct origin *o, const char *body, size_t len)
{
    size_t lineno = 0;
    int not_found = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(body + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (body + pos)) : len - pos;
        lineno++;
        if (!is_blank(body + pos, n))
            add_line(in, o, body + pos, n, lineno, &not_found);
        pos += n + 1;
    }
}

/* Content types: 1 = one JSON object, 2 = NDJSON, 0 = neither. */
static int body_kind(const char *ctype)
{
    if (!ctype)
        return 0;
    size_t n = strcspn(ctype, ";");
    while (n && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
        n--;
    static const struct { const char *name; int kind; } kinds[] = {
        {"application/json", 1},
        {"application/x-ndjson", 2},
        {"application/ndjson", 2},
        {"application/jsonl", 2},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strlen(kinds[i].name) == n && strncasecmp(ctype, kinds[i].name, n) == 0)
            return kinds[i].kind;
    }
    return 0;
}

static int find_origin(struct api *api, struct http_request *req, struct origin *o)
{
    const struct sockaddr *peer_sa = http_peer(req);
    struct geo_addr peer;
    if (!peer_sa || geo_addr_from_sockaddr(peer_sa, &peer) < 0)
        memset(&peer, 0, sizeof(peer));
    struct buf xff;
    buf_init(&xff);
    const char *forwarded = geo_is_trusted_proxy(api->geo, &peer)
                                ? http_header_all(req, "X-Forwarded-For", &xff)
                                : NULL;
    o->addr = geo_client_addr(api->geo, &peer, forwarded);
    buf_free(&xff);
    o->keys = origin_keys(&o->addr);
    o->country[0] = '\0';
    o->now = time_now();
    int auth = api__auth(api, req);
    if (auth < 0)
        return -1;
    o->trusted = auth > 0;
    return 0;
}

void api__reports(struct api *api, struct http_request *req)
{
    if (strcmp(http_method(req), "POST") != 0) {
        http_set_header(req, "Allow", "POST");
        api__error(req, 405, "method_not_allowed", "reports are sent with POST");
        return;
    }
    int kind = body_kind(http_header(req, "Content-Type"));
    if (!kind) {
        api__error(req, 415, "unsupported_media_type",
                   "send application/json (one report) or application/x-ndjson (a batch)");
        return;
    }
    struct origin o;
    if (find_origin(api, req, &o) < 0) {
        api__error(req, 401, "unauthorized", "the bearer token is not valid");
        return;
    }
    size_t len;
    const char *body = http_body(req, &len);
    if (is_blank(body, len)) {
        api__error(req, 400, "empty_body", "the request has no report");
        return;
    }
    struct intake *in = xcalloc(1, sizeof(*in));
    in->api = api;
    in->req = req;
    in->single = kind == 1;
    buf_init(&in->errors);
    int not_found = 0;
    if (in->single)
        add_line(in, &o, body, len, 1, &not_found);
    else
        parse_ndjson(in, &o, body, len);
    api__count_received(in->batch.count + in->rejected);

    if (in->batch.count == 0) {
        if (in->single) {
            api__error(req, not_found ? 404 : 400, in->first_code, in->first_detail);
        } else {
            struct buf b;
            buf_init(&b);
            buf_json_error_open(&b, "no_valid_reports", "no line of the batch is a valid report");
            buf_putc(&b, ',');
            counts_json(&b, in, 0);
            buf_putc(&b, '}');
            api__json(req, 400, &b);
        }
        intake_free(in);
        return;
    }
    if (!o.trusted) {
        double cost = (double)in->batch.count;
        int64_t now_ns = time_mono_ns();
        int wait = guard_take(api->guard, o.keys.address, cost, now_ns);
        const char *who = "this address";
        if (wait == 0) {
            wait = guard_take_network(api->guard, o.keys.network, cost, now_ns);
            who = "this network";
        }
        if (wait > 0) {
            char retry[16], detail[80];
            snprintf(retry, sizeof(retry), "%d", wait);
            snprintf(detail, sizeof(detail), "too many reports from %s; retry later", who);
            http_set_header(req, "Retry-After", retry);
            api__count_rejected("rate_limited", in->batch.count);
            api__error(req, 429, "rate_limited", detail);
            intake_free(in);
            return;
        }
    }
    for (size_t i = 0; i < in->batch.count; i++) {
        struct store_report *r = &in->batch.rows[i];
        r->counted = guard_vote_from(api->guard, r->voter, o.trusted ? NULL : &o.keys,
                                     r->service, r->ts);
    }
    in->batch.done = on_stored;
    in->batch.arg = in;
    in->batch.next = NULL;
    if (in->batch.count >= WRITER_BATCH) {
        /* A big batch is its own group: the writer thread commits it while
         * this thread goes on parsing the next one. */
        int rc = store_submit(api->store, &in->batch);
        if (rc < 0)
            on_stored(in, rc);
        return;
    }
    /* Park it with the others of this pass of the event loop: they are all
     * committed together by api_after_run (one transaction, then answers). */
    http_answer_this_pass(in->req);
    if (parked_tail)
        parked_tail->next = &in->batch;
    else
        parked_head = &in->batch;
    parked_tail = &in->batch;
}

void api_after_run(void *ctx)
{
    struct api *api = ctx;
    if (!parked_head)
        return;
    struct store_batch *list = parked_head;
    parked_head = parked_tail = NULL;
    store_commit_now(api->store, list);
}
