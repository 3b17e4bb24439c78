/* live.h - the detection engine inside `downwatch serve`.
 *
 * Every stored report is fed to the engine (detect.h) in the order it was
 * committed, under one mutex, at its event time: the server's receive time,
 * or the report's own ts from a replay or admin token. Event time is the
 * watermark, so a trace replayed into the server gives the incidents that
 * `downwatch detect` gives on it. A ticker thread also moves the watermark
 * with the wall clock while the server is live (its event time within ten
 * minutes of now), so minutes close and incidents resolve when reports stop
 * coming; a replay of old traffic is left to its own time. The ticker runs
 * two seconds ahead of the clock, so it is the one that closes each minute
 * (a walk over every series), not a request thread feeding the first report
 * of the next minute; a live report can thus count in the minute after its
 * own when it lands in the last two seconds of one.
 *
 * Incident states are queued as the engine publishes them and written to
 * the store (store.h: incidents, incident_updates) by the ticker, once a
 * second, outside the mutex; at start-up the history is fed again and its
 * incidents are rewritten with the same ids. */
#ifndef DW_LIVE_H
#define DW_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "detect/detect.h"

struct catalog;
struct store;
struct store_report;
struct live;

/* An engine for every catalog service (same indexes), writing to store.
 * Does not start the ticker. Never returns NULL. */
struct live *live_new(const struct catalog *cat, struct store *store,
                      const struct det_config *cfg);
/* Start the ticker thread; 0, or -1 with errno. */
int live_start(struct live *l);
/* Stop the ticker (if started), write what is queued, free l. */
void live_free(struct live *l);

/* Stored reports, in the order they were committed (one lock for all). */
void live_feed(struct live *l, const struct store_report *rows, size_t n);

/* Write the queued incident states to the store now (the ticker does it
 * each second); for start-up and tests. */
void live_flush(struct live *l);

/* The service's status ("ok", "degraded", "outage"); appends its open
 * incident's JSON to open_json when there is one and returns 1, else 0. */
int live_status(struct live *l, int service, const char **status, struct buf *open_json);

#endif
