/* sub.c - subscriptions: checks, the JSON body and the file line, the
 * stored and shown JSON, matching (see sub.h).
 *
 * One table names the fields and says which are lists; one function,
 * set_value, checks and stores a value (a scalar, or one item of a list),
 * whichever reader found it, so the API, the file and the database accept
 * exactly the same subscriptions. URLs are parsed by libcurl's URL API, the
 * parser that will later send to them. */
#include "notify/sub.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "report/country.h"

#define GROUP_MAX 128
#define BODY_TOKENS (16 + 4 * 2 * SUB_LIST_MAX + EVENT_COUNT)

enum field {
    F_URL,
    F_SECRET,
    F_FORMAT,
    F_DESCRIPTION,
    F_MIN_SEVERITY,
    F_SERVICES,
    F_OWNERS,
    F_GROUPS,
    F_COUNTRIES,
    F_EVENTS,
    F_COUNT
};

static const struct {
    const char *name;
    int list;
    const char *code; /* the API's error code for a bad value */
} fields[F_COUNT] = {
    {"url", 0, "invalid_url"},
    {"secret", 0, "invalid_secret"},
    {"format", 0, "invalid_format"},
    {"description", 0, "invalid_description"},
    {"min_severity", 0, "invalid_min_severity"},
    {"services", 1, "invalid_services"},
    {"owners", 1, "invalid_owners"},
    {"groups", 1, "invalid_groups"},
    {"countries", 1, "invalid_countries"},
    {"events", 1, "invalid_events"},
};

static int field_find(const char *key, size_t len)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strlen(fields[f].name) == len && memcmp(fields[f].name, key, len) == 0)
            return f;
    return -1;
}

static void list_clear(struct sub_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static void list_copy(struct sub_list *out, const struct sub_list *l)
{
    out->n = l->n;
    out->items = l->n ? xcalloc(l->n, sizeof(*out->items)) : NULL;
    for (size_t i = 0; i < l->n; i++)
        out->items[i] = xstrdup(l->items[i]);
}

static int list_has(const struct sub_list *l, const char *v, size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->items[i]) == n && memcmp(l->items[i], v, n) == 0)
            return 1;
    return 0;
}

void sub_clear(struct sub *s)
{
    free(s->url);
    free(s->secret);
    free(s->description);
    list_clear(&s->services);
    list_clear(&s->owners);
    list_clear(&s->groups);
    list_clear(&s->countries);
    memset(s, 0, sizeof(*s));
}

void sub_copy(struct sub *out, const struct sub *s)
{
    *out = *s;
    out->url = s->url ? xstrdup(s->url) : NULL;
    out->secret = s->secret ? xstrdup(s->secret) : NULL;
    out->description = s->description ? xstrdup(s->description) : NULL;
    list_copy(&out->services, &s->services);
    list_copy(&out->owners, &s->owners);
    list_copy(&out->groups, &s->groups);
    list_copy(&out->countries, &s->countries);
}

static struct sub_list *list_of(struct sub *s, int f)
{
    switch (f) {
    case F_SERVICES: return &s->services;
    case F_OWNERS: return &s->owners;
    case F_GROUPS: return &s->groups;
    case F_COUNTRIES: return &s->countries;
    default: return NULL;
    }
}

/* ---- checks ---------------------------------------------------------------- */

/* s[0..n) for an error sentence, whatever its bytes (a file line need not
 * be UTF-8): printable ASCII as is, anything else '?', cut to fit out. */
static const char *describe(const char *s, size_t n, char *out, size_t outsz)
{
    size_t k = n < outsz - 1 ? n : outsz - 1;
    for (size_t i = 0; i < k; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\' ? s[i] : '?';
    out[k] = '\0';
    return out;
}

/* Bytes 0x21..0x7e only: no space, no control character, ASCII. */
static int visible_ascii(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
            return 0;
    return 1;
}

/* Valid UTF-8 without control characters (C0, DEL). */
static int clean_text(const char *v, size_t n)
{
    if (json_utf8_invalid_at(v, n) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return 0;
    return 1;
}

/* An http or https URL with a host, as libcurl reads it. */
static int good_url(const char *url)
{
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
             (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0) && *host;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(h);
    return ok;
}

static int service_id_shape(const char *v, size_t n)
{
    if (n == 0 || n > REP_SERVICE_MAX || !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= '0' && v[0] <= '9')))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '.' ||
              v[i] == '_' || v[i] == '-'))
            return 0;
    return 1;
}

