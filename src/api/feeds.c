/* feeds.c - Atom feeds of incidents, so that a feed reader or a chat bot
 * can follow outages without an account:
 *
 *   GET /feeds/incidents.atom          every service's incidents
 *   GET /feeds/services/{id}.atom      one service's
 *
 * Each holds the FEED_ENTRIES incidents that started last, newest first,
 * from the store (so the history survives restarts), one entry per
 * incident: its title says which service and when, its summary the
 * countries, problems and peak, its link goes to the incident's page
 * (/i/{id}). Ids are tag URIs made of the public host and the incident's
 * id, never of a clock, so they stay the same across restarts and
 * re-detection; `updated` is the incident's last change in event time,
 * and the feed's the newest of its entries'. Links are absolute: under
 * public_url when configured, else under the Host the client asked for.
 * The answer has a strong ETag (a hash of the document) and a
 * Last-Modified, and is 304 on a matching If-None-Match (or, without one,
 * If-Modified-Since); it is public (CORS *) like every GET of the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "api/api.h"
#include "atom/atom.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "store/store.h"

#define FEED_ENTRIES 50
#define TAG_DATE "2024" /* the tag URIs' date: fixed, so ids never change */
#define DEFAULT_AUTHORITY "localhost"
#define ATOM_SUFFIX ".atom"
#define SUMMARY_MAX 4096

/* Where the feed's links and ids point. */
struct place {
    char base[600];      /* "https://status.example.com" or "http://Host", no final '/' */
    char authority[256]; /* the tag URIs' host */
};

/* host[:port] or [v6][:port], in the characters such names have. */
static int plausible_host(const char *h, size_t n)
{
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return 0;
    }
    return 1;
}

/* The host of "scheme://host[:port][/...]" into out, when it is a DNS name
 * or IPv4 address that a tag URI can carry (lower case); else "". */
