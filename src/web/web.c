/* web.c - the embedded status page (see web.h).
 *
 * The files come from web/dist, turned into a C table by the build
 * (cmake/embed_web.cmake writes web_assets.c in the build directory), so
 * the binary needs nothing on disk and a closed network is fine. Routing
 * is a handful of fixed prefixes: pages are one HTML file each whatever
 * the id in the path (the page reads it and asks the API), assets are
 * looked up by their exact name. Answers are sent from the embedded bytes
 * themselves; the gzip variant is chosen from Accept-Encoding, and the
 * ETag differs per variant, as HTTP asks (Vary: Accept-Encoding). */
#include "web/web.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/server.h"

/* Generated (web_assets.c). */
extern const struct web_asset web__assets[];
extern const size_t web__nassets;

#define ASSETS "/assets/"

/* Scripts and styles from our own origin only, never inline; API calls
 * to our own origin; the map is inline SVG, images may be data: URLs. */
static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const struct web_asset *web_find(const char *path)
{
    for (size_t i = 0; i < web__nassets; i++)
        if (strcmp(web__assets[i].path, path) == 0)
            return &web__assets[i];
    return NULL;
}

/* "/s/whatsapp": prefix then one non-empty segment, nothing after it. */
static int one_segment(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && path[n] && !strchr(path + n, '/');
}

const struct web_asset *web_route(const char *path)
{
    if (strcmp(path, "/") == 0)
        return web_find("/index.html");
    if (one_segment(path, "/s/"))
        return web_find("/service.html");
    if (one_segment(path, "/i/"))
        return web_find("/incident.html");
    if (strncmp(path, ASSETS, strlen(ASSETS)) == 0)
        return web_find(path);
    return NULL;
}

const char *web_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* The q of a coding's parameters ("; q=0.5"); 1 without one. */
static double quality(const char *params, const char *end)
{
    const char *q = params;
    while ((q = strchr(q, ';')) && q < end) {
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
            return strtod(q + 2, NULL);
    }
    return 1.0;
}

int web_accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - tok);
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        if ((n == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
            (n == 6 && strncasecmp(tok, "x-gzip", 6) == 0) || (n == 1 && *tok == '*'))
            if (quality(p, end) > 0)
                return 1;
        p = end;
    }
    return 0;
}

static void plain(struct http_request *req, unsigned status, const char *text)
{
    http_set_header(req, "Cache-Control", "no-store");
    http_respond_static(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

void web_handle(struct http_request *req)
{
    const char *method = http_method(req);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        http_set_header(req, "Allow", "GET, HEAD");
        plain(req, 405, "method not allowed: the pages are read with GET\n");
        return;
    }
    const char *path = http_path(req);
    const struct web_asset *a = web_route(path);
    if (!a) {
        plain(req, 404, "not found: the status page is at /, the API under /api/v1/\n");
        return;
    }
    int gz = a->gz && web_accepts_gzip(http_header(req, "Accept-Encoding"));
    const char *etag = gz ? a->gz_etag : a->etag;
    int page = strncmp(a->path, ASSETS, strlen(ASSETS)) != 0;
    http_set_header(req, "ETag", etag);
    http_set_header(req, "Cache-Control",
                    page ? "no-cache" : "public, max-age=31536000, immutable");
    if (a->gz)
        http_set_header(req, "Vary", "Accept-Encoding");
    if (page) {
        http_set_header(req, "Content-Security-Policy", csp);
        http_set_header(req, "Referrer-Policy", "same-origin");
    }
    if (http_etag_matches(http_header(req, "If-None-Match"), etag)) {
        http_respond_static(req, 304, NULL, NULL, 0);
        return;
    }
    if (gz)
        http_set_header(req, "Content-Encoding", "gzip");
    http_respond_static(req, 200, web_content_type(a->path), gz ? a->gz : a->data,
                        gz ? a->gz_len : a->len);
}