static int known_owner(const struct catalog *cat, const char *v, size_t n)
{
    for (size_t i = 0; i < catalog_count(cat); i++) {
        const char *owner = catalog_at(cat, i)->owner;
        if (strlen(owner) == n && memcmp(owner, v, n) == 0)
            return 1;
    }
    return 0;
}

/* Whether one item of list field f is acceptable; detail says why not. */
static int good_item(int f, const char *v, size_t n, const struct catalog *cat, char *detail,
                     size_t detsz)
{
    char shown[80];
    describe(v, n, shown, sizeof(shown));
    switch (f) {
    case F_SERVICES:
        if (cat ? catalog_find(cat, v, n) >= 0 : service_id_shape(v, n))
            return 1;
        snprintf(detail, detsz, "no service \"%s\" in the catalog", shown);
        return 0;
    case F_OWNERS:
        if (n > 0 && n <= 64 && clean_text(v, n) && (!cat || known_owner(cat, v, n)))
            return 1;
        snprintf(detail, detsz, "no service in the catalog is owned by \"%s\"", shown);
        return 0;
    case F_GROUPS:
        if (n > 0 && n <= GROUP_MAX && visible_ascii(v, n) && !memchr(v, ',', n))
            return 1;
        snprintf(detail, detsz, "\"%s\" is not a group id (an incident id)", shown);
        return 0;
    case F_COUNTRIES:
        if (n == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' &&
            country_index(v) >= 0)
            return 1;
        snprintf(detail, detsz, "\"%s\" is not an ISO 3166-1 alpha-2 code", shown);
        return 0;
    case F_EVENTS:
        if (payload_event_parse(v, n) >= 0)
            return 1;
        snprintf(detail, detsz, "\"%s\" is not an event (opened, updated, resolved, "
                                "official_update)", shown);
        return 0;
    }
    return 0;
}

/* Check and store a value of field f: a scalar, or one item of a list.
 * Returns 0, or -1 with a sentence in detail. */
static int set_value(struct sub *s, int f, const char *v, size_t n, const struct catalog *cat,
                     char *detail, size_t detsz)
{
    int level;
    switch (f) {
    case F_URL:
        s->url = xstrndup(v, n);
        if (n <= SUB_URL_MAX && visible_ascii(v, n) && good_url(s->url))
            return 0;
        snprintf(detail, detsz, "url must be an http:// or https:// URL with a host, at most %d "
                                "bytes, without spaces", SUB_URL_MAX);
        return -1;
    case F_SECRET:
        if (n >= SUB_SECRET_MIN && n <= SUB_SECRET_MAX && visible_ascii(v, n)) {
            s->secret = xstrndup(v, n);
            return 0;
        }
        snprintf(detail, detsz, "secret must be %d to %d printable ASCII bytes without spaces",
                 SUB_SECRET_MIN, SUB_SECRET_MAX);
        return -1;
    case F_FORMAT:
        if ((n == 4 && memcmp(v, "json", 4) == 0) || (n == 5 && memcmp(v, "slack", 5) == 0)) {
            s->format = n == 4 ? SUB_FORMAT_JSON : SUB_FORMAT_SLACK;
            return 0;
        }
        snprintf(detail, detsz, "format is json or slack");
        return -1;
    case F_DESCRIPTION:
        if (n <= SUB_DESCRIPTION_MAX && clean_text(v, n)) {
            s->description = xstrndup(v, n);
            return 0;
        }
        snprintf(detail, detsz, "description is at most %d bytes of text without control "
                                "characters", SUB_DESCRIPTION_MAX);
        return -1;
    case F_MIN_SEVERITY:
        if ((level = payload_severity_parse(v, n)) >= 0) {
            s->min_severity = (enum payload_severity)level;
            return 0;
        }
        snprintf(detail, detsz, "min_severity is minor, major or critical");
        return -1;
    }
    if (!good_item(f, v, n, cat, detail, detsz))
        return -1;
    if (f == F_EVENTS) {
        unsigned bit = 1u << payload_event_parse(v, n);
        if (!(s->events & bit)) {
            s->events |= bit;
            return 0;
        }
    } else {
        struct sub_list *l = list_of(s, f);
        if (l->n == SUB_LIST_MAX) {
            snprintf(detail, detsz, "%s lists at most %d items", fields[f].name, SUB_LIST_MAX);
            return -1;
        }
        if (!list_has(l, v, n)) {
            l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
            l->items[l->n++] = xstrndup(v, n);
            return 0;
        }
    }
    char shown[80];
    snprintf(detail, detsz, "%s lists \"%s\" twice", fields[f].name,
             describe(v, n, shown, sizeof(shown)));
    return -1;
}

