/* detect.h - the detection engine: report counts in, incidents out.
 *
 * Drivers feed reports in event-time order (det_feed) and the engine does
 * the rest, without ever reading a clock: `now` is the event time of the
 * report being fed (or the time a live driver passes to det_advance). The
 * same reports in the same order therefore give the same incidents, bit for
 * bit, offline (`downwatch detect`) and inside `downwatch serve`.
 *
 * Counting. For every service, and every (service, country) that has
 * reports, a cell sums the current minute: reports, counted votes (the
 * vote guard lets one report per client and service through per window),
 * first repeats (a client's second report in the window) and votes per
 * problem. What is scored is the effective count votes - 2 x first repeats,
 * summed over a window (a negative sum counts as 0): a client that reports
 * again in the same window takes its vote back and one more, so a few
 * clients sending hundreds of reports cancel out, also across minute
 * boundaries and when their votes expire and come back, while a real
 * outage (a few percent of repeats) barely moves.
 *
 * Ticks. Every tick (10 s of event time by default) each cell that had
 * reports is scored on windows that end now: the current partial minute
 * plus the last 1, 2, 3, 5, 10, 15, 30 and 60 closed minutes, each against
 * its baseline expectation (baseline.h) with a negative binomial tail
 * (tail.h). A vote counts in the windows once it is vote_maturity old
 * (one tick by default), a first repeat at once: a brigade's clients vote
 * before they repeat, and the repeats that cancel them come within seconds,
 * so an unripe vote would look like a person. The same rule holds at every
 * second of the minute: the defence does not depend on when a brigade
 * starts. A sudden jump is caught within a minute, a rise that a closed
 * minute began within 10-20 s of the reports that confirm it, a slow rise
 * by the long windows. At each minute boundary every cell closes its minute, feeds
 * its baseline (the minutes of an incident are learned as normal ones,
 * outliers clipped) and is scored.
 *
 * Incidents. A service opens an incident when its total scores at least
 * open_score on some window that also clears the floors (at least
 * min_clients effective clients, at least min_ratio x expected), or a single
 * country does with country_extra more (it is one of many tests). The
 * incident then records, each minute: its countries (those whose own
 * counts since the start are far above their expectation: >= 3x, >= 5
 * clients more, and significant), the problem shares in those countries, the
 * peak reports per minute, and the best score with its expected and
 * observed counts (the "why"). It resolves after calm_minutes calm minutes
 * (the last 10 minutes of the total and of each of its countries score
 * below 2), so a recovery tail does not flap. Incidents whose starts are at
 * most group_minutes apart and whose country sets overlap (Jaccard >=
 * group_jaccard) share a group, named after the first of them.
 *
 * Threads: none inside; one engine is used by one thread at a time. */
#ifndef DW_DETECT_H
#define DW_DETECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "report/country.h"
#include "report/report.h"

enum det_vote {
    DET_REPEAT = 0,       /* a later repeat: stored, not counted */
    DET_VOTE = 1,         /* the client's counted vote for this window */
    DET_FIRST_REPEAT = 2, /* the client's second report in the window */
};

struct det_config {
    int tick_seconds;     /* scoring step within a minute; divides 60 */
    double open_score;    /* -log10 p to open from the service total */
    double country_extra; /* added to open_score for one country alone */
    double min_clients;   /* absolute floor, effective clients in the window */
    double min_ratio;     /* relative floor, observed / expected */
    int calm_minutes;     /* calm minutes before an incident resolves */
    int group_minutes;    /* start-time distance within which incidents group */
    double group_jaccard; /* country-set overlap needed to group */
    double cascade_bonus; /* taken off open_score while another incident is */
    double sibling_bonus; /* at most group_minutes old (sibling: same owner), */
    double cascade_min_clients; /* and min_clients becomes this */
    int vote_maturity;    /* seconds a vote waits before it counts (rounded up
                           * to whole ticks, at most 12 ticks; 0: at once) */
};

