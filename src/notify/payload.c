/* payload.c - severity and the two renderings of a notice (see payload.h).
 *
 * The JSON rendering embeds the incident object as the API shows it, so a
 * receiver can use the API's schema for it (openapi.json, Webhook). The chat
 * rendering is built for people: one line of text (what Mattermost and
 * notifications show), then Slack blocks with the same facts laid out; the
 * text of Slack's mrkdwn escapes &, < and > as entities, so a service name
 * or an official update cannot inject links or mentions. */
#include "notify/payload.h"

#include <string.h>

#include "core/timeutil.h"

static const char *const severity_names[SEVERITY_COUNT] = {"minor", "major", "critical"};
static const char *const event_names[EVENT_COUNT] = {"opened", "updated", "resolved",
                                                      "official_update"};

enum payload_severity payload_severity(int ncountries, double observed, double expected)
{
    double ratio = observed / (expected > 1 ? expected : 1);
    if (ncountries >= 5 || ratio >= 50)
        return SEVERITY_CRITICAL;
    if (ncountries >= 2 || ratio >= 10)
        return SEVERITY_MAJOR;
    return SEVERITY_MINOR;
}

const char *payload_severity_name(int severity)
{
    return severity >= 0 && severity < SEVERITY_COUNT ? severity_names[severity] : "?";
}

const char *payload_event_name(int event)
{
    return event >= 0 && event < EVENT_COUNT ? event_names[event] : "?";
}

static int find_name(const char *const *names, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    return -1;
}

int payload_severity_parse(const char *s, size_t len)
{
    return find_name(severity_names, SEVERITY_COUNT, s, len);
}

int payload_event_parse(const char *s, size_t len)
{
    return find_name(event_names, EVENT_COUNT, s, len);
}

/* ---- JSON ------------------------------------------------------------------ */

/* A countries list ("BR,GB") as a JSON array of strings. */
static void countries_array(struct buf *out, const char *list)
{
    buf_putc(out, '[');
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        if (p != list)
            buf_putc(out, ',');
        buf_json_str(out, p, n);
        p += n + (p[n] == ',');
    }
    buf_putc(out, ']');
}

static void json_time_key(struct buf *out, const char *key, int64_t t)
{
    char when[32];
    time_format(t, when, sizeof(when));
    buf_json_key(out, key);
    buf_json_cstr(out, when);
}

void payload_json(const struct payload_notice *n, struct buf *out)
{
    char sent[40];
    time_format_ms(n->sent, sent, sizeof(sent));
    buf_printf(out, "{\"version\":%d,\"event\":\"%s\",\"sent_at\":\"%s\",\"severity\":\"%s\","
                    "\"service\":{\"id\":",
               PAYLOAD_VERSION, payload_event_name(n->event), sent,
               payload_severity_name(n->severity));
    buf_json_cstr(out, n->service);
    buf_puts(out, ",\"name\":");
    buf_json_cstr(out, n->service_name);
    buf_puts(out, ",\"owner\":");
    buf_json_cstr(out, n->owner);
    buf_puts(out, "},\"incident\":");
    buf_puts(out, n->incident_json);
    if (n->event == EVENT_UPDATED) {
        buf_puts(out, ",\"changes\":{\"countries_added\":");
        countries_array(out, n->countries_added);
        buf_puts(out, ",\"countries_removed\":");
        countries_array(out, n->countries_removed);
        buf_puts(out, ",\"severity_before\":");
        if (n->severity_before >= 0)
            buf_printf(out, "\"%s\"", payload_severity_name(n->severity_before));
        else
            buf_puts(out, "null");
        buf_putc(out, '}');
    }
    if (n->event == EVENT_OFFICIAL_UPDATE) {
        buf_puts(out, ",\"update\":{");
        json_time_key(out, "at", n->update_at);
        buf_puts(out, ",\"text\":");
        buf_json_cstr(out, n->update_text);
        buf_puts(out, ",\"status\":");
        buf_json_cstr_or_null(out, n->update_status);
        buf_putc(out, '}');
    }
    buf_putc(out, '}');
}

