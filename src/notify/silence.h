/* silence.h - silences and maintenance windows: times during which the
 * notifications about a service, an owner's services or a group are held
 * back. Detection never is: incidents are still opened and recorded.
 *
 * Two kinds:
 * - "silence": an operator mutes notifications for one window;
 * - "maintenance": planned work, one window or one that repeats daily or
 *   weekly until a date; public (the status page shows it), and an
 *   incident detected inside one is marked "maintenance": true and never
 *   notified.
 * Scope: service, owner and group, at least one; all given must match.
 *
 * Times. A window is compared with the event time of what it holds back
 * (an incident state's time; live, that is the clock; in a replay of
 * 2024, 2024), so a replayed past can be silenced by giving its times.
 * Creation, cancellation (DELETE) and expiry are wall-clock facts: a
 * silence is "expired" once the clock passes the end of its last window,
 * "active" inside a window, "scheduled" before, "cancelled" once deleted.
 * Every silence ends: a window lasts at most max_len seconds (the
 * silence_max option), a repeating one needs `until`, at most 366 days
 * after its first start.
 *
 * The body of POST /api/v1/silences (and the text stored for it):
 *   {"kind":"maintenance","service":"whatsapp","owner":"Meta","group":"...",
 *    "starts_at":"2024-04-03T16:00:00Z","ends_at":"..."|"duration":"2h",
 *    "every":"daily"|"weekly","until":"...","creator":"alice","reason":"..."}
 * Times are ISO 8601 or Unix seconds, a duration is seconds or a number
 * with s, m, h or d (api/query.h reads both). starts_at defaults to now. */
#ifndef DW_SILENCE_H
#define DW_SILENCE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "report/report.h"

#define SILENCE_CREATOR_MAX 64
#define SILENCE_REASON_MAX 500
#define SILENCE_GROUP_MAX 128
#define SILENCE_REPEAT_MAX (366 * 86400)

enum silence_kind { SILENCE_MUTE, SILENCE_MAINTENANCE };

struct silence {
    int64_t id;
    enum silence_kind kind;
    char service[REP_SERVICE_MAX + 1]; /* "" = any */
    char owner[CAT_NAME_MAX + 1];
    char group[SILENCE_GROUP_MAX + 1];
    int64_t starts, ends;   /* the first window, event time (Unix seconds) */
    int64_t every;          /* 0 (one window), 86400 (daily) or 604800 (weekly) */
    int64_t until;          /* no window starts after it (one window: = starts) */
    char creator[SILENCE_CREATOR_MAX + 1];
    char reason[SILENCE_REASON_MAX + 1];
    int64_t created;        /* wall clock, Unix seconds */
    int64_t cancelled;      /* wall clock, or -1 */
    int64_t expired;        /* when its expiry was recorded, or -1 */
};

/* Read a body (see above) into *out. now is starts_at's default; max_len
 * the longest window (0: any, for text read back from the store); with a
 * catalog, service and owner must be in it. Returns 0, or -1 with an
 * error code ("invalid_json", "unknown_field", "invalid_window", ...) and
 * a sentence. */
int silence_parse(const char *body, size_t len, int64_t now, int64_t max_len,
                  const struct catalog *cat, struct silence *out, const char **code,
                  char *detail, size_t detsz);

/* The text stored for s: the body above with absolute times. */
void silence_spec_json(const struct silence *s, struct buf *out);

/* s as the API shows it at wall-clock now: id, kind, service, owner, group,
 * starts_at, ends_at, every ("daily", "weekly" or null), until (null for a
 * single window), expires_at,
 * state, next_window ({starts_at, ends_at} of the window now is in or the
 * next one, null when none is left), reason, and unless public_view also
 * creator, created and cancelled. */
void silence_json(const struct silence *s, int64_t now, int public_view, struct buf *out);

/* The window that t is in, or else the first after t: 1 with its bounds,
 * or 0 when none is left. Ignores cancellation. */
int silence_window(const struct silence *s, int64_t t, int64_t *start, int64_t *end);

/* The end of s's last window, or its cancellation if earlier. */
int64_t silence_expires(const struct silence *s);

/* "scheduled", "active", "expired" or "cancelled" at wall-clock now. */
const char *silence_state(const struct silence *s, int64_t now);

/* Whether s (not cancelled) holds back a state of the service (whose
 * owner and group are given; group may be NULL) at event time t. */
int silence_covers(const struct silence *s, const char *service, const char *owner,
                   const char *group, int64_t t);

#endif