enum det_event { DET_OPENED, DET_UPDATED, DET_RESOLVED };

struct det_incident {
    int service;               /* index from det_service() */
    int64_t start;             /* estimated onset (Unix seconds) */
    int64_t detected_at;       /* event time at which it was opened */
    int64_t end;               /* -1 while open */
    int64_t updated;           /* event time of the last change */
    const struct det_incident *group; /* first incident of its group, or NULL */
    uint32_t peak_per_min;     /* most reports in one minute, service total */
    double score;              /* best -log10 p so far */
    double expected, observed; /* of the window that gave the best score */
    double window_minutes;     /* that window's length */
    uint64_t clients;          /* counted votes since the start, all countries */
    int ncountries;
    int countries[COUNTRY_SLOTS];   /* anomalous countries, most extra first */
    double problems[REP_PROBLEM_COUNT]; /* shares of votes in those countries */
};

typedef void (*det_event_fn)(const struct det_incident *inc, enum det_event ev, void *ctx);

struct det;

/* The defaults documented in the README. */
void det_config_default(struct det_config *cfg);

/* A new engine (cfg copied); on_event (may be NULL) hears every change. */
struct det *det_new(const struct det_config *cfg, det_event_fn on_event, void *ctx);
void det_free(struct det *d);

/* The index of a service id (registered on first use, in order: a server
 * registers its catalog first so indexes match). -1 if the engine already
 * has INT_MAX services. */
int det_service(struct det *d, const char *id, size_t len);
const char *det_service_name(const struct det *d, int service);
/* The company behind a service (from the catalog); services of one owner
 * often fail together, so a sibling's fresh incident lowers the bar more. */
void det_service_owner(struct det *d, int service, const char *owner);

/* Advance event time to now: closes every tick and minute before it. Time
 * never goes back: an earlier now does nothing. */
void det_advance(struct det *d, int64_t now);

/* One report at event time ts (advances to ts first). A report older than
 * the current minute counts in the current minute. country is a country.h
 * index (others count in the total only); problem an enum rep_problem. */
void det_feed(struct det *d, int service, int country, int problem, enum det_vote vote,
              int64_t ts);

/* Every incident so far, in the order they were opened; valid until the
 * next call that feeds or advances. */
size_t det_incidents(const struct det *d, const struct det_incident *const **out);

/* Incident and group ids: "<service>-<YYYYMMDDTHHMMSSZ of detected_at>";
 * a group is named after its first incident. */
void det_incident_id(const struct det *d, const struct det_incident *inc, char *out, size_t n);

/* The incident as one JSON object (DESIGN.md's format, plus the "why":
 * score, expected, observed, window_minutes, clients); no newline. */
void det_incident_json(const struct det *d, const struct det_incident *inc, struct buf *out);

/* Write a line per tick for one service (country -1) or one of its
 * countries (a country index) to out (NULL stops): its counts, expectation
 * and best window with the scatter (1/k) it was scored with, to see why it
 * did or did not open. */
void det_explain(struct det *d, int service, int country, FILE *out);

/* Event time the engine has reached (0 before the first report or
 * advance). */
int64_t det_now(const struct det *d);

struct base;

/* A copy of the baseline (baseline.h) of a service's total (country -1) or
 * of one of its countries, for readers that draw the normal band: 1 when
 * that series exists (a service's total always does; it expects nothing
 * until it has learned an hour), 0 and *out empty when the country has no
 * reports yet or service or country is out of range. */
int det_baseline(const struct det *d, int service, int country, struct base *out);

enum det_status { DET_OK, DET_DEGRADED, DET_OUTAGE };

/* A service's state now: an open incident (returned in *open) is an
 * outage; unusual counts not (yet) an incident, or an incident resolved in
 * the last half hour, degraded. */
enum det_status det_service_status(const struct det *d, int service,
                                   const struct det_incident **open);

/* Services registered so far. */
int det_services(const struct det *d);

/* Cells (service totals and (service, country) series) in use. */
size_t det_cells(const struct det *d);

#endif
