/* openapi.c - GET /api/v1/openapi.json: the API's OpenAPI 3.0.3
 * description, src/api/openapi.json, compiled into the binary by
 * cmake/embed.cmake (with an ETag from its SHA-256). It only changes with
 * the binary, so clients may cache it for five minutes and revalidate with
 * If-None-Match (304). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/alloc.h"
#include "http/server.h"

/* Generated into the build directory (CMakeLists.txt). */
extern const unsigned char api_openapi_json[];
extern const size_t api_openapi_json_len;
extern const char api_openapi_json_etag[];

void api__openapi(struct api *api, struct http_request *req, const char *rest)
{
    (void)api;
    if (*rest) {
        api__error(req, 404, "not_found", "no such resource; the API lives under /api/v1/");
        return;
    }
    http_set_header(req, "ETag", api_openapi_json_etag);
    http_set_header(req, "Cache-Control", "public, max-age=300");
    http_set_header(req, "Access-Control-Allow-Origin", "*");
    if (http_etag_matches(http_header(req, "If-None-Match"), api_openapi_json_etag)) {
        http_respond(req, 304, NULL, NULL, 0);
        return;
    }
    char *body = xmalloc(api_openapi_json_len);
    memcpy(body, api_openapi_json, api_openapi_json_len);
    http_respond(req, 200, "application/json", body, api_openapi_json_len);
}