/* What every reader checks last: a URL was given, events default to all. */
static int finish(struct sub *s, unsigned seen, const char **code, char *detail, size_t detsz)
{
    if (!(seen & (1u << F_URL))) {
        *code = "missing_field";
        snprintf(detail, detsz, "missing field \"url\"");
        return -1;
    }
    if (!(seen & (1u << F_EVENTS)))
        s->events = (1u << EVENT_COUNT) - 1;
    if (!s->events) {
        *code = "invalid_events";
        snprintf(detail, detsz, "events lists at least one event");
        return -1;
    }
    if (!s->description)
        s->description = xstrdup("");
    return 0;
}

/* ---- the JSON body ----------------------------------------------------------- */

int sub_parse_json(const char *body, size_t len, const struct catalog *cat, struct sub *out,
                   const char **code, char *detail, size_t detsz)
{
    const char *names[F_COUNT];
    int values[F_COUNT], rc = -1;
    unsigned seen = 0;
    for (int f = 0; f < F_COUNT; f++)
        names[f] = fields[f].name;
    jsmntok_t *tok = xcalloc(BODY_TOKENS, sizeof(*tok));
    int ntok = json_read_object(body, len, tok, BODY_TOKENS, names, F_COUNT, values, code,
                                detail, detsz);
    for (int f = 0; ntok > 0 && f < F_COUNT; f++) {
        int i = values[f];
        if (i < 0)
            continue;
        seen |= 1u << f;
        *code = fields[f].code;
        int is_list = tok[i].type == JSMN_ARRAY, next = json_next(tok, ntok, i);
        for (int item = i + is_list; item < next || is_list != fields[f].list; item++) {
            if (is_list != fields[f].list || tok[item].type != JSMN_STRING) {
                snprintf(detail, detsz, "%s must be %s", fields[f].name,
                         fields[f].list ? "an array of strings" : "a string");
                goto out;
            }
            size_t n;
            char *v = json_string_dup(body, &tok[item], &n);
            int bad = set_value(out, f, v, n, cat, detail, detsz);
            free(v);
            if (bad)
                goto out;
        }
    }
    if (ntok > 0)
        rc = finish(out, seen, code, detail, detsz);
out:
    free(tok);
    return rc;
}

/* ---- the webhooks file ---------------------------------------------------------- */

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode v[0..n) into out (n + 1 bytes); the length, or -1 for a
 * '%' without two hex digits. */
