/* decide.h - the notify stage's decisions: which message each incident
 * state and official update becomes for each subscription (rules in
 * notify.h), as a plan for the outbox (store/outbox.h).
 *
 * A batch is begun, fed states in the order the detector published them
 * and then the official updates since the last one handled, turned into a
 * plan and ended. Deciding reads the store (notices and followers) but
 * writes nothing: the caller applies the plan, in one transaction, or
 * begins again later with the same states, which decides the same. */
#ifndef DW_DECIDE_H
#define DW_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "notify/notify.h"

struct catalog;
struct outbox_plan;
struct silence;
struct store;
struct sub;

/* The rules in force: held by the caller (under its lock) for the batch. */
struct decide_rules {
    const struct catalog *cat;
    const struct sub *subs;
    size_t nsubs;
    const struct silence *silences;
    size_t nsilences;
    int64_t update_interval; /* event-time seconds between two "updated" */
};

struct decide_batch;

/* A batch deciding at wall-clock now (Unix ms). Never NULL. */
struct decide_batch *decide_begin(struct store *store, int64_t now);

/* Decide one state: 0, or -1 when the store cannot be read. */
int decide_state(struct decide_batch *b, const struct decide_rules *r,
                 const struct notify_state *st);

/* Decide the official updates with id > after (at most limit): 0 or -1. */
int decide_officials(struct decide_batch *b, const struct decide_rules *r, int64_t after,
                     int limit);

/* The plan so far (valid until decide_end; its max_pending is the
 * caller's to set): 1, or 0 when there is nothing to write. */
int decide_plan(struct decide_batch *b, struct outbox_plan *plan);

/* Free the batch and all its plan's strings. NULL is a no-op. */
void decide_end(struct decide_batch *b);

#endif
