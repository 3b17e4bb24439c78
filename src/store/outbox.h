/* outbox.h - the durable outbox of webhook deliveries, and how far the
 * notifications of each incident have got.
 *
 * deliveries: one row per message to one subscription, unique on
 * (subscription, incident, event, seq): seq is 0 for "opened" and
 * "resolved" (each at most once per subscription and incident), the
 * state's event time for "updated", the update's id for "official_update".
 * Putting a row that is there already changes nothing, unless the row
 * there was "suppressed" (a silence held it back), which the new one
 * replaces. So enqueueing is idempotent: the same incident states fed
 * again after a restart queue nothing twice. States of a row:
 *   pending     waiting for its next attempt (next_at, wall-clock ms)
 *   delivered   a 2xx came back: never sent again
 *   dead        given up after the last attempt, or refused because the
 *               outbox was full: the dead letters
 *   suppressed  held back by a silence or maintenance (reason says which)
 *   superseded  a newer "updated" or "resolved" for the same subscription
 *               and incident was queued before this one went out
 *   cancelled   its subscription was deleted
 *
 * notices: per incident, the last state the notify stage handled (event
 * time), what the last message said (countries, severity) and when, so a
 * restart resumes exactly where it stopped, without the memory of a
 * process. notify_marks holds the last official update handled.
 *
 * Every write is one transaction (store__write), with the history events
 * it causes. */
#ifndef DW_OUTBOX_H
#define DW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store/history.h"

#define OUTBOX_ID_MAX 128      /* incident, group and subscription ids */
#define OUTBOX_COUNTRIES_MAX 1024 /* "BR,GB,IN,...": every country fits */

/* One delivery row. Strings are valid during a callback only. */
struct outbox_delivery {
    int64_t id;
    const char *subscription, *incident, *event;
    int64_t seq;
    const char *state;
    const char *body;       /* the payload, exactly as sent */
    int64_t created;        /* wall clock, Unix ms */
    int attempts;
    int64_t next_at;        /* Unix ms */
    int64_t last_at;        /* Unix ms of the last attempt, -1 when none */
    int last_status;        /* HTTP status of the last attempt, 0 when none came */
    const char *last_error; /* or NULL */
    const char *reason;     /* or NULL */
};

/* How far one incident's notifications have got. */
struct outbox_notice {
    char incident[OUTBOX_ID_MAX];
    char service[OUTBOX_ID_MAX];
    char group[OUTBOX_ID_MAX];          /* "" when none */
    int64_t seen;                       /* event time of the last state handled */
    int opened, resolved;               /* their messages were decided */
    int maintenance;                    /* of the last state */
    int severity;                       /* of the last state */
    char countries[OUTBOX_COUNTRIES_MAX]; /* of the last state */
    int64_t sent_at;                    /* event time of the last opened/updated message, -1 */
    int sent_severity, top_severity;    /* what it said; the highest said so far */
    char sent_countries[OUTBOX_COUNTRIES_MAX];
};

/* A row to queue, and optionally the history event it causes (recorded
 * with the row's id, only when the row is new or replaced). */
struct outbox_put {
    struct outbox_delivery row;   /* id, attempts, last_* ignored */
    const char *event_kind;       /* or NULL */
    const char *event_detail;
    size_t events_before;         /* the plan's events recorded before this row's */
};

/* What the notify stage decided for a batch of incident states, applied
 * in one transaction. Rows queued "pending" beyond max_pending pending
 * ones are stored "dead" instead (a bounded outbox). A new pending
 * "updated" or "resolved" supersedes the pending "updated" rows before it
 * (an update storm becomes one message). official_mark > 0 records the
 * last official update handled. The plan's events and the rows' events
 * are recorded in the order they were decided (events_before). */
struct outbox_plan {
    const struct outbox_put *puts;
    size_t nputs;
    const struct outbox_notice *notices;
    size_t nnotices;
    const struct history_event *events;
    size_t nevents;
    int64_t official_mark;
    int64_t max_pending;
    int64_t now;                  /* Unix ms */
};

/* Apply a plan. 0 or a negative errno (nothing applied then). */
int outbox_apply(struct store *s, const struct outbox_plan *p);

/* Read an incident's notice: 1, 0 when there is none, -1 on a read error. */
int outbox_notice(struct store *s, const char *incident, struct outbox_notice *out);

/* Pass to fn each subscription that has an "opened" row for the incident,
 * with that row's state. Returns how many, or -1. */
long outbox_followers(struct store *s, const char *incident,
                      void (*fn)(void *arg, const char *subscription, const char *state),
                      void *arg);

/* Pass to fn the oldest pending delivery of every subscription (a
 * subscription's messages go out in order, one at a time). Returns how
 * many, or -1. */
long outbox_heads(struct store *s, void (*fn)(void *arg, const struct outbox_delivery *d),
                  void *arg);

/* The outcome of one attempt. */
struct outbox_result {
    int64_t id;
    const char *state;          /* "delivered", "pending" (to retry) or "dead" */
    int attempts;
    int64_t at, next_at;        /* Unix ms */
    int status;                 /* HTTP status, 0 when none came */
    const char *error;          /* or NULL */
    struct history_event event; /* recorded with it */
};

/* Record attempts, in one transaction. A delivered row becomes
 * "delivered" whatever it was; a failed one keeps "superseded" or
 * "cancelled" if it became so meanwhile. 0 or a negative errno. */
int outbox_record(struct store *s, const struct outbox_result *r, size_t n);

/* An official update to notify, with its incident's latest JSON. */
struct outbox_official {
    int64_t id;
    const char *incident;
    int64_t at;
    const char *text, *status; /* status may be NULL */
    const char *incident_json;
    int64_t start, end;        /* the incident's; end -1 while open */
};

/* Pass to fn the official updates with id > after, oldest first, at most
 * limit. Returns how many, or -1. */
long outbox_officials(struct store *s, int64_t after, int limit,
                      void (*fn)(void *arg, const struct outbox_official *u), void *arg);

/* The value of a notify_marks row (0 when absent): 0, or -1. */
int outbox_mark(struct store *s, const char *name, int64_t *value);

/* Which deliveries outbox_list passes: state, subscription and incident
 * when not NULL, id < before when before > 0, newest first, at most limit. */
struct outbox_query {
    const char *state, *subscription, *incident;
    int64_t before;
    int limit;
};
long outbox_list(struct store *s, const struct outbox_query *q,
                 void (*fn)(void *arg, const struct outbox_delivery *d), void *arg);

/* Send a dead letter again: back to "pending" with no attempts, due at
 * now (ms); ev is recorded. Returns 1, 0 when there is no such delivery,
 * -EINVAL when it is not dead, or a negative errno. */
int outbox_retry(struct store *s, int64_t id, int64_t now, const struct history_event *ev);

/* Delete finished rows (delivered, superseded, suppressed, cancelled,
 * dead) created before `before` (Unix ms) whose incident has ended. The
 * notices stay: they are what keeps an old incident, detected again from
 * the reports at start-up, from being notified again. 0 or a negative
 * errno. */
int outbox_prune(struct store *s, int64_t before);

#endif