static long percent_decode(const char *v, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] != '%') {
            out[o++] = v[i];
            continue;
        }
        int hi = i + 2 < n ? hex_digit(v[i + 1]) : -1;
        int lo = i + 2 < n ? hex_digit(v[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            return -1;
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return (long)o;
}

static int good_name(const char *v, size_t n)
{
    size_t prefix = strlen(SUB_API_PREFIX);
    if (n == 0 || n > SUB_ID_MAX || (n >= prefix && memcmp(v, SUB_API_PREFIX, prefix) == 0))
        return 0;
    if (!((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= '0' && v[0] <= '9')))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_' ||
              v[i] == '-'))
            return 0;
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One key=value token; its list items, or its scalar, decoded and set. */
static int set_token(struct sub *s, const char *t, size_t n, unsigned *seen,
                     const struct catalog *cat, char *detail, size_t detsz)
{
    const char *eq = memchr(t, '=', n);
    char shown[64];
    int f = eq ? field_find(t, (size_t)(eq - t)) : -1;
    if (f < 0) {
        snprintf(detail, detsz, eq ? "unknown key \"%s\"" : "expected key=value, not \"%s\"",
                 describe(t, eq ? (size_t)(eq - t) : n, shown, sizeof(shown)));
        return -1;
    }
    if (*seen & (1u << f)) {
        snprintf(detail, detsz, "%s given twice", fields[f].name);
        return -1;
    }
    *seen |= 1u << f;
    const char *v = eq + 1, *end = t + n;
    char *decoded = xmalloc((size_t)(end - v) + 1);
    int rc = 0;
    for (;;) {
        const char *comma = fields[f].list ? memchr(v, ',', (size_t)(end - v)) : NULL;
        size_t item = comma ? (size_t)(comma - v) : (size_t)(end - v);
        long dn = percent_decode(v, item, decoded);
        if (dn < 0) {
            snprintf(detail, detsz, "%s: a %% must be followed by two hex digits", fields[f].name);
            rc = -1;
        } else if (fields[f].list && dn == 0) {
            snprintf(detail, detsz, "%s has an empty item", fields[f].name);
            rc = -1;
        } else {
            rc = set_value(s, f, decoded, (size_t)dn, cat, detail, detsz);
        }
        if (rc < 0 || !comma)
            break;
        v = comma + 1;
    }
    free(decoded);
    return rc;
}

