/* services.c - GET /api/v1/services[/{id}[/series]]: the catalog and what
 * the status pages show of each service.
 *
 * "Now" is the detector's watermark (live_now), so a replayed trace shows
 * its own last 24 hours. The list gives every service its status, open
 * incident and group, and its last 24 hours hour by hour (the sparkline,
 * read from the series' minute rings so the hours end exactly at now) with
 * how far the last hour's votes are above what its baseline expects. One
 * service adds the problem shares and, per country, votes against the
 * country's baseline over the open incident (else the last hour). Series
 * queries take from/to as ISO 8601 or Unix seconds, step as seconds or
 * 1m/5m/15m/1h/1d, and an optional country; each point carries the normal
 * band (band.h: expected votes and the 99% edge); the number of points per
 * answer is capped so a query can never make the server build an unbounded
 * answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "detect/band.h"
#include "http/server.h"
#include "live/live.h"
#include "report/country.h"
#include "series/series.h"

#define MAX_POINTS 10080       /* a week of minutes */
#define DEFAULT_RANGE 86400    /* last 24 h */
#define SPARK_HOURS 24         /* the list's sparkline: the last 24 hours */
#define MIN_EXPECTED_PER_MINUTE 1e-3 /* the detector's floor (detect.c MIN_RATE) */

/* The catalog's fields of a service, as an object left open. */
static void catalog_fields(struct buf *b, const struct cat_service *s)
{
    buf_puts(b, "{\"id\":");
    buf_json_cstr(b, s->id);
    buf_puts(b, ",\"name\":");
    buf_json_cstr(b, s->name);
    buf_puts(b, ",\"owner\":");
    buf_json_cstr(b, s->owner);
    buf_puts(b, ",\"category\":");
    buf_json_cstr(b, s->category);
    buf_puts(b, ",\"problems\":[");
    int first = 1;
    for (int p = 0; p < REP_PROBLEM_COUNT; p++) {
        if (!(s->problems & (1u << p)))
            continue;
        buf_printf(b, "%s\"%s\"", first ? "" : ",", rep_problem_name((enum rep_problem)p));
        first = 0;
    }
    buf_putc(b, ']');
}

/* An id, or null for "". */
static void id_or_null(struct buf *b, const char *id)
{
    if (*id)
        buf_json_cstr(b, id);
    else
        buf_puts(b, "null");
}

static int64_t minute_start(int64_t t)
{
    return t - (t % 60 + 60) % 60;
}

/* The end of the minute that holds t: windows "up to now" end there. */
static int64_t minute_end(int64_t t)
{
    return minute_start(t) + 60;
}

/* A service as the status pages list it: the catalog's fields, its status,
 * open incident and group, and its last 24 hours (see api.h). */
static void service_summary(struct api *api, struct buf *b, int index, const struct live_view *v,
                            int64_t now)
{
    catalog_fields(b, catalog_at(api->catalog, (size_t)index));
    buf_printf(b, ",\"status\":\"%s\",\"incident\":", v->status);
    id_or_null(b, v->incident);
    buf_puts(b, ",\"group\":");
    id_or_null(b, v->group);
    struct series_point hours[SPARK_HOURS];
    series_recent(api->series, index, SERIES_ALL_COUNTRIES, now, 60, hours, SPARK_HOURS);
    uint64_t total = 0;
    for (int i = 0; i < SPARK_HOURS; i++)
        total += hours[i].reports;
    buf_printf(b, ",\"reports_24h\":%llu,\"sparkline\":[", (unsigned long long)total);
    for (int i = 0; i < SPARK_HOURS; i++)
        buf_printf(b, "%s%u", i ? "," : "", hours[i].reports);
    buf_puts(b, "],\"above_normal\":");
    const struct series_point *last = &hours[SPARK_HOURS - 1];
    if (base_hours(&v->total) == 0) {
        buf_puts(b, "null");
    } else {
        double minutes = (double)(now - last->t) / 60.0;
        double expected = band_expected(&v->total, last->t, minutes);
        if (expected < MIN_EXPECTED_PER_MINUTE * minutes)
            expected = MIN_EXPECTED_PER_MINUTE * minutes;
        buf_printf(b, "%.2f", last->clients / expected);
    }
    buf_putc(b, '}');
}

static void list_services(struct api *api, struct http_request *req)
{
    int64_t now = live_now(api->live);
    char t[32];
    time_format(now, t, sizeof(t));
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "{\"version\":1,\"now\":\"%s\",\"services\":[", t);
    for (size_t i = 0; i < catalog_count(api->catalog); i++) {
        struct live_view v;
        live_view(api->live, (int)i, &v);
        if (i)
            buf_putc(&b, ',');
        service_summary(api, &b, (int)i, &v, now);
    }
    buf_puts(&b, "]}");
    api__json(req, 200, &b);
}

