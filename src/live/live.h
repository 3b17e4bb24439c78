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
 * second, outside the mutex, then handed to the notify stage (notify.h);
 * at start-up the history is fed again and its incidents are rewritten with
 * the same ids (notify knows which states it handled already). Every
 * incident JSON the server shows also says whether the incident was
 * detected in a maintenance window ("maintenance": true|false). */
#ifndef DW_LIVE_H
#define DW_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "detect/baseline.h"
#include "detect/detect.h"

struct catalog;
struct notify;
struct store;
struct store_report;
struct live;

/* An engine for every catalog service (same indexes), writing to store
 * and telling notify (NULL: nobody). Does not start the ticker. Never
 * returns NULL. */
struct live *live_new(const struct catalog *cat, struct store *store, struct notify *notify,
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

/* open[i] = 1 when catalog service i has an open incident, else 0, for
 * i < n, read under one lock. */
void live_open_incidents(struct live *l, unsigned char *open, size_t n);

/* The engine's event time (its watermark), or the wall clock while it has
 * seen nothing: what "now" is for the pages, so that a replayed trace shows
 * its own last 24 hours (live, the watermark follows the clock). */
int64_t live_now(struct live *l);

#define LIVE_ID_MAX 128

/* What the status pages show of one service, read under one lock. */
struct live_view {
    int64_t now;                  /* live_now() */
    const char *status;           /* "ok", "degraded", "outage" */
    char incident[LIVE_ID_MAX];   /* the open incident's id, "" when none */
    char group[LIVE_ID_MAX];      /* its group's id, "" when none */
    int64_t incident_start;       /* its onset, -1 when none */
    int ncountries;               /* its anomalous countries (country.h) */
    int countries[COUNTRY_SLOTS];
    struct base total;            /* the service total's baseline */
};

/* Fill *out for a catalog service index (an unknown one reads as "ok" with
 * an empty baseline). */
void live_view(struct live *l, int service, struct live_view *out);

/* A copy of the baseline of a service's total (country -1) or of one of its
 * countries: det_baseline under the lock. */
int live_baseline(struct live *l, int service, int country, struct base *out);

#endif
