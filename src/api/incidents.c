/* incidents.c - GET /api/v1/incidents and /api/v1/incidents/{id}, and the
 * route to POST /api/v1/incidents/{id}/updates (updates.c).
 *
 * Both read the store's incidents (live.h writes them as the detector
 * publishes them), so they show the history across restarts. Filters on
 * the list: service, group, open=true|false, since (ISO 8601 or Unix
 * seconds: incidents still open then or ending after it) and limit
 * (default 100, at most 1000), newest start first. One incident comes with
 * its timeline, every state it went through, oldest first, each with the
 * countries that joined and left since the state before (read from the
 * stored states' JSON when answering), and the official updates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/query.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "report/country.h"
#include "store/store.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define INCIDENT_ID_MAX 128

static void list_incidents(struct api *api, struct http_request *req)
{
    struct store_incident_filter f = {.limit = LIST_DEFAULT, .since = INT64_MIN};
    const char *v;
    if ((v = http_query(req, "service"))) {
        if (catalog_find(api->catalog, v, strlen(v)) < 0) {
            api__unknown_service(req, v, strlen(v));
            return;
        }
        f.service = v;
    }
    f.group = http_query(req, "group");
    if ((v = http_query(req, "open")) && query_flag(v, &f.open_only) < 0) {
        api__error(req, 400, "invalid_open", "open is true or false");
        return;
    }
    if ((v = http_query(req, "since")) && query_time(v, &f.since) < 0) {
        api__error(req, 400, "invalid_since", "since is an ISO 8601 time or Unix seconds");
        return;
    }
    if (api__parse_limit(req, LIST_MAX, &f.limit) < 0)
        return;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"incidents\":[");
    if (store_list_incidents(api->store, &f, &b) < 0) {
        buf_free(&b);
        api__error(req, 503, "storage_unavailable", "the incidents cannot be read right now");
        return;
    }
    buf_puts(&b, "]}");
    api__json(req, 200, &b);
}

#define STATE_TOKENS 600 /* an incident's JSON: 249 countries and ~40 more tokens */

static int key_is(const char *json, const jsmntok_t *key, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(key->end - key->start) == n && memcmp(json + key->start, name, n) == 0;
}

static double number_at(const char *json, const jsmntok_t *t)
{
    char text[32];
    int n = t->end - t->start;
    if (t->type != JSMN_PRIMITIVE || n <= 0 || n >= (int)sizeof(text))
        return 0;
    memcpy(text, json + t->start, (size_t)n);
    text[n] = '\0';
    return strtod(text, NULL);
}

void api__incident_facts(const char *json, size_t len, struct api_incident_facts *out)
{
    out->ncountries = out->nproblems = 0;
    out->peak_per_min = 0;
    jsmntok_t *t = xcalloc(STATE_TOKENS, sizeof(*t));
    char detail[160];
    int ntok = json_parse(json, len, t, STATE_TOKENS, detail, sizeof(detail));
    for (int k = 0, i = 1; ntok > 0 && t[0].type == JSMN_OBJECT && k < t[0].size; k++) {
        const jsmntok_t *key = &t[i];
        int value = i + 1;
        i = json_next(t, ntok, value);
        if (key_is(json, key, "countries") && t[value].type == JSMN_ARRAY) {
            for (int c = value + 1; c < i && out->ncountries < COUNTRY_SLOTS; c++) {
                int index = t[c].end - t[c].start == 2 ? country_index(json + t[c].start) : -1;
                if (t[c].type == JSMN_STRING && index >= 0)
                    out->countries[out->ncountries++] = index;
            }
        } else if (key_is(json, key, "problems") && t[value].type == JSMN_OBJECT) {
            for (int p = value + 1; p + 1 < i && out->nproblems < REP_PROBLEM_COUNT; p += 2) {
                int problem = rep_problem_parse(json + t[p].start, (size_t)(t[p].end - t[p].start));
                if (problem < 0)
                    continue;
                out->problems[out->nproblems] = problem;
                out->shares[out->nproblems++] = number_at(json, &t[p + 1]);
            }
        } else if (key_is(json, key, "peak_per_min")) {
            out->peak_per_min = number_at(json, &t[value]);
        }
    }
    free(t);
}

