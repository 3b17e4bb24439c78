/* live.c - the engine in the server: feeding, the ticker, persistence (see
 * live.h). Every advance of event time that closes a minute (the walk over
 * every series) is timed, whoever drives it, the ticker or a fed report,
 * into the histogram downwatch_detector_tick_duration_seconds. */
#include "live/live.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "guard/guard.h"
#include "notify/notify.h"
#include "prom/prom.h"
#include "store/store.h"

_Static_assert((int)GUARD_REPEAT == DET_REPEAT && (int)GUARD_COUNTED == DET_VOTE &&
                   (int)GUARD_FIRST_REPEAT == DET_FIRST_REPEAT,
               "a stored vote result is fed as it is");

#define LIVE_WINDOW 600   /* the watermark follows the clock when this close to it */
#define LEAD 2            /* the ticker's watermark runs ahead of the clock (live.h) */
#define ID_MAX 128        /* an incident id, NUL included */

static const struct prom_spec tick_duration_spec = {
    .name = "downwatch_detector_tick_duration_seconds",
    .help = "Time the detector took to advance event time over a minute's end: close the "
            "minute of every series, score it, update the incidents.",
    .kind = PROM_DURATIONS,
};

/* One incident state waiting to be stored and notified. */
struct pending {
    char *id, *service, *group, *json, *countries;
    enum det_event event;
    int service_index, ncountries;
    int64_t start, detected_at, end, updated;
    double observed, expected;
    int64_t maintenance;
};

struct live {
    pthread_mutex_t mu;     /* guards the engine and the queue */
    struct det *det;
    struct pending *queue;
    size_t nqueue, capqueue;
    struct store *store;
    struct notify *notify;  /* NULL: no notifications */
    pthread_t ticker;
    int started;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stopping;
    struct prom_family *tick_duration;
};

static const char *event_name(enum det_event ev)
{
    return ev == DET_OPENED ? "opened" : ev == DET_RESOLVED ? "resolved" : "updated";
}

/* The id of the incident's group into out (ID_MAX bytes), or NULL. */
static const char *group_id(const struct live *l, const struct det_incident *inc, char *out)
{
    if (!inc->group)
        return NULL;
    det_incident_id(l->det, inc->group, out, ID_MAX);
    return out;
}

/* The incident's JSON as the server shows it: the engine's, and whether it
 * was detected in a maintenance window ("maintenance"); group is its group's
 * id or NULL. Under mu. Returns that window's id, or 0. */
static int64_t incident_json(struct live *l, const struct det_incident *inc, const char *group,
                             struct buf *out)
{
    int64_t window = l->notify ? notify_maintenance(l->notify, inc->service, group,
                                                    inc->detected_at)
                               : 0;
    det_incident_json(l->det, inc, out);
    out->len--; /* its closing brace */
    buf_printf(out, ",\"maintenance\":%s}", window ? "true" : "false");
    return window;
}

/* The anomalous countries as "BR,GB,IN". */
static char *country_list(const struct det_incident *inc)
{
    struct buf list;
    buf_init(&list);
    for (int i = 0; i < inc->ncountries; i++) {
        char code[3];
        buf_printf(&list, "%s%s", i ? "," : "", country_code(inc->countries[i], code));
    }
    return buf_steal(&list, NULL);
}

