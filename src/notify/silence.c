/* silence.c - silences and maintenance windows: the body, the windows,
 * the states (see silence.h).
 *
 * A repeating window is the first one shifted by whole periods, so the
 * window around a time t is found by division, not by walking: k =
 * floor((t - starts) / every), then window k or k + 1, unless it starts
 * after `until`. */
#include "notify/silence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/timeutil.h"

#define DAY 86400
#define BODY_TOKENS 32

enum field {
    F_KIND,
    F_SERVICE,
    F_OWNER,
    F_GROUP,
    F_STARTS_AT,
    F_ENDS_AT,
    F_DURATION,
    F_EVERY,
    F_UNTIL,
    F_CREATOR,
    F_REASON,
    F_COUNT
};

static const char *const names[F_COUNT] = {"kind",     "service", "owner",   "group",
                                           "starts_at", "ends_at", "duration", "every",
                                           "until",    "creator", "reason"};

/* Valid UTF-8, 1..max bytes, no control character. */
static int good_text(const char *v, size_t n, size_t max)
{
    if (n == 0 || n > max || json_utf8_invalid_at(v, n) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return 0;
    return 1;
}

static int owner_known(const struct catalog *cat, const char *owner)
{
    for (size_t i = 0; i < catalog_count(cat); i++)
        if (strcmp(catalog_at(cat, i)->owner, owner) == 0)
            return 1;
    return 0;
}

/* Check one string field's value v (n bytes, NUL-terminated) into out;
 * 0, or -1 with a code and a sentence. */
static int set_field(struct silence *out, int f, const char *v, size_t n,
                     const struct catalog *cat, int64_t *duration, const char **code,
                     char *detail, size_t detsz)
{
    int64_t t;
    int seconds;
    switch (f) {
    case F_KIND:
        if (strcmp(v, "silence") == 0 || strcmp(v, "maintenance") == 0) {
            out->kind = v[0] == 's' ? SILENCE_MUTE : SILENCE_MAINTENANCE;
            return 0;
        }
        *code = "invalid_kind";
        snprintf(detail, detsz, "kind is silence or maintenance");
        return -1;
    case F_SERVICE:
        if (n <= REP_SERVICE_MAX && n == strlen(v) && (!cat || catalog_find(cat, v, n) >= 0) &&
            n > 0) {
            memcpy(out->service, v, n + 1);
            return 0;
        }
        *code = "unknown_service";
        snprintf(detail, detsz, "service is an id of the catalog");
        return -1;
    case F_OWNER:
        if (good_text(v, n, CAT_NAME_MAX) && (!cat || owner_known(cat, v))) {
            memcpy(out->owner, v, n + 1);
            return 0;
        }
        *code = "unknown_owner";
        snprintf(detail, detsz, "owner is the owner of a service in the catalog");
        return -1;
    case F_GROUP:
        if (good_text(v, n, SILENCE_GROUP_MAX) && !strpbrk(v, " ,")) {
            memcpy(out->group, v, n + 1);
            return 0;
        }
        *code = "invalid_group";
        snprintf(detail, detsz, "group is a group's id (the id of its first incident)");
        return -1;
    case F_STARTS_AT:
    case F_ENDS_AT:
    case F_UNTIL:
        if (n == strlen(v) && query_time(v, &t) == 0) {
            *(f == F_STARTS_AT ? &out->starts : f == F_ENDS_AT ? &out->ends : &out->until) = t;
            return 0;
        }
        *code = "invalid_time";
        snprintf(detail, detsz, "%s is an ISO 8601 time or Unix seconds", names[f]);
        return -1;
    case F_DURATION:
        if (n == strlen(v) && query_step(v, &seconds) == 0) {
            *duration = seconds;
            return 0;
        }
        *code = "invalid_duration";
        snprintf(detail, detsz, "duration is seconds, or a number with s, m, h or d (\"2h\")");
        return -1;
    case F_EVERY:
        if (strcmp(v, "daily") == 0 || strcmp(v, "weekly") == 0) {
            out->every = v[0] == 'd' ? DAY : 7 * DAY;
            return 0;
        }
        *code = "invalid_every";
        snprintf(detail, detsz, "every is daily or weekly");
        return -1;
    case F_CREATOR:
    case F_REASON:
        if (good_text(v, n, f == F_CREATOR ? SILENCE_CREATOR_MAX : SILENCE_REASON_MAX)) {
            memcpy(f == F_CREATOR ? out->creator : out->reason, v, n + 1);
            return 0;
        }
        *code = f == F_CREATOR ? "invalid_creator" : "invalid_reason";
        snprintf(detail, detsz, "%s is 1 to %d bytes of text without control characters",
                 names[f], f == F_CREATOR ? SILENCE_CREATOR_MAX : SILENCE_REASON_MAX);
        return -1;
    }
    return -1;
}

/* The rules between fields, once each is good on its own. */
static int check_window(struct silence *s, const int *values, int64_t duration, int64_t max_len,
                        const char **code, char *detail, size_t detsz)
{
    *code = "missing_field";
    if (!s->service[0] && !s->owner[0] && !s->group[0]) {
        snprintf(detail, detsz, "a silence needs a scope: service, owner or group");
        return -1;
    }
    if (values[F_CREATOR] < 0 || values[F_REASON] < 0) {
        snprintf(detail, detsz, "missing field \"%s\"",
                 values[F_CREATOR] < 0 ? "creator" : "reason");
        return -1;
    }
    if ((values[F_ENDS_AT] < 0) == (values[F_DURATION] < 0)) {
        *code = values[F_ENDS_AT] < 0 ? "missing_field" : "invalid_window";
        snprintf(detail, detsz, "give either ends_at or duration: every silence ends");
        return -1;
    }
    if (values[F_DURATION] >= 0)
        s->ends = s->starts + duration;
    *code = "invalid_window";
    if (s->ends <= s->starts || (max_len > 0 && s->ends - s->starts > max_len)) {
        snprintf(detail, detsz, "the window must end after it starts and last at most %lld s",
                 (long long)max_len);
        return -1;
    }
    if ((values[F_EVERY] >= 0) != (values[F_UNTIL] >= 0) ||
        (s->every && s->kind != SILENCE_MAINTENANCE)) {
        snprintf(detail, detsz, "only maintenance repeats, and it needs both every and until");
        return -1;
    }
    if (s->every && (s->ends - s->starts >= s->every || s->until < s->starts ||
                     s->until - s->starts > SILENCE_REPEAT_MAX)) {
        snprintf(detail, detsz, "a repeating window is shorter than its period, and until is "
                                "from its start to 366 days after");
        return -1;
    }
    if (!s->every)
        s->until = s->starts;
    return 0;
}

int silence_parse(const char *body, size_t len, int64_t now, int64_t max_len,
                  const struct catalog *cat, struct silence *out, const char **code,
                  char *detail, size_t detsz)
{
    jsmntok_t tok[BODY_TOKENS];
    int values[F_COUNT];
    memset(out, 0, sizeof(*out));
    out->starts = now;
    out->cancelled = out->expired = -1;
    int64_t duration = 0;
    if (json_read_object(body, len, tok, BODY_TOKENS, names, F_COUNT, values, code, detail,
                         detsz) < 0)
        return -1;
    for (int f = 0; f < F_COUNT; f++) {
        if (values[f] < 0)
            continue;
        if (tok[values[f]].type != JSMN_STRING) {
            *code = "invalid_type";
            snprintf(detail, detsz, "%s must be a string", names[f]);
            return -1;
        }
        size_t n;
        char *v = json_string_dup(body, &tok[values[f]], &n);
        int rc = set_field(out, f, v, n, cat, &duration, code, detail, detsz);
        free(v);
        if (rc < 0)
            return -1;
    }
    return check_window(out, values, duration, max_len, code, detail, detsz);
}

/* ---- JSON out ------------------------------------------------------------------ */

static void time_field(struct buf *out, const char *key, int64_t t)
{
    char when[32];
    buf_printf(out, ",\"%s\":", key);
    if (t < 0) {
        buf_puts(out, "null");
        return;
    }
    time_format(t, when, sizeof(when));
    buf_printf(out, "\"%s\"", when);
}

/* A scope field: the value, or null when it is "" (JSON out) or absent
 * (spec: left out). */
static void scope_field(struct buf *out, const char *key, const char *v, int spec)
{
    if (spec && !*v)
        return;
    buf_printf(out, ",\"%s\":", key);
    buf_json_cstr_or_null(out, *v ? v : NULL);
}

static const char *every_name(const struct silence *s)
{
    return s->every == DAY ? "daily" : s->every ? "weekly" : NULL;
}

void silence_spec_json(const struct silence *s, struct buf *out)
{
    buf_printf(out, "{\"kind\":\"%s\"", s->kind == SILENCE_MUTE ? "silence" : "maintenance");
    scope_field(out, "service", s->service, 1);
    scope_field(out, "owner", s->owner, 1);
    scope_field(out, "group", s->group, 1);
    time_field(out, "starts_at", s->starts);
    time_field(out, "ends_at", s->ends);
    if (s->every) {
        buf_printf(out, ",\"every\":\"%s\"", every_name(s));
        time_field(out, "until", s->until);
    }
    buf_puts(out, ",\"creator\":");
    buf_json_cstr(out, s->creator);
    buf_puts(out, ",\"reason\":");
    buf_json_cstr(out, s->reason);
    buf_putc(out, '}');
}

void silence_json(const struct silence *s, int64_t now, int public_view, struct buf *out)
{
    buf_printf(out, "{\"id\":%lld,\"kind\":\"%s\"", (long long)s->id,
               s->kind == SILENCE_MUTE ? "silence" : "maintenance");
    scope_field(out, "service", s->service, 0);
    scope_field(out, "owner", s->owner, 0);
    scope_field(out, "group", s->group, 0);
    time_field(out, "starts_at", s->starts);
    time_field(out, "ends_at", s->ends);
    buf_puts(out, ",\"every\":");
    buf_json_cstr_or_null(out, every_name(s));
    time_field(out, "until", s->every ? s->until : -1);
    time_field(out, "expires_at", silence_expires(s));
    buf_printf(out, ",\"state\":\"%s\",\"next_window\":", silence_state(s, now));
    int64_t start, end;
    if (s->cancelled < 0 && silence_window(s, now, &start, &end)) {
        char from[32], to[32];
        time_format(start, from, sizeof(from));
        time_format(end, to, sizeof(to));
        buf_printf(out, "{\"starts_at\":\"%s\",\"ends_at\":\"%s\"}", from, to);
    } else {
        buf_puts(out, "null");
    }
    buf_puts(out, ",\"reason\":");
    buf_json_cstr(out, s->reason);
    if (!public_view) {
        buf_puts(out, ",\"creator\":");
        buf_json_cstr(out, s->creator);
        time_field(out, "created", s->created);
        time_field(out, "cancelled", s->cancelled);
    }
    buf_putc(out, '}');
}

/* ---- windows ------------------------------------------------------------------- */

int silence_window(const struct silence *s, int64_t t, int64_t *start, int64_t *end)
{
    int64_t len = s->ends - s->starts, k = 0;
    if (s->every && t > s->starts)
        k = (t - s->starts) / s->every;
    for (int step = 0; step < 2; step++, k++) {
        int64_t from = s->starts + k * s->every;
        if (from > s->until)
            return 0;
        if (t < from + len) {
            *start = from;
            *end = from + len;
            return 1;
        }
        if (!s->every)
            return 0;
    }
    return 0;
}

int64_t silence_expires(const struct silence *s)
{
    int64_t last = s->ends;
    if (s->every)
        last += (s->until - s->starts) / s->every * s->every;
    return s->cancelled >= 0 && s->cancelled < last ? s->cancelled : last;
}

const char *silence_state(const struct silence *s, int64_t now)
{
    int64_t start, end;
    if (s->cancelled >= 0)
        return "cancelled";
    if (now >= silence_expires(s))
        return "expired";
    return silence_window(s, now, &start, &end) && start <= now ? "active" : "scheduled";
}

int silence_covers(const struct silence *s, const char *service, const char *owner,
                   const char *group, int64_t t)
{
    int64_t start, end;
    if (s->cancelled >= 0 || (s->service[0] && strcmp(s->service, service) != 0) ||
        (s->owner[0] && strcmp(s->owner, owner) != 0) ||
        (s->group[0] && (!group || strcmp(s->group, group) != 0)))
        return 0;
    return silence_window(s, t, &start, &end) && start <= t;
}
