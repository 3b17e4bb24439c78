/* series.c - report counts per (service, country) in fixed rings (see
 * series.h). A series is one allocation holding a minute ring and an hour ring
 * of tagged slots. Each ring remembers its newest tag and where that tag's
 * slot is, so series_add finds any slot in the window by subtraction, not
 * division (only a jump longer than the ring needs one modulo). The window is
 * (newest - len, newest]: adds and reads outside it are ignored, so what a
 * query sees does not depend on the order reports came in. A flat table of
 * services * COUNTRY_SLOTS pointers finds a country's series with one load;
 * country series are allocated on their first report, up to max_series. One
 * writer-preferring rwlock guards it all, so a busy page cannot starve ingest. */
#include "series/series.h"

#include "core/alloc.h"
#include "core/log.h"
#include "report/country.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Newest tag of a ring that has never taken a report, and the tag of a slot
 * never written. Tags are floor(ts / 60) or floor(ts / 3600), never this. */
#define TAG_NONE INT64_MIN

struct slot {
    int64_t tag; /* minute or hour number, or TAG_NONE */
    uint32_t reports;
    uint32_t clients;
    uint32_t problems[REP_PROBLEM_COUNT];
};
_Static_assert(sizeof(struct slot) == 48, "series.h documents 48 bytes per slot");

struct ring {
    struct slot *slot;
    int64_t len;
    int64_t newest;    /* newest tag added, or TAG_NONE */
    int64_t newest_at; /* index of newest's slot */
};

/* One series: the counts of one service (all countries, or one country). */
struct track {
    struct ring minute;
    struct ring hour;
    struct slot slots[]; /* minute.len slots, then hour.len slots */
};

struct series {
    pthread_rwlock_t lock;
    size_t services;
    size_t max_series;
    size_t active; /* per-country tracks allocated */
    int minutes;
    int hours;
    int cap_warned;
    struct track **total;   /* [services]: all countries */
    struct track **country; /* [services * COUNTRY_SLOTS], NULL until first report */
};

/* ---------------------------------------------------------------- arithmetic */

/* Floor and ceiling of a / b for b > 0 (C division truncates toward zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return a % b < 0 ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return a % b > 0 ? q + 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static void count_one(uint32_t *c)
{
    if (*c != UINT32_MAX)
        (*c)++;
}

static uint32_t clamp_u32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* ---------------------------------------------------------------- rings */

static void ring_init(struct ring *r, struct slot *slots, int64_t len)
{
    r->slot = slots;
    r->len = len;
    r->newest = TAG_NONE;
    r->newest_at = 0;
    for (int64_t i = 0; i < len; i++)
        slots[i].tag = TAG_NONE;
}

/* Index of the slot for tag, which must be in the window. */
static int64_t ring_index(const struct ring *r, int64_t tag)
{
    int64_t i = r->newest_at - (r->newest - tag);
    return i < 0 ? i + r->len : i;
}

/* The slot that counts tag, reset if it held an older tag; moves the window
 * forward if tag is newer than any before. NULL if tag is older than the
 * window. */
static struct slot *ring_slot_for_add(struct ring *r, int64_t tag)
{
    int64_t i;

    if (r->newest == TAG_NONE || tag > r->newest) {
        if (r->newest != TAG_NONE && tag - r->newest < r->len) {
            i = r->newest_at + (tag - r->newest);
            if (i >= r->len)
                i -= r->len;
        } else {
            i = floor_mod(tag, r->len);
        }
        r->newest = tag;
        r->newest_at = i;
    } else if (r->newest - tag < r->len) {
        i = ring_index(r, tag);
    } else {
        return NULL;
    }
    struct slot *sl = &r->slot[i];
    if (sl->tag != tag) {
        memset(sl, 0, sizeof(*sl));
        sl->tag = tag;
    }
    return sl;
}

