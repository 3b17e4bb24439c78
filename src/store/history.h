/* history.h - what downwatch did, so that an operator can answer "why did
 * I (not) get paged?" (GET /api/v1/events).
 *
 * One row per event in the events table (store.h): the wall-clock time in
 * milliseconds, a kind, the ids it concerns and a detail object (JSON text
 * the caller wrote). The kinds:
 *   incident_opened, incident_resolved       the detector's incidents, as notified
 *   notification_sent, notification_failed   a delivery got a 2xx / an attempt failed
 *   notification_dead                        a delivery was given up (dead letter)
 *   notification_suppressed                  a silence or maintenance held a message back
 *   notification_retried                     an operator sent a dead letter again
 *   silence_created, silence_deleted, silence_expired
 *   subscription_created, subscription_deleted
 *   config_reloaded, config_reload_failed    the webhooks file, on SIGHUP
 * Events are written in the same transaction as what they record. Reads
 * are newest first, a page at a time: a page's last id is the `before` of
 * the next. The table keeps at most a configured number of rows. */
#ifndef DW_HISTORY_H
#define DW_HISTORY_H

#include <stdint.h>

#include "store/store.h"

struct history_event {
    int64_t id;               /* assigned when stored */
    int64_t at;               /* wall clock, Unix milliseconds */
    const char *kind;         /* one of the kinds above */
    const char *incident;     /* or NULL */
    const char *subscription; /* or NULL */
    int64_t silence;          /* silences.id, or 0 */
    int64_t delivery;         /* deliveries.id, or 0 */
    const char *detail;       /* a JSON object, or NULL for {} */
};

/* Store one event (its own transaction). 0 or a negative errno. */
int history_add(struct store *s, const struct history_event *ev);

/* Which events history_list passes: those with id < before (0: from the
 * newest), of kind, incident and subscription when not NULL, at most
 * limit, newest first. */
struct history_query {
    int64_t before;
    int limit;
    const char *kind, *incident, *subscription;
};

/* Pass the matching events to fn (valid during the call). Returns how many,
 * or -1 when the database cannot be read. */
long history_list(struct store *s, const struct history_query *q,
                  void (*fn)(void *arg, const struct history_event *ev), void *arg);

/* Delete all but the newest keep events. 0 or a negative errno. */
int history_prune(struct store *s, int64_t keep);

/* For the store's other files: insert ev inside their transaction. Returns
 * an SQLite result code. */
int history__insert(sqlite3 *db, const struct history_event *ev);

#endif