/* Problem shares among the counted votes since `from` (a minute). */
static void problem_shares(struct api *api, struct buf *b, int index, int64_t from, int64_t now)
{
    struct series_point window;
    int64_t end = minute_end(now);
    series_recent(api->series, index, SERIES_ALL_COUNTRIES, end, (int)((end - from) / 60),
                  &window, 1);
    uint64_t votes = 0;
    for (int k = 0; k < REP_PROBLEM_COUNT; k++)
        votes += window.problems[k];
    int order[REP_PROBLEM_COUNT], n = 0;
    for (int k = 0; k < REP_PROBLEM_COUNT; k++)
        if (window.problems[k])
            order[n++] = k;
    for (int i = 1; i < n; i++) /* insertion sort, largest share first */
        for (int j = i; j > 0 && window.problems[order[j]] > window.problems[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    buf_puts(b, ",\"problems\":{");
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s\"%s\":%.3f", i ? "," : "", rep_problem_name((enum rep_problem)order[i]),
                   (double)window.problems[order[i]] / (double)votes);
    buf_putc(b, '}');
}

struct country_excess {
    int country;
    uint32_t votes;
    double expected;
    int anomalous;
};

static int by_excess_desc(const void *a, const void *b)
{
    const struct country_excess *x = a, *y = b;
    double ex = x->votes - x->expected, ey = y->votes - y->expected;
    return ex > ey ? -1 : ex < ey ? 1 : x->country - y->country;
}

/* Every country with votes since `from` (a minute) or listed on the open
 * incident: its votes against what its baseline expects, most excess first. */
static void country_excesses(struct api *api, struct buf *b, int index, const struct live_view *v,
                             int64_t from)
{
    int codes[COUNTRY_SLOTS];
    size_t n = series_countries(api->series, index, codes, COUNTRY_SLOTS);
    struct country_excess *rows = xcalloc(n ? n : 1, sizeof(*rows));
    size_t kept = 0;
    int64_t end = minute_end(v->now);
    for (size_t i = 0; i < n; i++) {
        struct series_point window;
        series_recent(api->series, index, codes[i], end, (int)((end - from) / 60), &window, 1);
        int anomalous = 0;
        for (int k = 0; k < v->ncountries && !anomalous; k++)
            anomalous = v->countries[k] == codes[i];
        if (!window.clients && !anomalous)
            continue;
        struct base base;
        live_baseline(api->live, index, codes[i], &base);
        rows[kept++] = (struct country_excess){codes[i], window.clients,
                                               band_expected(&base, from, (v->now - from) / 60.0),
                                               anomalous};
    }
    qsort(rows, kept, sizeof(*rows), by_excess_desc);
    buf_puts(b, ",\"countries\":[");
    for (size_t i = 0; i < kept; i++) {
        char cc[3];
        buf_printf(b,
                   "%s{\"country\":\"%s\",\"reports\":%u,\"expected\":%.2f,\"excess\":%.2f,"
                   "\"anomalous\":%s}",
                   i ? "," : "", country_code(rows[i].country, cc), rows[i].votes,
                   rows[i].expected, rows[i].votes - rows[i].expected,
                   rows[i].anomalous ? "true" : "false");
    }
    buf_putc(b, ']');
    free(rows);
}

static void one_service(struct api *api, struct http_request *req, int index)
{
    struct live_view v;
    live_view(api->live, index, &v);
    struct buf b;
    buf_init(&b);
    char t[32];
    time_format(v.now, t, sizeof(t));
    buf_printf(&b, "{\"version\":1,\"now\":\"%s\",\"service\":", t);
    service_summary(api, &b, index, &v, v.now);
    int countries[COUNTRY_SLOTS];
    size_t n = series_countries(api->series, index, countries, COUNTRY_SLOTS);
    buf_puts(&b, ",\"countries_with_reports\":[");
    for (size_t i = 0; i < n && i < COUNTRY_SLOTS; i++) {
        char cc[3];
        buf_printf(&b, "%s\"%s\"", i ? "," : "", country_code(countries[i], cc));
    }
    buf_puts(&b, "]");
    const char *status;
    struct buf open;
    buf_init(&open);
    int has_open = live_status(api->live, index, &status, &open);
    buf_printf(&b, ",\"status\":\"%s\",\"incident\":", status);
    if (has_open)
        buf_append(&b, open.data, open.len);
    else
        buf_puts(&b, "null");
    buf_free(&open);
    /* Over the open incident (at most its last day), or else the last day
     * (problems) and the last hour (countries). */
    int64_t day_ago = minute_end(v.now) - 86400, since = day_ago;
    if (v.incident_start >= 0 && minute_start(v.incident_start) > day_ago)
        since = minute_start(v.incident_start);
    problem_shares(api, &b, index, since, v.now);
    country_excesses(api, &b, index, &v, v.incident_start >= 0 ? since : minute_end(v.now) - 3600);
    buf_putc(&b, '}');
    api__json(req, 200, &b);
}

/* A step as seconds or with a unit: 60, 5m, 1h, 1d. */
static int parse_step(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || errno || v <= 0)
        return -1;
    long unit = 1;
    if (*end == 'm')
        unit = 60, end++;
    else if (*end == 'h')
        unit = 3600, end++;
    else if (*end == 'd')
        unit = 86400, end++;
    else if (*end == 's')
        end++;
    if (*end || v > 30L * 86400 / unit)
        return -1;
    *out = (int)(v * unit);
    return 0;
}