/* Sum the slots for tags [lo, lo + width) that are in the window into p. */
static void ring_sum(const struct ring *r, int64_t lo, int64_t width, struct series_point *p)
{
    if (r->newest == TAG_NONE)
        return;
    int64_t hi = lo + (width - 1); /* inclusive */
    int64_t oldest = r->newest - (r->len - 1);
    if (hi > r->newest)
        hi = r->newest;
    if (lo < oldest)
        lo = oldest;
    if (lo > hi)
        return;

    uint64_t reports = 0, clients = 0, problems[REP_PROBLEM_COUNT] = {0};
    int64_t i = ring_index(r, lo);
    for (int64_t tag = lo; tag <= hi; tag++) {
        const struct slot *sl = &r->slot[i];
        if (sl->tag == tag) {
            reports += sl->reports;
            clients += sl->clients;
            for (int k = 0; k < REP_PROBLEM_COUNT; k++)
                problems[k] += sl->problems[k];
        }
        if (++i == r->len)
            i = 0;
    }
    p->reports = clamp_u32(reports);
    p->clients = clamp_u32(clients);
    for (int k = 0; k < REP_PROBLEM_COUNT; k++)
        p->problems[k] = clamp_u32(problems[k]);
}

/* ---------------------------------------------------------------- tracks */

static struct track *track_new(int minutes, int hours)
{
    size_t slots = (size_t)minutes + (size_t)hours;
    struct track *t = xcalloc(1, sizeof(*t) + slots * sizeof(t->slots[0]));
    ring_init(&t->minute, t->slots, minutes);
    ring_init(&t->hour, t->slots + minutes, hours);
    return t;
}

static void slot_count(struct slot *sl, int problem, int counted)
{
    count_one(&sl->reports);
    if (counted) {
        count_one(&sl->clients);
        count_one(&sl->problems[problem]);
    }
}

static void track_add(struct track *t, int64_t minute, int64_t hour, int problem, int counted)
{
    struct slot *sl = ring_slot_for_add(&t->minute, minute);
    if (sl)
        slot_count(sl, problem, counted);
    sl = ring_slot_for_add(&t->hour, hour);
    if (sl)
        slot_count(sl, problem, counted);
}

/* The country's track, allocated now if it is the first report and the cap
 * allows; NULL beyond the cap. Called with the write lock held. */
static struct track *country_track(struct series *s, int service, int country)
{
    struct track **slot = &s->country[(size_t)service * COUNTRY_SLOTS + (size_t)country];
    if (*slot)
        return *slot;
    if (s->active >= s->max_series) {
        if (!s->cap_warned) {
            log_warn("series cap reached", "max_series=%zu", s->max_series);
            s->cap_warned = 1;
        }
        return NULL;
    }
    *slot = track_new(s->minutes, s->hours);
    s->active++;
    return *slot;
}

/* ---------------------------------------------------------------- API */

struct series *series_new(const struct series_config *cfg)
{
    if (cfg->minutes < 1 || cfg->hours < 1 || cfg->services > INT_MAX)
        return NULL;

    struct series *s = xcalloc(1, sizeof(*s));
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->lock, &attr);
    pthread_rwlockattr_destroy(&attr);

    s->services = cfg->services;
    s->max_series = cfg->max_series;
    s->minutes = cfg->minutes;
    s->hours = cfg->hours;
    s->total = xcalloc(cfg->services, sizeof(s->total[0]));
    for (size_t i = 0; i < cfg->services; i++)
        s->total[i] = track_new(cfg->minutes, cfg->hours);
    s->country = xcalloc(cfg->services * COUNTRY_SLOTS, sizeof(s->country[0]));
    return s;
}

void series_free(struct series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->services; i++)
        free(s->total[i]);
    for (size_t i = 0; i < s->services * COUNTRY_SLOTS; i++)
        free(s->country[i]);
    free(s->total);
    free(s->country);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