/* The countries of a[0..na) that b[0..nb) lacks, as a JSON array. */
static void countries_missing(struct buf *out, const int *a, int na, const int *b, int nb)
{
    buf_putc(out, '[');
    int written = 0;
    for (int i = 0; i < na; i++) {
        int found = 0;
        for (int j = 0; j < nb && !found; j++)
            found = a[i] == b[j];
        char cc[3];
        if (!found)
            buf_printf(out, "%s\"%s\"", written++ ? "," : "", country_code(a[i], cc));
    }
    buf_putc(out, ']');
}

/* store_get_incident's reader: the timeline and the updates, each into a
 * JSON array. */
struct history {
    struct buf timeline, updates;
    int states, nupdates;
    int previous[COUNTRY_SLOTS], nprevious;
};

static void on_state(void *arg, int64_t at, const char *event, const char *json, size_t len)
{
    struct history *h = arg;
    char when[32];
    struct api_incident_facts *facts = xmalloc(sizeof(*facts));
    api__incident_facts(json, len, facts);
    const int *now = facts->countries;
    int n = facts->ncountries;
    time_format(at, when, sizeof(when));
    buf_printf(&h->timeline, "%s{\"at\":\"%s\",\"event\":", h->states++ ? "," : "", when);
    buf_json_cstr(&h->timeline, event);
    buf_puts(&h->timeline, ",\"incident\":");
    buf_append(&h->timeline, json, len);
    buf_puts(&h->timeline, ",\"countries_added\":");
    countries_missing(&h->timeline, now, n, h->previous, h->nprevious);
    buf_puts(&h->timeline, ",\"countries_removed\":");
    countries_missing(&h->timeline, h->previous, h->nprevious, now, n);
    buf_putc(&h->timeline, '}');
    memcpy(h->previous, now, (size_t)n * sizeof(*now));
    h->nprevious = n;
    free(facts);
}

static void on_update(void *arg, const struct store_update *u)
{
    struct history *h = arg;
    if (h->nupdates++)
        buf_putc(&h->updates, ',');
    api__update_json(&h->updates, u);
}

static void unknown_incident(struct http_request *req, const char *id, size_t len)
{
    char shown[80], detail[160];
    snprintf(detail, sizeof(detail), "no incident \"%s\"",
             api__printable(id, len, shown, sizeof(shown)));
    api__error(req, 404, "unknown_incident", detail);
}

static void one_incident(struct api *api, struct http_request *req, const char *id)
{
    struct history *h = xcalloc(1, sizeof(*h));
    buf_init(&h->timeline);
    buf_init(&h->updates);
    struct store_incident_reader r = {on_state, on_update, h};
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"version\":1,\"incident\":");
    int found = store_get_incident(api->store, id, &b, &r);
    if (found == 1) {
        buf_puts(&b, ",\"timeline\":[");
        buf_append(&b, h->timeline.data, h->timeline.len);
        buf_puts(&b, "],\"official_updates\":[");
        buf_append(&b, h->updates.data, h->updates.len);
        buf_puts(&b, "]}");
        api__json(req, 200, &b);
    } else {
        buf_free(&b);
        if (found < 0)
            api__error(req, 503, "storage_unavailable", "the incidents cannot be read right now");
        else
            unknown_incident(req, id, strlen(id));
    }
    buf_free(&h->timeline);
    buf_free(&h->updates);
    free(h);
}

#define UPDATES_SUFFIX "/updates"

void api__incidents(struct api *api, struct http_request *req, const char *rest)
{
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        list_incidents(api, req);
        return;
    }
    const char *id = rest + 1;
    const char *slash = strchr(id, '/');
    if (!slash) {
        one_incident(api, req, id);
    } else if (strcmp(slash, UPDATES_SUFFIX) == 0) {
        http_set_header(req, "Allow", "POST");
        api__error(req, 405, "method_not_allowed",
                   "official updates are posted here; read them in the incident");
    } else {
        unknown_incident(req, id, strlen(id));
    }
}

void api__incidents_post(struct api *api, struct http_request *req, const char *rest)
{
    const char *id = *rest ? rest + 1 : rest;
    const char *slash = strchr(id, '/');
    if (!*id || !slash || strcmp(slash, UPDATES_SUFFIX) != 0) {
        api__read_only(req);
        return;
    }
    char incident[INCIDENT_ID_MAX];
    size_t len = (size_t)(slash - id);
    if (len >= sizeof(incident)) {
        unknown_incident(req, id, len);
        return;
    }
    memcpy(incident, id, len);
    incident[len] = '\0';
    api__post_update(api, req, incident);
}
