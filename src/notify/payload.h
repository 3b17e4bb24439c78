/* payload.h - what a webhook says: the notice (an incident event and the
 * incident's state then) and its two renderings, the versioned downwatch
 * JSON and a Slack/Mattermost-compatible message (text + blocks).
 *
 * Severity. An incident state is
 *   critical  when 5 or more countries are far above normal, or the count
 *             is 50 or more times what was expected;
 *   major     when 2 to 4 countries are, or the count is 10 or more times
 *             the expected one;
 *   minor     otherwise (one country or the service total, a few times its
 *             normal).
 * The ratio is the incident's observed / expected over the window that gave
 * its best score (expected taken as at least 1), so it does not grow with
 * the traffic's scale. Pure functions; buf.h writes the JSON. */
#ifndef DW_PAYLOAD_H
#define DW_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define PAYLOAD_VERSION 1

enum payload_severity { SEVERITY_MINOR, SEVERITY_MAJOR, SEVERITY_CRITICAL, SEVERITY_COUNT };

enum payload_event {
    EVENT_OPENED,          /* an incident opened (or first matched a subscription) */
    EVENT_UPDATED,         /* its countries or severity changed */
    EVENT_RESOLVED,        /* it ended */
    EVENT_OFFICIAL_UPDATE, /* the service's operator posted an update */
    EVENT_COUNT
};

/* The severity of an incident state with ncountries anomalous countries. */
enum payload_severity payload_severity(int ncountries, double observed, double expected);

/* "minor", "major", "critical" / "opened", "updated", "resolved",
 * "official_update". */
const char *payload_severity_name(int severity);
const char *payload_event_name(int event);
/* The value of a name of len bytes, or -1. */
int payload_severity_parse(const char *s, size_t len);
int payload_event_parse(const char *s, size_t len);

/* Everything a message says. Strings are UTF-8 (validated upstream);
 * countries lists are ISO codes joined by ',' ("" for none). */
struct payload_notice {
    enum payload_event event;
    const char *incident;        /* the incident's id */
    const char *service;         /* catalog id, name and owner */
    const char *service_name;
    const char *owner;
    const char *group;           /* or NULL */
    enum payload_severity severity;
    const char *countries;       /* the incident's countries now, most extra first */
    const char *countries_added;   /* EVENT_UPDATED: since the last message */
    const char *countries_removed;
    int severity_before;         /* EVENT_UPDATED: the last message's, or -1 */
    int64_t start, end;          /* event time, Unix seconds; end -1 while open */
    const char *incident_json;   /* the incident object as the API shows it */
    const char *update_text;     /* EVENT_OFFICIAL_UPDATE: the update */
    const char *update_status;   /* or NULL */
    int64_t update_at;
    int64_t sent;                /* when the message was queued, Unix ms */
};

/* The downwatch JSON (PAYLOAD_VERSION), one object:
 *   {"version":1,"event":"opened","sent_at":"...","severity":"critical",
 *    "service":{"id","name","owner"},"incident":{...},
 *    "changes":{"countries_added":[],"countries_removed":[],"severity_before":null}
 *                                              (updated only)
 *    "update":{"at","text","status"}}          (official_update only) */
void payload_json(const struct payload_notice *n, struct buf *out);

/* The chat rendering: {"text":"<one line>","blocks":[header, section,
 * context]}; Mattermost reads text, Slack the blocks. */
void payload_slack(const struct payload_notice *n, struct buf *out);

#endif
