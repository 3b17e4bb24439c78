/* updates.c - POST /api/v1/incidents/{id}/updates: the service operator's
 * own word on an incident ("we know some people are having issues").
 *
 * Only the admin token may post (a missing, wrong or unconfigured token is
 * the same 401, so the answer says nothing about which). The body is one
 * strict JSON object (core/json.h), {"text":"...","status":"..."}: text is
 * required, 1 to UPDATE_TEXT_MAX bytes once surrounding whitespace is
 * trimmed, with no control character but the line break; status is
 * optional (absent or null) or one of the four a status page shows. Any
 * other field is an error, as for reports. The update is stored with the
 * server's wall-clock time (it is said now, whatever the detector's event
 * time) only if the incident exists, checked in the same transaction, and
 * answered 201 with what was stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "store/store.h"

#define UPDATE_TOKENS 16

static const char *const statuses[] = {"investigating", "identified", "monitoring", "resolved"};

void api__update_json(struct buf *b, const struct store_update *u)
{
    char at[32];
    time_format(u->at, at, sizeof(at));
    buf_printf(b, "{\"id\":%lld,\"incident\":", (long long)u->id);
    buf_json_cstr(b, u->incident);
    buf_printf(b, ",\"at\":\"%s\",\"text\":", at);
    buf_json_cstr(b, u->text);
    buf_puts(b, ",\"status\":");
    if (u->status)
        buf_json_cstr(b, u->status);
    else
        buf_puts(b, "null");
    buf_putc(b, '}');
}

/* Whether a content type is JSON (parameters such as charset allowed). */
static int is_json(const char *ctype)
{
    if (!ctype)
        return 0;
    size_t n = strcspn(ctype, "; \t");
    return n == strlen("application/json") && strncasecmp(ctype, "application/json", n) == 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Cut ASCII whitespace from both ends of text[0..*len); returns the start. */
static char *trim(char *text, size_t *len)
{
    while (*len && is_space(text[*len - 1]))
        (*len)--;
    while (*len && is_space(text[0]))
        text++, (*len)--;
    return text;
}

/* Whether UTF-8 text holds a control character other than '\n': C0, DEL,
 * or C1 (U+0080..U+009F, encoded C2 80..C2 9F). */
static int has_control(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f ||
            (c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] <= 0x9f))
            return 1;
    }
    return 0;
}

int api__parse_update(const char *body, size_t len, struct api_update *out, const char **code,
                      char *detail, size_t detsz)
{
    jsmntok_t tok[UPDATE_TOKENS];
    int ntok = json_parse(body, len, tok, UPDATE_TOKENS, detail, detsz);
    *code = "invalid_json";
    if (ntok == -JSON_E_UTF8)
        *code = "invalid_utf8";
    if (ntok == -JSON_E_TOO_MANY || (ntok > 0 && tok[0].type != JSMN_OBJECT)) {
        *code = "not_an_object";
        snprintf(detail, detsz, "the body must be one JSON object: {\"text\":\"...\"}");
    }
    if (ntok < 0 || tok[0].type != JSMN_OBJECT)
        return -1;
    int has_text = 0, has_status = 0;
    for (int k = 0, i = 1; k < tok[0].size; k++) {
        const jsmntok_t *key = &tok[i], *val = &tok[i + 1];
        const char *ks = body + key->start, *vs = body + val->start;
        size_t kn = (size_t)(key->end - key->start), vn = (size_t)(val->end - val->start);
        i = json_next(tok, ntok, i + 1);
        int is_text = kn == 4 && memcmp(ks, "text", 4) == 0;
        int is_status = kn == 6 && memcmp(ks, "status", 6) == 0;
        char shown[48];
        if (!is_text && !is_status) {
            *code = "unknown_field";
            snprintf(detail, detsz, "unknown field \"%s\": an update has text and status",
                     json_describe(shown, sizeof(shown), ks, kn));
            return -1;
        }
        if ((is_text && has_text) || (is_status && has_status)) {
            *code = "duplicate_field";
            snprintf(detail, detsz, "duplicate field \"%s\"", is_text ? "text" : "status");
            return -1;
        }
        has_text |= is_text;
        has_status |= is_status;
        if (is_status && val->type == JSMN_PRIMITIVE && vn == 4 && memcmp(vs, "null", 4) == 0)
            continue;
        int known = -1;
        for (size_t s = 0; is_status && s < sizeof(statuses) / sizeof(statuses[0]); s++)
            if (val->type == JSMN_STRING && strlen(statuses[s]) == vn &&
                memcmp(vs, statuses[s], vn) == 0)
                known = (int)s;
        if (is_status && known < 0) {
            *code = "invalid_status";
            snprintf(detail, detsz, "status is investigating, identified, monitoring, resolved "
                                    "or null");
            return -1;
        }
        if (is_status) {
            out->status = statuses[known];
            continue;
        }
        if (val->type != JSMN_STRING) {
            *code = "invalid_type";
            snprintf(detail, detsz, "text must be a string");
            return -1;
        }
        free(out->text);
        out->text = xmalloc(vn + 1);
        size_t n = (size_t)json_unescape(vs, vn, out->text, vn); /* never longer */
        char *t = trim(out->text, &n);
        *code = "invalid_text";
        if (n == 0 || n > UPDATE_TEXT_MAX) {
            snprintf(detail, detsz, "text must hold 1 to %d bytes besides surrounding spaces",
                     UPDATE_TEXT_MAX);
            return -1;
        }
        if (has_control(t, n)) {
            snprintf(detail, detsz, "text may hold no control character but a line break");
            return -1;
        }
        memmove(out->text, t, n);
        out->text[n] = '\0';
    }
    if (!has_text) {
        *code = "missing_field";
        snprintf(detail, detsz, "missing field \"text\"");
        return -1;
    }
    return 0;
}

void api__post_update(struct api *api, struct http_request *req, const char *id)
{
    if (!api__admin(api, req)) {
        api__error(req, 401, "unauthorized", "official updates need the admin token");
        return;
    }
    if (!is_json(http_header(req, "Content-Type"))) {
        api__error(req, 415, "unsupported_media_type", "send the update as application/json");
        return;
    }
    size_t len;
    const char *body = http_body(req, &len);
    struct api_update parsed = {NULL, NULL};
    const char *code;
    char detail[200];
    if (api__parse_update(body, len, &parsed, &code, detail, sizeof(detail)) < 0) {
        free(parsed.text);
        api__error(req, 400, code, detail);
        return;
    }
    struct store_update u = {.incident = id, .at = time_now(), .text = parsed.text,
                             .status = parsed.status};
    int rc = store_add_update(api->store, &u);
    if (rc == 1) {
        struct buf b;
        buf_init(&b);
        buf_puts(&b, "{\"version\":1,\"update\":");
        api__update_json(&b, &u);
        buf_putc(&b, '}');
        api__json(req, 201, &b);
    } else if (rc == 0) {
        char shown[80];
        snprintf(detail, sizeof(detail), "no incident \"%s\"",
                 api__printable(id, strlen(id), shown, sizeof(shown)));
        api__error(req, 404, "unknown_incident", detail);
    } else {
        api__error(req, 503, "storage_unavailable", "the update could not be stored; retry");
    }
    free(parsed.text);
}