void series_add(struct series *s, int service, int country, int problem, int counted, int64_t ts)
{
    if (service < 0 || (size_t)service >= s->services || problem < 0 ||
        problem >= REP_PROBLEM_COUNT)
        return;
    int64_t minute = floor_div(ts, 60);
    int64_t hour = floor_div(ts, 3600);

    pthread_rwlock_wrlock(&s->lock);
    track_add(s->total[service], minute, hour, problem, counted);
    if (country >= 0 && country < COUNTRY_SLOTS) {
        struct track *t = country_track(s, service, country);
        if (t)
            track_add(t, minute, hour, problem, counted);
    }
    pthread_rwlock_unlock(&s->lock);
}

static int valid_series(const struct series *s, int service, int country)
{
    return service >= 0 && (size_t)service < s->services &&
           (country == SERIES_ALL_COUNTRIES || (country >= 0 && country < COUNTRY_SLOTS));
}

/* The track of a valid (service, country), or NULL when the country has none. */
static const struct track *find_track(const struct series *s, int service, int country)
{
    return country == SERIES_ALL_COUNTRIES
               ? s->total[service]
               : s->country[(size_t)service * COUNTRY_SLOTS + (size_t)country];
}

long series_query(struct series *s, int service, int country, int64_t from, int64_t to,
                  int step, struct series_point *out, size_t n)
{
    if (step <= 0 || step % 60 != 0 || !valid_series(s, service, country))
        return -1;

    /* Points are buckets [b * step, (b + 1) * step) for b in [first, end);
     * first is clamped so that every bucket start fits in an int64_t. */
    int64_t first = floor_div(from, step);
    int64_t lowest = ceil_div(INT64_MIN, step);
    if (first < lowest)
        first = lowest;
    int64_t end = ceil_div(to, step);
    if (end <= first)
        return 0;
    uint64_t count = (uint64_t)(end - first);
    if (count > n)
        count = n;
    if (count > LONG_MAX)
        count = LONG_MAX;

    int by_hour = step % 3600 == 0;
    int64_t width = by_hour ? step / 3600 : step / 60; /* ring tags per point */

    pthread_rwlock_rdlock(&s->lock);
    const struct track *t = find_track(s, service, country);
    for (uint64_t i = 0; i < count; i++) {
        int64_t b = first + (int64_t)i;
        memset(&out[i], 0, sizeof(out[i]));
        out[i].t = b * step;
        if (t)
            ring_sum(by_hour ? &t->hour : &t->minute, b * width, width, &out[i]);
    }
    pthread_rwlock_unlock(&s->lock);
    return (long)count;
}

long series_recent(struct series *s, int service, int country, int64_t end, int minutes,
                   struct series_point *out, size_t n)
{
    if (minutes < 1 || !valid_series(s, service, country) || n > LONG_MAX)
        return -1;
    int64_t last = ceil_div(end, 60); /* first minute tag after the buckets */
    pthread_rwlock_rdlock(&s->lock);
    const struct track *t = find_track(s, service, country);
    for (size_t i = 0; i < n; i++) {
        int64_t lo = last - (int64_t)(n - i) * minutes;
        memset(&out[i], 0, sizeof(out[i]));
        out[i].t = lo * 60;
        if (t)
            ring_sum(&t->minute, lo, minutes, &out[i]);
    }
    pthread_rwlock_unlock(&s->lock);
    return (long)n;
}

size_t series_countries(struct series *s, int service, int *out, size_t n)
{
    if (service < 0 || (size_t)service >= s->services)
        return 0;
    size_t found = 0;
    pthread_rwlock_rdlock(&s->lock);
    struct track *const *row = &s->country[(size_t)service * COUNTRY_SLOTS];
    for (int c = 0; c < COUNTRY_SLOTS; c++) {
        if (!row[c])
            continue;
        if (found < n)
            out[found] = c;
        found++;
    }
    pthread_rwlock_unlock(&s->lock);
    return found;
}

size_t series_active(struct series *s)
{
    pthread_rwlock_rdlock(&s->lock);
    size_t active = s->active;
    pthread_rwlock_unlock(&s->lock);
    return active;
}
