/* services.c - GET /api/v1/services[/{id}[/series]]: the catalog and the
 * counts kept for each service. Series queries take from/to as ISO 8601 or
 * Unix seconds, step as seconds or 1m/5m/15m/1h/1d, and an optional
 * country; the number of points per answer is capped so a query can never
 * make the server build an unbounded answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "live/live.h"
#include "report/country.h"
#include "series/series.h"

#define MAX_POINTS 10080       /* a week of minutes */
#define DEFAULT_RANGE 86400    /* last 24 h */

static void service_json(struct buf *b, const struct cat_service *s)
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
    buf_puts(b, "]}");
}

static void list_services(struct api *api, struct http_request *req)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"services\":[");
    for (size_t i = 0; i < catalog_count(api->catalog); i++) {
        if (i)
            buf_putc(&b, ',');
        service_json(&b, catalog_at(api->catalog, i));
    }
    buf_puts(&b, "]}");
    api__json(req, 200, &b);
}

static void one_service(struct api *api, struct http_request *req, int index)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"service\":");
    service_json(&b, catalog_at(api->catalog, (size_t)index));
    int countries[COUNTRY_SLOTS];
    size_t n = series_countries(api->series, index, countries, COUNTRY_SLOTS);
    buf_puts(&b, ",\"countries_with_reports\":[");
    for (size_t i = 0; i < n && i < COUNTRY_SLOTS; i++) {
        char cc[3];
        buf_printf(&b, "%s\"%s\"", i ? "," : "", country_code(countries[i], cc));
    }
    buf_puts(&b, "]");
    if (api->live) {
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
    }
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
    int64_t to = time_now();
    to += 60 - to % 60; /* through the current minute */
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
    struct buf b;
    buf_init(&b);
    char t[32];
    buf_puts(&b, "{\"version\":1,\"service\":");
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
        buf_printf(&b, "%s{\"t\":\"%s\",\"reports\":%u,\"clients\":%u,\"problems\":{", i ? "," : "",
                   t, pts[i].reports, pts[i].clients);
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