static void series_answer(struct api *api, struct http_request *req, int service)
{
    int step = 60;
    int64_t now = live_now(api->live);
    int64_t to = minute_end(now); /* through the current minute */
    int64_t from;
    const char *v;
    int country = SERIES_ALL_COUNTRIES;
    if ((v = http_query(req, "step")) && (parse_step(v, &step) < 0 || step % 60)) {
        api__error(req, 400, "invalid_step", "step must be a whole number of minutes: 60, 5m, 1h");
        return;
    }
    if ((v = http_query(req, "to")) && api__parse_time(v, &to) < 0) {
        api__error(req, 400, "invalid_time", "to must be an ISO 8601 time or Unix seconds");
        return;
    }
    from = to - DEFAULT_RANGE;
    if ((v = http_query(req, "from")) && api__parse_time(v, &from) < 0) {
        api__error(req, 400, "invalid_time", "from must be an ISO 8601 time or Unix seconds");
        return;
    }
    if ((v = http_query(req, "country"))) {
        country = strlen(v) == 2 ? country_index(v) : -1;
        if (country < 0) {
            api__error(req, 400, "invalid_country", "country must be an ISO 3166-1 alpha-2 code");
            return;
        }
    }
    from -= from % step;
    if (to <= from) {
        api__error(req, 400, "invalid_range", "from must be before to");
        return;
    }
    int64_t count = (to - from + step - 1) / step;
    if (count > MAX_POINTS) {
        char detail[128];
        snprintf(detail, sizeof(detail), "at most %d points per query: widen step or narrow the range",
                 MAX_POINTS);
        api__error(req, 400, "range_too_large", detail);
        return;
    }
    struct series_point *pts = xcalloc((size_t)count, sizeof(*pts));
    long n = series_query(api->series, service, country, from, to, step, pts, (size_t)count);
    struct base base;
    live_baseline(api->live, service, country, &base);
    struct buf b;
    buf_init(&b);
    char t[32];
    time_format(now, t, sizeof(t));
    buf_printf(&b, "{\"version\":1,\"now\":\"%s\",\"service\":", t);
    buf_json_cstr(&b, catalog_at(api->catalog, (size_t)service)->id);
    if (country == SERIES_ALL_COUNTRIES) {
        buf_puts(&b, ",\"country\":null");
    } else {
        char cc[3];
        buf_printf(&b, ",\"country\":\"%s\"", country_code(country, cc));
    }
    time_format(from, t, sizeof(t));
    buf_printf(&b, ",\"from\":\"%s\"", t);
    time_format(to, t, sizeof(t));
    buf_printf(&b, ",\"to\":\"%s\",\"step\":%d,\"points\":[", t, step);
    for (long i = 0; i < n; i++) {
        time_format(pts[i].t, t, sizeof(t));
        double minutes = step / 60.0;
        double expected = band_expected(&base, pts[i].t, minutes);
        double upper = band_upper(expected, base_inv_size(&base, pts[i].t, minutes));
        buf_printf(&b,
                   "%s{\"t\":\"%s\",\"reports\":%u,\"clients\":%u,\"expected\":%.3f,"
                   "\"upper\":%.3f,\"problems\":{",
                   i ? "," : "", t, pts[i].reports, pts[i].clients, expected, upper);
        int first = 1;
        for (int p = 0; p < REP_PROBLEM_COUNT; p++) {
            if (!pts[i].problems[p])
                continue;
            buf_printf(&b, "%s\"%s\":%u", first ? "" : ",", rep_problem_name((enum rep_problem)p),
                       pts[i].problems[p]);
            first = 0;
        }
        buf_puts(&b, "}}");
    }
    buf_puts(&b, "]}");
    free(pts);
    api__json(req, 200, &b);
}

void api__services(struct api *api, struct http_request *req, const char *rest)
{
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        list_services(api, req);
        return;
    }
    const char *id = rest + 1;
    const char *slash = strchr(id, '/');
    size_t idlen = slash ? (size_t)(slash - id) : strlen(id);
    int index = catalog_find(api->catalog, id, idlen);
    if (index < 0) {
        api__unknown_service(req, id, idlen);
        return;
    }
    if (!slash)
        one_service(api, req, index);
    else if (strcmp(slash, "/series") == 0)
        series_answer(api, req, index);
    else
        api__error(req, 404, "not_found", "a service has /series; nothing else below it");
}