/* The engine's callback, under mu: copy the state into the queue. */
static void on_event(const struct det_incident *inc, enum det_event ev, void *ctx)
{
    struct live *l = ctx;
    char id[ID_MAX], group_buf[ID_MAX];
    const char *group = group_id(l, inc, group_buf);
    struct buf json;
    buf_init(&json);
    int64_t maintenance = incident_json(l, inc, group, &json);
    det_incident_id(l->det, inc, id, sizeof(id));
    if (l->nqueue == l->capqueue) {
        l->capqueue = l->capqueue ? l->capqueue * 2 : 64;
        l->queue = xrealloc(l->queue, l->capqueue * sizeof(*l->queue));
    }
    l->queue[l->nqueue++] = (struct pending){
        .id = xstrdup(id),
        .service = xstrdup(det_service_name(l->det, inc->service)),
        .group = group ? xstrdup(group) : NULL,
        .json = buf_steal(&json, NULL),
        .countries = country_list(inc),
        .event = ev,
        .service_index = inc->service,
        .ncountries = inc->ncountries,
        .start = inc->start,
        .detected_at = inc->detected_at,
        .end = inc->end,
        .updated = inc->updated,
        .observed = inc->observed,
        .expected = inc->expected,
        .maintenance = maintenance,
    };
}

struct live *live_new(const struct catalog *cat, struct store *store, struct notify *notify,
                      const struct det_config *cfg)
{
    struct live *l = xcalloc(1, sizeof(*l));
    l->notify = notify;
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->stop_mu, NULL);
    pthread_cond_init(&l->stop_cv, NULL);
    l->store = store;
    l->tick_duration = prom_register(&tick_duration_spec);
    l->det = det_new(cfg, on_event, l);
    for (size_t i = 0; i < catalog_count(cat); i++) {
        const struct cat_service *s = catalog_at(cat, i);
        int index = det_service(l->det, s->id, strlen(s->id));
        det_service_owner(l->det, index, s->owner);
    }
    return l;
}

void live_flush(struct live *l)
{
    pthread_mutex_lock(&l->mu);
    struct pending *q = l->queue;
    size_t n = l->nqueue;
    l->queue = NULL;
    l->nqueue = l->capqueue = 0;
    pthread_mutex_unlock(&l->mu);
    if (n == 0)
        return;
    struct store_incident *rows = xcalloc(n, sizeof(*rows));
    struct notify_state *states = xcalloc(n, sizeof(*states));
    static const enum payload_event events[] = {
        [DET_OPENED] = EVENT_OPENED, [DET_UPDATED] = EVENT_UPDATED, [DET_RESOLVED] = EVENT_RESOLVED};
    for (size_t i = 0; i < n; i++) {
        rows[i] = (struct store_incident){q[i].id,          q[i].service,
                                          q[i].group,       q[i].start,
                                          q[i].detected_at, q[i].end,
                                          q[i].updated,     event_name(q[i].event),
                                          q[i].json};
        states[i] = (struct notify_state){q[i].id,        q[i].group,       q[i].service_index,
                                          events[q[i].event], q[i].updated, q[i].start,
                                          q[i].end,       q[i].ncountries,  q[i].countries,
                                          q[i].observed,  q[i].expected,    q[i].maintenance,
                                          q[i].json};
    }
    int rc = store_put_incidents(l->store, rows, n);
    if (rc < 0)
        log_error("cannot store incidents", "states=%zu error=%s", n, strerror(-rc));
    /* Notified whether or not they could be stored: the page matters more
     * than the record, and the states are detected again at the next start. */
    if (l->notify)
        notify_states(l->notify, states, n);
    for (size_t i = 0; i < n; i++) {
        free(q[i].id);
        free(q[i].service);
        free(q[i].group);
        free(q[i].json);
        free(q[i].countries);
    }
    free(rows);
    free(states);
    free(q);
}

/* det_advance to t, under mu, timed when it closes a minute (the engine has
 * an open minute once it has seen a time). */
static void advance(struct live *l, int64_t t)
{
    int64_t now = det_now(l->det);
    int64_t minute_end = now - (now % 60 + 60) % 60 + 60;
    if (now == 0 || t < minute_end) {
        det_advance(l->det, t);
        return;
    }
    int64_t start = time_mono_ns();
    det_advance(l->det, t);
    prom_observe_ns(l->tick_duration, 0, time_mono_ns() - start);
}

