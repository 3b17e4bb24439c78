/* notify.h - the alerting stage: incident states in, signed webhooks out,
 * on a thread of its own so that intake and detection never wait for it.
 *
 * The server's detector (live.h) hands over each batch of incident states
 * once they are stored; notify_maintenance tells it, quickly and under its
 * own lock, whether an incident was detected in a maintenance window. The
 * notify thread then, in order:
 * 1. decides what each state means to each subscription (sub.h) and queues
 *    it in the durable outbox (store/outbox.h) in one transaction with the
 *    incident's progress, so a restart resumes where it stopped and the
 *    states fed again at start-up queue nothing twice:
 *    - a subscription "follows" an incident from the first state that passes
 *      its filters: it is sent "opened" with that state, then "updated",
 *      "resolved" and official updates of that incident, whatever its
 *      filters say later;
 *    - "updated" goes out when the countries or the severity differ from
 *      the last message, at most once per update_interval seconds of event
 *      time per incident, except a severity above any announced before,
 *      which goes at once; and a pending "updated" is superseded by the next
 *      one, so an update storm ends as one message;
 *    - a silence or maintenance covering the state (silence.h) turns the
 *      message into a "suppressed" row, with the reason, instead;
 * 2. queues official updates posted since the last one it handled;
 * 3. sends the outbox (sender.h): each subscription's oldest pending
 *    delivery, in order, signed (sign.h); a 2xx delivers it, anything else
 *    is retried with exponential backoff and jitter, and after `attempts`
 *    tries it is dead (a dead letter, GET /api/v1/deliveries?state=dead);
 * 4. records expired silences and trims old deliveries and events.
 * Every decision and outcome is also an event (store/history.h).
 *
 * Subscriptions come from the API (stored) and from the webhooks file
 * (re-read by notify_reload, on SIGHUP); silences from the API. Both are
 * held in memory under a read-write lock. */
#ifndef DW_NOTIFY_H
#define DW_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "notify/payload.h"

struct catalog;
struct store;

struct notify_config {
    const char *webhooks;          /* the webhooks file, "" for none */
    int concurrency;               /* deliveries in flight at most */
    int timeout_ms;                /* per attempt */
    int attempts;                  /* tries before a delivery is dead */
    int64_t retry_base_ms;         /* pause after the first failure */
    int64_t retry_max_ms;          /* longest pause */
    int64_t update_interval;       /* event-time seconds between two "updated" per incident */
    int64_t outbox_max;            /* pending deliveries at most */
    int64_t silence_max;           /* longest silence window, seconds */
    int64_t events_max;            /* events kept */
    int64_t retention_ms;          /* finished deliveries kept this long */
};

/* One incident state as the detector published it. */
struct notify_state {
    const char *id;
    const char *group;         /* NULL when none */
    int service;               /* catalog index */
    enum payload_event event;  /* EVENT_OPENED, EVENT_UPDATED or EVENT_RESOLVED */
    int64_t updated;           /* event time of the state */
    int64_t start, end;        /* end -1 while open */
    int ncountries;
    const char *countries;     /* "BR,GB,IN", most extra first */
    double observed, expected; /* of the best window (severity) */
    int64_t maintenance;       /* the maintenance window it was detected in, 0 none */
    const char *json;          /* the incident object as the API shows it */
};

/* Load the webhooks file (if any), the stored subscriptions and silences.
 * cat and store must outlive n. NULL with a sentence in err when the file
 * is bad or the store cannot be read. Does not start the thread. */
struct notify *notify_open(const struct notify_config *cfg, const struct catalog *cat,
                           struct store *store, char *err, size_t errsz);
/* Check a webhooks file as notify_open would read it (--check-config):
 * the number of subscriptions, or -1 with a sentence in err. */
long notify_check_file(const char *path, const struct catalog *cat, char *err, size_t errsz);
/* Start the thread: 0, or -1 with errno. */
int notify_start(struct notify *n);
/* Stop the thread (transfers in flight are dropped: their deliveries stay
 * pending and go again at the next start) and free n. NULL is a no-op. */
void notify_close(struct notify *n);

/* Hand over stored incident states (copied), in the order published. */
void notify_states(struct notify *n, const struct notify_state *states, size_t count);

/* The id of a maintenance window covering the service (and group, may be
 * NULL) at event time at, or 0. Quick; any thread. */
int64_t notify_maintenance(struct notify *n, int service, const char *group, int64_t at);

/* Something new is in the store (an official update, a retried dead
 * letter): look now rather than at the next tick. */
void notify_wake(struct notify *n);

/* Re-read the webhooks file: on success its subscriptions replace the
 * file's old ones; on failure they stay. Either way an event is recorded.
 * Returns 0 or -1. */
int notify_reload(struct notify *n);

/* ---- for the API ---- */

/* Create a subscription from a POST body. 1 and the subscription (its
 * secret included: the only time it is shown) in out; 0 for a bad body,
 * with an error code and a sentence; or a negative errno when it cannot be
 * stored. */
int64_t notify_subscribe(struct notify *n, const char *body, size_t len, struct buf *out,
                         const char **code, char *detail, size_t detsz);
/* Every subscription's JSON (sub_json), comma-separated, file ones first. */
void notify_subscriptions(struct notify *n, struct buf *out);
/* One subscription's JSON: 1, or 0 when there is none. */
int notify_subscription(struct notify *n, const char *id, struct buf *out);
/* Delete an API subscription: 1, 0 when there is none, -EPERM for one of
 * the webhooks file, or a negative errno. */
int notify_unsubscribe(struct notify *n, const char *id);

/* Create a silence from a POST body (wall-clock now for its defaults): its
 * id (> 0) and its JSON in out; 0 for a bad body (code, sentence); or a
 * negative errno. */
int64_t notify_silence(struct notify *n, const char *body, size_t len, struct buf *out,
                       const char **code, char *detail, size_t detsz);

/* Which silences notify_silences lists. */
struct notify_silence_filter {
    int kind;           /* enum silence_kind, or -1 for both */
    const char *state;  /* "scheduled", "active", "expired", "cancelled", or NULL */
    int current;        /* only scheduled and active ones */
    int service;        /* only those whose service or owner scope covers this catalog
                           index, or -1 */
    int public_view;    /* without creator and times of creation (silence_json) */
};
/* The matching silences' JSON, comma-separated, by start; how many. */
long notify_silences(struct notify *n, const struct notify_silence_filter *f, struct buf *out);
/* One silence's JSON: 1, or 0 when there is none. */
int notify_silence_get(struct notify *n, int64_t id, struct buf *out);
/* Cancel a silence now: 1 and its JSON in out, 0 when there is none,
 * -EALREADY when it is cancelled or expired already, or a negative errno. */
int notify_unsilence(struct notify *n, int64_t id, struct buf *out);

#endif