int sub_parse_line(const char *line, size_t len, const struct catalog *cat, struct sub *out,
                   char *detail, size_t detsz)
{
    size_t i = 0;
    while (i < len && is_blank(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return 1;
    size_t name = i;
    while (i < len && !is_blank(line[i]))
        i++;
    if (!good_name(line + name, i - name)) {
        char shown[80];
        snprintf(detail, detsz, "\"%s\" is not a subscription name ([a-z0-9][a-z0-9_-]*, at most "
                                "%d bytes, not starting with " SUB_API_PREFIX ")",
                 describe(line + name, i - name, shown, sizeof(shown)), SUB_ID_MAX);
        return -1;
    }
    memcpy(out->id, line + name, i - name);
    out->id[i - name] = '\0';
    out->from_file = 1;
    unsigned seen = 0;
    for (;;) {
        while (i < len && is_blank(line[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !is_blank(line[i]))
            i++;
        if (set_token(out, line + start, i - start, &seen, cat, detail, detsz) < 0)
            return -1;
    }
    const char *code;
    if (finish(out, seen, &code, detail, detsz) < 0)
        return -1;
    if (!out->secret) {
        snprintf(detail, detsz, "missing secret=");
        return -1;
    }
    return 0;
}

void sub_free_all(struct sub *subs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sub_clear(&subs[i]);
    free(subs);
}

long sub_parse_file(const char *text, size_t len, const struct catalog *cat, struct sub **out,
                    char *err, size_t errsz)
{
    struct sub *subs = NULL;
    size_t n = 0, lineno = 0;
    char detail[256];
    if (len > SUB_FILE_MAX) {
        snprintf(err, errsz, "the file is larger than %d bytes", SUB_FILE_MAX);
        return -1;
    }
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, linelen = end - pos;
        lineno++;
        if (linelen && text[pos + linelen - 1] == '\r')
            linelen--;
        struct sub s = {0};
        int rc = memchr(text + pos, '\0', linelen) ? -1 : 0;
        if (rc < 0)
            snprintf(detail, sizeof(detail), "a NUL byte");
        else
            rc = sub_parse_line(text + pos, linelen, cat, &s, detail, sizeof(detail));
        for (size_t k = 0; rc == 0 && k < n; k++)
            if (strcmp(subs[k].id, s.id) == 0) {
                snprintf(detail, sizeof(detail), "the name %s is used twice", s.id);
                rc = -1;
            }
        if (rc == 0 && n == SUB_FILE_LINES_MAX) {
            snprintf(detail, sizeof(detail), "more than %d subscriptions", SUB_FILE_LINES_MAX);
            rc = -1;
        }
        if (rc < 0) {
            snprintf(err, errsz, "line %zu: %s", lineno, detail);
            sub_clear(&s);
            sub_free_all(subs, n);
            return -1;
        }
        if (rc == 0) {
            subs = xrealloc(subs, (n + 1) * sizeof(*subs));
            subs[n++] = s;
        }
        pos = end + 1;
    }
    *out = subs;
    return (long)n;
}

/* ---- JSON out ------------------------------------------------------------------ */

static void list_json(struct buf *out, const char *name, const struct sub_list *l)
{
    buf_printf(out, ",\"%s\":[", name);
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            buf_putc(out, ',');
        buf_json_cstr(out, l->items[i]);
    }
    buf_putc(out, ']');
}

/* The fields every rendering has, after an opening '{' and before '}'. */
static void fields_json(const struct sub *s, struct buf *out)
{
    buf_puts(out, "\"url\":");
    buf_json_cstr(out, s->url);
    buf_printf(out, ",\"format\":\"%s\",\"min_severity\":\"%s\"",
               s->format == SUB_FORMAT_SLACK ? "slack" : "json",
               payload_severity_name(s->min_severity));
    list_json(out, "services", &s->services);
    list_json(out, "owners", &s->owners);
    list_json(out, "groups", &s->groups);
    list_json(out, "countries", &s->countries);
    buf_puts(out, ",\"events\":[");
    for (int e = 0, n = 0; e < EVENT_COUNT; e++)
        if (s->events & (1u << e))
            buf_printf(out, "%s\"%s\"", n++ ? "," : "", payload_event_name(e));
    buf_puts(out, "],\"description\":");
    buf_json_cstr(out, s->description ? s->description : "");
}

void sub_spec_json(const struct sub *s, struct buf *out)
{
    buf_putc(out, '{');
    fields_json(s, out);
    buf_puts(out, ",\"secret\":");
    buf_json_cstr(out, s->secret);
    buf_putc(out, '}');
}

void sub_json(const struct sub *s, int with_secret, struct buf *out)
{
    buf_puts(out, "{\"id\":");
    buf_json_cstr(out, s->id);
    buf_printf(out, ",\"source\":\"%s\",\"created\":", s->from_file ? "file" : "api");
    if (s->from_file) {
        buf_puts(out, "null");
    } else {
        char when[32];
        time_format(s->created, when, sizeof(when));
        buf_printf(out, "\"%s\"", when);
    }
    buf_putc(out, ',');
    fields_json(s, out);
    if (with_secret) {
        buf_puts(out, ",\"secret\":");
        buf_json_cstr(out, s->secret);
    } else {
        buf_puts(out, ",\"secret_set\":true");
    }
    buf_putc(out, '}');
}

/* ---- matching ------------------------------------------------------------------ */

static int list_passes(const struct sub_list *l, const char *v)
{
    return l->n == 0 || (v && list_has(l, v, strlen(v)));
}

int sub_matches(const struct sub *s, const char *service, const char *owner, const char *group,
                const char *countries, enum payload_severity severity)
{
    if (severity < s->min_severity || !list_passes(&s->services, service) ||
        !list_passes(&s->owners, owner) || !list_passes(&s->groups, group))
        return 0;
    if (s->countries.n == 0)
        return 1;
    for (const char *p = countries; p && *p;) {
        size_t n = strcspn(p, ",");
        if (list_has(&s->countries, p, n))
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

int sub_wants(const struct sub *s, enum payload_event event)
{
    return (s->events >> event) & 1u;
}