static void *tick_loop(void *arg)
{
    struct live *l = arg;
    pthread_mutex_lock(&l->stop_mu);
    while (!l->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&l->stop_cv, &l->stop_mu, &until);
        pthread_mutex_unlock(&l->stop_mu);
        int64_t now = time_now() + LEAD;
        pthread_mutex_lock(&l->mu);
        int64_t watermark = det_now(l->det);
        if (watermark < now && now - watermark <= LIVE_WINDOW)
            advance(l, now);
        pthread_mutex_unlock(&l->mu);
        live_flush(l);
        pthread_mutex_lock(&l->stop_mu);
    }
    pthread_mutex_unlock(&l->stop_mu);
    return NULL;
}

int live_start(struct live *l)
{
    int rc = pthread_create(&l->ticker, NULL, tick_loop, l);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    l->started = 1;
    return 0;
}

void live_free(struct live *l)
{
    if (!l)
        return;
    if (l->started) {
        pthread_mutex_lock(&l->stop_mu);
        l->stopping = 1;
        pthread_cond_signal(&l->stop_cv);
        pthread_mutex_unlock(&l->stop_mu);
        pthread_join(l->ticker, NULL);
    }
    live_flush(l);
    det_free(l->det);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->stop_mu);
    pthread_cond_destroy(&l->stop_cv);
    free(l);
}

void live_feed(struct live *l, const struct store_report *rows, size_t n)
{
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < n; i++) {
        advance(l, rows[i].ts); /* what det_feed would do first, timed */
        det_feed(l->det, rows[i].service, rows[i].country, rows[i].problem,
                 (enum det_vote)rows[i].counted, rows[i].ts);
    }
    pthread_mutex_unlock(&l->mu);
}

static const char *const status_names[] = {"ok", "degraded", "outage"};

/* The watermark, or the clock before the engine has seen anything; under mu. */
static int64_t now_locked(const struct live *l)
{
    int64_t now = det_now(l->det);
    return now > 0 ? now : time_now();
}

int live_status(struct live *l, int service, const char **status, struct buf *open_json)
{
    pthread_mutex_lock(&l->mu);
    const struct det_incident *open;
    enum det_status st = det_service_status(l->det, service, &open);
    *status = status_names[st];
    if (open) {
        char group[ID_MAX];
        incident_json(l, open, group_id(l, open, group), open_json);
    }
    pthread_mutex_unlock(&l->mu);
    return open != NULL;
}

void live_open_incidents(struct live *l, unsigned char *open, size_t n)
{
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < n; i++) {
        const struct det_incident *inc;
        det_service_status(l->det, (int)i, &inc);
        open[i] = inc != NULL;
    }
    pthread_mutex_unlock(&l->mu);
}

int64_t live_now(struct live *l)
{
    pthread_mutex_lock(&l->mu);
    int64_t now = now_locked(l);
    pthread_mutex_unlock(&l->mu);
    return now;
}

void live_view(struct live *l, int service, struct live_view *out)
{
    pthread_mutex_lock(&l->mu);
    out->now = now_locked(l);
    const struct det_incident *open;
    out->status = status_names[det_service_status(l->det, service, &open)];
    out->incident[0] = out->group[0] = '\0';
    out->incident_start = -1;
    out->ncountries = 0;
    if (open) {
        det_incident_id(l->det, open, out->incident, sizeof(out->incident));
        if (open->group)
            det_incident_id(l->det, open->group, out->group, sizeof(out->group));
        out->incident_start = open->start;
        out->ncountries = open->ncountries;
        memcpy(out->countries, open->countries, sizeof(out->countries));
    }
    det_baseline(l->det, service, -1, &out->total);
    pthread_mutex_unlock(&l->mu);
}

int live_baseline(struct live *l, int service, int country, struct base *out)
{
    pthread_mutex_lock(&l->mu);
    int found = det_baseline(l->det, service, country, out);
    pthread_mutex_unlock(&l->mu);
    return found;
}
