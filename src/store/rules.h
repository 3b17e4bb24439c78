/* rules.h - the operator's notification rules on disk: the subscriptions
 * made through the API and the silences (maintenance windows included).
 *
 * Each is kept as the JSON text of its specification, which the notify
 * stage wrote and reads back with the same parser that checked it
 * (notify/sub.h, notify/silence.h), so the two can never disagree on a
 * field; the store adds the times that belong to the row: when it was
 * created, when a silence was cancelled (deleted early) and when its
 * expiry was recorded. Every change writes its history event (history.h)
 * in the same transaction. Subscriptions from the webhooks file are not
 * stored: the file is their home. */
#ifndef DW_RULES_H
#define DW_RULES_H

#include <stdint.h>

#include "store/history.h"

/* Store a new subscription; ev (its "subscription_created" event) too.
 * Returns 0, -EEXIST when the id is taken, or a negative errno. */
int rules_add_subscription(struct store *s, const char *id, int64_t created, const char *spec,
                           const struct history_event *ev);

/* Delete a subscription and cancel its pending deliveries (their state
 * becomes "cancelled"); ev is recorded. Returns 1, 0 when there is no such
 * stored subscription, or a negative errno. */
int rules_delete_subscription(struct store *s, const char *id, const struct history_event *ev);

/* Pass every stored subscription to fn, oldest first. Returns how many,
 * or -1 when the database cannot be read. */
long rules_subscriptions(struct store *s,
                         void (*fn)(void *arg, const char *id, int64_t created, const char *spec),
                         void *arg);

/* One stored silence. Times are Unix seconds; cancelled and expired are -1
 * when not (yet). */
struct rules_silence {
    int64_t id;
    int64_t created, cancelled, expired;
    const char *spec;
};

/* Store a new silence and ev (whose silence id is filled in). Returns the
 * new id (> 0) or a negative errno. */
int64_t rules_add_silence(struct store *s, int64_t created, const char *spec,
                          const struct history_event *ev);

/* Mark a silence cancelled at `at` (by an operator) or its expiry
 * recorded at `at`, once, with ev. Returns 1, 0 when there is no such
 * silence or it was already so marked, or a negative errno. */
int rules_cancel_silence(struct store *s, int64_t id, int64_t at, const struct history_event *ev);
int rules_expire_silence(struct store *s, int64_t id, int64_t at, const struct history_event *ev);

/* Pass every silence to fn, oldest first. Returns how many, or -1 when the
 * database cannot be read. */
long rules_silences(struct store *s, void (*fn)(void *arg, const struct rules_silence *r),
                    void *arg);

#endif