/* ---- chat -------------------------------------------------------------------- */

/* Append s to out with Slack's three mrkdwn entities. */
static void escaped(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            buf_puts(out, "&amp;");
        else if (*s == '<')
            buf_puts(out, "&lt;");
        else if (*s == '>')
            buf_puts(out, "&gt;");
        else
            buf_putc(out, *s);
    }
}

/* "2024-04-03 16:30 UTC" */
static void human_time(struct buf *out, int64_t t)
{
    char iso[32];
    time_format(t, iso, sizeof(iso));
    buf_printf(out, "%.10s %.5s UTC", iso, iso + 11);
}

/* "BR, GB, IN" from "BR,GB,IN"; "-" when empty. */
static void country_words(struct buf *out, const char *list)
{
    if (!list || !*list) {
        buf_putc(out, '-');
        return;
    }
    for (const char *p = list; *p; p++) {
        buf_putc(out, *p);
        if (*p == ',')
            buf_putc(out, ' ');
    }
}

/* The one line: what happened, to what, how bad, where. */
static void headline(const struct payload_notice *n, struct buf *line)
{
    static const char *const verbs[EVENT_COUNT] = {"outage", "outage update", "resolved",
                                                   "official update"};
    escaped(line, n->service_name);
    buf_printf(line, " %s (%s)", verbs[n->event], payload_severity_name(n->severity));
    if (n->event == EVENT_OFFICIAL_UPDATE) {
        buf_puts(line, ": ");
        escaped(line, n->update_text);
        return;
    }
    buf_puts(line, n->event == EVENT_RESOLVED ? ": was " : ": ");
    country_words(line, n->countries);
    buf_puts(line, ", since ");
    human_time(line, n->start);
    if (n->end >= 0) {
        buf_puts(line, ", ended ");
        human_time(line, n->end);
    }
}

/* The section's lines, in mrkdwn. */
static void details(const struct payload_notice *n, struct buf *text)
{
    buf_printf(text, "*Severity:* %s\n*Countries:* ", payload_severity_name(n->severity));
    country_words(text, n->countries);
    if (n->event == EVENT_UPDATED) {
        buf_puts(text, "\n*Joined:* ");
        country_words(text, n->countries_added);
        buf_puts(text, "   *Left:* ");
        country_words(text, n->countries_removed);
    }
    buf_puts(text, "\n*Started:* ");
    human_time(text, n->start);
    if (n->end >= 0) {
        buf_puts(text, "\n*Ended:* ");
        human_time(text, n->end);
    }
    if (n->event == EVENT_OFFICIAL_UPDATE) {
        buf_printf(text, "\n*Status:* %s\n", n->update_status ? n->update_status : "-");
        escaped(text, n->update_text);
    }
}

void payload_slack(const struct payload_notice *n, struct buf *out)
{
    struct buf line, text, header;
    buf_init(&line);
    buf_init(&text);
    buf_init(&header);
    headline(n, &line);
    details(n, &text);
    buf_puts(&header, n->service_name);
    buf_printf(&header, ": %s", payload_event_name(n->event));
    buf_puts(out, "{\"text\":");
    buf_json_str(out, line.data, line.len);
    buf_puts(out, ",\"blocks\":[{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":");
    buf_json_str(out, header.data, header.len);
    buf_puts(out, "}},{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
    buf_json_str(out, text.data, text.len);
    buf_puts(out, "}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":");
    buf_reset(&line); /* now the context's text */
    buf_puts(&line, "downwatch incident ");
    escaped(&line, n->incident);
    buf_json_str(out, line.data, line.len);
    buf_puts(out, "}]}]}");
    buf_free(&line);
    buf_free(&text);
    buf_free(&header);
}