static void tag_authority(const char *url, char *out, size_t outsz)
{
    out[0] = '\0';
    const char *host = strstr(url, "://");
    if (!host)
        return;
    host += 3;
    size_t n = strcspn(host, ":/");
    if (n == 0 || n >= outsz || host[0] == '[')
        return;
    for (size_t i = 0; i < n; i++) {
        char c = host[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return;
        out[i] = c;
    }
    out[n] = '\0';
}

int api_check_public_url(const char *url, char *err, size_t errsz)
{
    if (!*url)
        return 0;
    const char *rest = strncmp(url, "https://", 8) == 0  ? url + 8
                       : strncmp(url, "http://", 7) == 0 ? url + 7
                                                         : NULL;
    size_t host = rest ? strcspn(rest, "/") : 0;
    int ok = rest && plausible_host(rest, host);
    for (const char *p = rest ? rest + host : url; ok && *p; p++)
        ok = *p > 0x20 && *p < 0x7f && !strchr("\"<>\\^`{|}", *p);
    if (!ok)
        snprintf(err, errsz,
                 "public_url \"%.200s\" is not an http:// or https:// URL "
                 "(https://host[:port][/prefix])",
                 url);
    return ok ? 0 : -1;
}

static void find_place(const struct api *api, struct http_request *req, struct place *p)
{
    const char *host = http_header(req, "Host");
    if (*api->public_url)
        snprintf(p->base, sizeof(p->base), "%s", api->public_url);
    else if (host && plausible_host(host, strlen(host)))
        snprintf(p->base, sizeof(p->base), "http://%s", host);
    else
        snprintf(p->base, sizeof(p->base), "http://%s", DEFAULT_AUTHORITY);
    size_t n = strlen(p->base);
    while (n && p->base[n - 1] == '/')
        p->base[--n] = '\0';
    if (*api->public_url)
        tag_authority(api->public_url, p->authority, sizeof(p->authority));
    if (!*api->public_url || !p->authority[0])
        snprintf(p->authority, sizeof(p->authority), "%s", DEFAULT_AUTHORITY);
}

/* ---- one entry ----------------------------------------------------------- */

/* "2024-04-03 16:30" */
static void minute_text(int64_t t, char *out, size_t outsz)
{
    char iso[32];
    time_format(t, iso, sizeof(iso));
    snprintf(out, outsz, "%.10s %.5s", iso, iso + 11);
}

static void entry_title(struct buf *b, const char *name, const struct store_incident *inc)
{
    char from[32], to[32];
    minute_text(inc->start, from, sizeof(from));
    if (inc->end < 0) {
        buf_printf(b, "%s outage, ongoing since %s UTC", name, from);
        return;
    }
    minute_text(inc->end, to, sizeof(to));
    /* The end's date only when it is another day. */
    buf_printf(b, "%s outage, %s to %s UTC (resolved)", name, from,
               strncmp(from, to, 10) == 0 ? to + 11 : to);
}

static void entry_summary(struct buf *b, const char *name, const struct store_incident *inc,
                          const struct api_incident_facts *facts)
{
    char from[32], seen[32], to[32];
    minute_text(inc->start, from, sizeof(from));
    time_format(inc->detected_at, seen, sizeof(seen));
    buf_printf(b, "Reports of problems with %s rose far above normal from %s UTC (detected at "
                  "%.8s)",
               name, from, seen + 11);
    if (inc->end >= 0) {
        minute_text(inc->end, to, sizeof(to));
        buf_printf(b, "; resolved at %s UTC.", to);
    } else {
        buf_puts(b, "; still ongoing.");
    }
    if (facts->ncountries) {
        buf_puts(b, "\nCountries: ");
        for (int i = 0; i < facts->ncountries; i++) {
            char code[3];
            buf_printf(b, "%s%s (%s)", i ? ", " : "", country_name(facts->countries[i]),
                       country_code(facts->countries[i], code));
        }
        buf_putc(b, '.');
    }
    if (facts->nproblems) {
        buf_puts(b, "\nProblems: ");
        for (int i = 0; i < facts->nproblems; i++)
            buf_printf(b, "%s%s %.0f%%", i ? ", " : "",
                       rep_problem_name((enum rep_problem)facts->problems[i]),
                       100 * facts->shares[i]);
        buf_putc(b, '.');
    }
    if (facts->peak_per_min > 0)
        buf_printf(b, "\nPeak: %.0f reports a minute.", facts->peak_per_min);
}

struct feed_build {
    struct api *api;
    const struct place *place;
    struct buf entries;
    int64_t updated; /* the newest entry's */
    struct api_incident_facts facts;
};

static void add_entry(void *arg, const struct store_incident *inc)
{
    struct feed_build *fb = arg;
    int index = catalog_find(fb->api->catalog, inc->service, strlen(inc->service));
    const char *name = index >= 0 ? catalog_at(fb->api->catalog, (size_t)index)->name
                                  : inc->service;
    api__incident_facts(inc->json, strlen(inc->json), &fb->facts);
    struct buf id, title, summary, link;
    buf_init(&id);
    buf_init(&title);
    buf_init(&summary);
    buf_init(&link);
    buf_printf(&id, "tag:%s," TAG_DATE ":incident/%s", fb->place->authority, inc->id);
    entry_title(&title, name, inc);
    entry_summary(&summary, name, inc, &fb->facts);
    buf_printf(&link, "%s/i/%s", fb->place->base, inc->id);
    struct atom_entry e = {
        .id = id.data,
        .title = title.data,
        .updated = inc->updated,
        .published = inc->detected_at,
        .link = link.data,
        .summary = summary.data,
        .category = inc->service,
        .category_label = name,
    };
    atom_entry(&fb->entries, &e);
    if (inc->updated > fb->updated)
        fb->updated = inc->updated;
    buf_free(&id);
    buf_free(&title);
    buf_free(&summary);
    buf_free(&link);
}

/* ---- the feed ------------------------------------------------------------ */

/* Answer 304 when the client's copy is current: If-None-Match decides when
 * present (RFC 9110 13.2.2), else If-Modified-Since. */
static int not_modified(struct http_request *req, const char *etag, int64_t updated)
{
    const char *inm = http_header(req, "If-None-Match");
    if (inm)
        return http_etag_matches(inm, etag);
    const char *ims = http_header(req, "If-Modified-Since");
    int64_t since;
    return ims && time_parse_http(ims, &since) == 0 && updated <= since;
}

static void send_feed(struct api *api, struct http_request *req, const struct cat_service *svc)
{
    struct place place;
    find_place(api, req, &place);
    struct feed_build *fb = xcalloc(1, sizeof(*fb));
    fb->api = api;
    fb->place = &place;
    buf_init(&fb->entries);
    struct store_incident_filter f = {
        .service = svc ? svc->id : NULL, .since = INT64_MIN, .limit = FEED_ENTRIES};
    long n = store_each_incident(api->store, &f, add_entry, fb);
    if (n < 0) {
        buf_free(&fb->entries);
        free(fb);
        api__error(req, 503, "storage_unavailable", "the incidents cannot be read right now");
        return;
    }
    struct buf id, title, self, page, doc;
    buf_init(&id);
    buf_init(&title);
    buf_init(&self);
    buf_init(&page);
    buf_init(&doc);
    if (svc) {
        buf_printf(&id, "tag:%s," TAG_DATE ":feeds/services/%s", place.authority, svc->id);
        buf_printf(&title, "downwatch: %s incidents", svc->name);
        buf_printf(&self, "%s/feeds/services/%s" ATOM_SUFFIX, place.base, svc->id);
        buf_printf(&page, "%s/s/%s", place.base, svc->id);
    } else {
        buf_printf(&id, "tag:%s," TAG_DATE ":feeds/incidents", place.authority);
        buf_puts(&title, "downwatch: incidents");
        buf_printf(&self, "%s/feeds/incidents" ATOM_SUFFIX, place.base);
        buf_printf(&page, "%s/", place.base);
    }
    struct atom_feed head = {
        .id = id.data,
        .title = title.data,
        .subtitle = "Outages detected from people's problem reports, newest first.",
        .updated = fb->updated, /* 1970 for a feed without entries: it never changed */
        .self = self.data,
        .alternate = page.data,
        .author = "downwatch",
        .generator = "downwatch",
    };
    atom_open(&doc, &head);
    buf_append(&doc, fb->entries.data ? fb->entries.data : "", fb->entries.len);
    atom_close(&doc);

    char etag[24], modified[40];
    snprintf(etag, sizeof(etag), "\"%016llx\"", (unsigned long long)XXH3_64bits(doc.data, doc.len));
    time_format_http(fb->updated, modified, sizeof(modified));
    http_set_header(req, "ETag", etag);
    http_set_header(req, "Last-Modified", modified);
    http_set_header(req, "Cache-Control", "public, max-age=60");
    http_set_header(req, "Access-Control-Allow-Origin", "*");
    if (not_modified(req, etag, fb->updated)) {
        buf_free(&doc);
        http_respond(req, 304, NULL, NULL, 0);
    } else {
        size_t len;
        char *body = buf_steal(&doc, &len);
        http_respond(req, 200, "application/atom+xml; charset=utf-8", body, len);
    }
    buf_free(&id);
    buf_free(&title);
    buf_free(&self);
    buf_free(&page);
    buf_free(&fb->entries);
    free(fb);
}

void api__feeds(struct api *api, struct http_request *req, const char *rest)
{
    if (strcmp(rest, "/incidents" ATOM_SUFFIX) == 0) {
        send_feed(api, req, NULL);
        return;
    }
    const char *prefix = "/services/";
    size_t plen = strlen(prefix), slen = strlen(ATOM_SUFFIX), n = strlen(rest);
    if (strncmp(rest, prefix, plen) != 0 || n <= plen + slen ||
        strcmp(rest + n - slen, ATOM_SUFFIX) != 0) {
        api__error(req, 404, "not_found",
                   "feeds are /feeds/incidents.atom and /feeds/services/{id}.atom");
        return;
    }
    const char *id = rest + plen;
    size_t idlen = n - plen - slen;
    int index = catalog_find(api->catalog, id, idlen);
    if (index < 0) {
        api__unknown_service(req, id, idlen);
        return;
    }
    send_feed(api, req, catalog_at(api->catalog, (size_t)index));
}
