/* notify.c - the alerting stage (see notify.h).
 *
 * Three parts: the rules in memory (subscriptions and silences, under a
 * read-write lock, written through to the store first), the API's calls
 * on them, and the thread. The thread owns the curl multi handle (sender.h)
 * and sleeps in its poll, which new states, notify_wake and notify_close
 * cut short with sender_wakeup; otherwise it wakes for the next due
 * retry, or after a second.
 *
 * A batch of states is decided against the incident's notice (how far it
 * got, store/outbox.h) and its followers, read once per batch and updated
 * in memory as the batch goes, then written with the queued deliveries in
 * one transaction. If that fails (a full disk), the batch is kept and
 * tried again a second later; the decisions depend only on the states and
 * the stored notice, so trying again decides the same. Outcomes of
 * attempts are recorded before their deliveries may be picked again, so a
 * delivered message is never sent twice by a running server. */
#include "notify/notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "notify/decide.h"
#include "notify/sender.h"
#include "notify/sign.h"
#include "notify/silence.h"
#include "notify/sub.h"
#include "prom/prom.h"
#include "store/outbox.h"
#include "store/rules.h"

#define IDLE_WAIT_MS 1000       /* longest sleep with nothing due */
#define RETRY_BATCH_MS 1000     /* after a batch could not be stored */
#define OFFICIALS_PER_PASS 100
#define EXPIRY_CHECK_MS 1000    /* silences expiring */
#define TRIM_MS 600000          /* old deliveries and events */

/* A state handed over by live, with its own copies of the strings. */
struct queued {
    struct notify_state st;
};

/* A delivery in flight. */
struct flight {
    int64_t id;
    char subscription[SUB_ID_MAX + 1];
    char incident[OUTBOX_ID_MAX];
    char event[32];
    int attempts; /* before this one */
};

struct notify {
    struct notify_config cfg;
    char *webhooks;
    const struct catalog *cat;
    struct store *store;

    pthread_rwlock_t rules;         /* guards the two arrays below */
    struct sub *subs;               /* the file's first, then the API's */
    size_t nsubs;
    struct silence *silences;       /* by id */
    size_t nsilences;

    pthread_mutex_t mu;             /* guards the queue and the flags */
    struct queued *queue;
    size_t nqueue, capqueue;
    int stopping, woken;

    struct sender *sender;          /* the thread's; sender_wakeup from any */
    pthread_t thread;
    int started;

    /* The thread's own. */
    struct flight *flights;
    size_t nflights;
    struct outbox_result *results;  /* attempts not yet recorded */
    size_t nresults;
    int64_t official_after;
    int64_t next_dispatch;          /* Unix ms: when a head falls due */
    int64_t next_look;              /* Unix ms: when to look for official updates */
    int64_t hold_until;             /* Unix ms: no deciding before (the store failed) */
    int64_t next_expiry_check;      /* Unix ms */
    int64_t next_trim;              /* Unix ms */
    uint64_t rng;
};

/* ---- small helpers ------------------------------------------------------------ */

static int64_t now_ms(void)
{
    return time_now_ms();
}

/* xorshift64*, for the jitter of retries (not for secrets). */
static double random_unit(struct notify *n)
{
    n->rng ^= n->rng >> 12;
    n->rng ^= n->rng << 25;
    n->rng ^= n->rng >> 27;
    return (double)((n->rng * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

static void free_state(struct notify_state *st)
{
    free((char *)st->id);
    free((char *)st->group);
    free((char *)st->countries);
    free((char *)st->json);
}

static void copy_state(struct notify_state *out, const struct notify_state *st)
{
    *out = *st;
    out->id = xstrdup(st->id);
    out->group = st->group ? xstrdup(st->group) : NULL;
    out->countries = xstrdup(st->countries);
    out->json = xstrdup(st->json);
}

/* Index of a subscription by id, or -1; under the rules lock. */
static long find_sub(const struct notify *n, const char *id)
{
    for (size_t i = 0; i < n->nsubs; i++)
        if (strcmp(n->subs[i].id, id) == 0)
            return (long)i;
    return -1;
}

static long find_silence(const struct notify *n, int64_t id)
{
    for (size_t i = 0; i < n->nsilences; i++)
        if (n->silences[i].id == id)
            return (long)i;
    return -1;
}

/* ---- loading ---------------------------------------------------------------------- */

static char *read_file(const char *path, size_t max, size_t *len, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "cannot read webhooks file %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = xmalloc(max + 1);
    *len = fread(text, 1, max + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || *len > max) {
        snprintf(err, errsz, "webhooks file %s: %s", path,
                 failed ? "read error" : "larger than 1 MiB");
        free(text);
        return NULL;
    }
    return text;
}

/* The webhooks file's subscriptions: their count (in *out), or -1. */
static long load_file(const char *path, const struct catalog *cat, struct sub **out, char *err,
                      size_t errsz)
{
    *out = NULL;
    if (!path[0])
        return 0;
    size_t len;
    char *text = read_file(path, SUB_FILE_MAX, &len, err, errsz);
    if (!text)
        return -1;
    char why[256];
    long count = sub_parse_file(text, len, cat, out, why, sizeof(why));
    free(text);
    if (count < 0)
        snprintf(err, errsz, "webhooks file %s: %s", path, why);
    return count;
}

long notify_check_file(const char *path, const struct catalog *cat, char *err, size_t errsz)
{
    struct sub *subs;
    long count = load_file(path, cat, &subs, err, errsz);
    if (count > 0)
        sub_free_all(subs, (size_t)count);
    return count;
}

static void add_stored_sub(void *arg, const char *id, int64_t created, const char *spec)
{
    struct notify *n = arg;
    struct sub s = {0};
    const char *code;
    char detail[256];
    if (sub_parse_json(spec, strlen(spec), NULL, &s, &code, detail, sizeof(detail)) < 0 ||
        strlen(id) > SUB_ID_MAX) {
        log_error("stored subscription unreadable, skipped", "id=%s error=%s", id, code);
        sub_clear(&s);
        return;
    }
    snprintf(s.id, sizeof(s.id), "%s", id);
    s.created = created;
    n->subs = xrealloc(n->subs, (n->nsubs + 1) * sizeof(*n->subs));
    n->subs[n->nsubs++] = s;
}

static void add_stored_silence(void *arg, const struct rules_silence *r)
{
    struct notify *n = arg;
    struct silence s;
    const char *code;
    char detail[256];
    if (silence_parse(r->spec, strlen(r->spec), 0, 0, NULL, &s, &code, detail,
                      sizeof(detail)) < 0) {
        log_error("stored silence unreadable, skipped", "id=%lld error=%s", (long long)r->id,
                  code);
        return;
    }
    s.id = r->id;
    s.created = r->created;
    s.cancelled = r->cancelled;
    s.expired = r->expired;
    n->silences = xrealloc(n->silences, (n->nsilences + 1) * sizeof(*n->silences));
    n->silences[n->nsilences++] = s;
}

struct notify *notify_open(const struct notify_config *cfg, const struct catalog *cat,
                           struct store *store, char *err, size_t errsz)
{
    struct notify *n = xcalloc(1, sizeof(*n));
    n->cfg = *cfg;
    n->webhooks = xstrdup(cfg->webhooks ? cfg->webhooks : "");
    n->cat = cat;
    n->store = store;
    pthread_rwlock_init(&n->rules, NULL);
    pthread_mutex_init(&n->mu, NULL);
    n->rng = (uint64_t)time_mono_ns() | 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct sender_config sc = {cfg->concurrency, cfg->timeout_ms};
    n->sender = sender_new(&sc);
    long count = load_file(n->webhooks, cat, &n->subs, err, errsz);
    if (count < 0)
        goto fail;
    n->nsubs = (size_t)count;
    if (rules_subscriptions(store, add_stored_sub, n) < 0 ||
        rules_silences(store, add_stored_silence, n) < 0 ||
        outbox_mark(store, "official_update", &n->official_after) < 0) {
        snprintf(err, errsz, "cannot read the subscriptions and silences from the store");
        goto fail;
    }
    log_info("notifications ready", "file_subscriptions=%ld subscriptions=%zu silences=%zu",
             count, n->nsubs, n->nsilences);
    return n;
fail:
    notify_close(n);
    return NULL;
}

/* ---- the API's calls ------------------------------------------------------------------ */

/* A history event now, about a subscription or a silence. */
static struct history_event rule_event(const char *kind, const char *subscription,
                                       int64_t silence, const char *detail)
{
    return (struct history_event){.at = now_ms(), .kind = kind, .subscription = subscription,
                                  .silence = silence, .detail = detail};
}

int64_t notify_subscribe(struct notify *n, const char *body, size_t len, struct buf *out,
                         const char **code, char *detail, size_t detsz)
{
    struct sub s = {0};
    char hex[2 * 24 + 1];
    if (sub_parse_json(body, len, n->cat, &s, code, detail, detsz) < 0) {
        sub_clear(&s);
        return 0;
    }
    if (sign_random_hex(hex, 8) < 0) {
        sub_clear(&s);
        return -EIO;
    }
    snprintf(s.id, sizeof(s.id), SUB_API_PREFIX "%s", hex);
    if (!s.secret) {
        if (sign_random_hex(hex, 24) < 0) {
            sub_clear(&s);
            return -EIO;
        }
        s.secret = xmalloc(6 + sizeof(hex));
        snprintf(s.secret, 6 + sizeof(hex), "whsec_%s", hex);
    }
    s.created = time_now();
    struct buf spec, shown;
    buf_init(&spec);
    buf_init(&shown);
    sub_spec_json(&s, &spec);
    sub_json(&s, 0, &shown);
    struct history_event ev = rule_event("subscription_created", s.id, 0, shown.data);
    int rc = rules_add_subscription(n->store, s.id, s.created, spec.data, &ev);
    buf_free(&spec);
    buf_free(&shown);
    if (rc < 0) {
        sub_clear(&s);
        return rc;
    }
    sub_json(&s, 1, out);
    pthread_rwlock_wrlock(&n->rules);
    n->subs = xrealloc(n->subs, (n->nsubs + 1) * sizeof(*n->subs));
    n->subs[n->nsubs++] = s;
    pthread_rwlock_unlock(&n->rules);
    return 1;
}

void notify_subscriptions(struct notify *n, struct buf *out)
{
    pthread_rwlock_rdlock(&n->rules);
    for (size_t i = 0; i < n->nsubs; i++) {
        if (i)
            buf_putc(out, ',');
        sub_json(&n->subs[i], 0, out);
    }
    pthread_rwlock_unlock(&n->rules);
}

int notify_subscription(struct notify *n, const char *id, struct buf *out)
{
    pthread_rwlock_rdlock(&n->rules);
    long i = find_sub(n, id);
    if (i >= 0)
        sub_json(&n->subs[i], 0, out);
    pthread_rwlock_unlock(&n->rules);
    return i >= 0;
}

int notify_unsubscribe(struct notify *n, const char *id)
{
    pthread_rwlock_rdlock(&n->rules);
    long i = find_sub(n, id);
    int from_file = i >= 0 && n->subs[i].from_file;
    pthread_rwlock_unlock(&n->rules);
    if (i < 0)
        return 0;
    if (from_file)
        return -EPERM;
    struct history_event ev = rule_event("subscription_deleted", id, 0, NULL);
    int rc = rules_delete_subscription(n->store, id, &ev);
    if (rc <= 0)
        return rc;
    pthread_rwlock_wrlock(&n->rules);
    if ((i = find_sub(n, id)) >= 0) {
        sub_clear(&n->subs[i]);
        memmove(&n->subs[i], &n->subs[i + 1], (n->nsubs - (size_t)i - 1) * sizeof(*n->subs));
        n->nsubs--;
    }
    pthread_rwlock_unlock(&n->rules);
    return 1;
}

int64_t notify_silence(struct notify *n, const char *body, size_t len, struct buf *out,
                       const char **code, char *detail, size_t detsz)
{
    struct silence s;
    int64_t now = time_now();
    if (silence_parse(body, len, now, n->cfg.silence_max, n->cat, &s, code, detail, detsz) < 0)
        return 0;
    s.created = now;
    struct buf spec;
    buf_init(&spec);
    silence_spec_json(&s, &spec);
    struct history_event ev = rule_event("silence_created", NULL, 0, spec.data);
    int64_t id = rules_add_silence(n->store, now, spec.data, &ev);
    buf_free(&spec);
    if (id < 0)
        return id;
    s.id = id;
    silence_json(&s, now, 0, out);
    pthread_rwlock_wrlock(&n->rules);
    n->silences = xrealloc(n->silences, (n->nsilences + 1) * sizeof(*n->silences));
    n->silences[n->nsilences++] = s;
    pthread_rwlock_unlock(&n->rules);
    return id;
}

/* Whether a silence with scope service/owner (group-only scopes: no)
 * covers a catalog service. */
static int scope_covers(const struct silence *s, const struct cat_service *svc)
{
    return (s->service[0] || s->owner[0]) && (!s->service[0] || !strcmp(s->service, svc->id)) &&
           (!s->owner[0] || !strcmp(s->owner, svc->owner));
}

static int by_start(const void *a, const void *b)
{
    const struct silence *x = *(const struct silence *const *)a;
    const struct silence *y = *(const struct silence *const *)b;
    return x->starts != y->starts ? (x->starts > y->starts) - (x->starts < y->starts)
                                  : (x->id > y->id) - (x->id < y->id);
}

long notify_silences(struct notify *n, const struct notify_silence_filter *f, struct buf *out)
{
    int64_t now = time_now();
    const struct cat_service *svc = f->service >= 0 ? catalog_at(n->cat, (size_t)f->service)
                                                    : NULL;
    long count = 0;
    pthread_rwlock_rdlock(&n->rules);
    const struct silence **order = xcalloc(n->nsilences + 1, sizeof(*order));
    for (size_t i = 0; i < n->nsilences; i++)
        order[i] = &n->silences[i];
    qsort(order, n->nsilences, sizeof(*order), by_start);
    for (size_t i = 0; i < n->nsilences; i++) {
        const struct silence *s = order[i];
        const char *state = silence_state(s, now);
        if ((f->kind >= 0 && (int)s->kind != f->kind) || (f->state && strcmp(f->state, state)) ||
            (f->current && strcmp(state, "scheduled") && strcmp(state, "active")) ||
            (svc && !scope_covers(s, svc)))
            continue;
        if (count++)
            buf_putc(out, ',');
        silence_json(s, now, f->public_view, out);
    }
    free(order);
    pthread_rwlock_unlock(&n->rules);
    return count;
}

int notify_silence_get(struct notify *n, int64_t id, struct buf *out)
{
    pthread_rwlock_rdlock(&n->rules);
    long i = find_silence(n, id);
    if (i >= 0)
        silence_json(&n->silences[i], time_now(), 0, out);
    pthread_rwlock_unlock(&n->rules);
    return i >= 0;
}

int notify_unsilence(struct notify *n, int64_t id, struct buf *out)
{
    int64_t now = time_now();
    pthread_rwlock_rdlock(&n->rules);
    long i = find_silence(n, id);
    const char *state = i >= 0 ? silence_state(&n->silences[i], now) : NULL;
    pthread_rwlock_unlock(&n->rules);
    if (!state)
        return 0;
    if (!strcmp(state, "cancelled") || !strcmp(state, "expired"))
        return -EALREADY;
    struct history_event ev = rule_event("silence_deleted", NULL, id, NULL);
    int rc = rules_cancel_silence(n->store, id, now, &ev);
    if (rc <= 0)
        return rc < 0 ? rc : -EALREADY;
    pthread_rwlock_wrlock(&n->rules);
    if ((i = find_silence(n, id)) >= 0) {
        n->silences[i].cancelled = now;
        silence_json(&n->silences[i], now, 0, out);
    }
    pthread_rwlock_unlock(&n->rules);
    return 1;
}

int64_t notify_maintenance(struct notify *n, int service, const char *group, int64_t at)
{
    const struct cat_service *svc = catalog_at(n->cat, (size_t)service);
    int64_t id = 0;
    if (!svc)
        return 0;
    pthread_rwlock_rdlock(&n->rules);
    for (size_t i = 0; i < n->nsilences && !id; i++) {
        const struct silence *s = &n->silences[i];
        if (s->kind == SILENCE_MAINTENANCE && silence_covers(s, svc->id, svc->owner, group, at))
            id = s->id;
    }
    pthread_rwlock_unlock(&n->rules);
    return id;
}

int notify_reload(struct notify *n)
{
    struct sub *fresh;
    char err[512], detail[600];
    long count = load_file(n->webhooks, n->cat, &fresh, err, sizeof(err));
    struct buf text;
    buf_init(&text);
    if (count < 0) {
        buf_puts(&text, "{\"error\":");
        buf_json_cstr(&text, err);
        buf_putc(&text, '}');
        log_error("webhooks file not reloaded", "error=%s", log_quote(err, detail, sizeof(detail)));
    } else {
        pthread_rwlock_wrlock(&n->rules);
        size_t kept = 0;
        for (size_t i = 0; i < n->nsubs; i++) {
            if (n->subs[i].from_file)
                sub_clear(&n->subs[i]);
            else
                n->subs[kept++] = n->subs[i];
        }
        n->subs = xrealloc(n->subs, (kept + (size_t)count + 1) * sizeof(*n->subs));
        memmove(&n->subs[count], n->subs, kept * sizeof(*n->subs));
        if (count)
            memcpy(n->subs, fresh, (size_t)count * sizeof(*n->subs));
        n->nsubs = kept + (size_t)count;
        pthread_rwlock_unlock(&n->rules);
        free(fresh);
        buf_printf(&text, "{\"file\":");
        buf_json_cstr(&text, n->webhooks);
        buf_printf(&text, ",\"subscriptions\":%ld}", count);
        log_info("webhooks file reloaded", "subscriptions=%ld", count);
    }
    struct history_event ev = rule_event(count < 0 ? "config_reload_failed" : "config_reloaded",
                                         NULL, 0, text.data);
    history_add(n->store, &ev);
    buf_free(&text);
    notify_wake(n);
    return count < 0 ? -1 : 0;
}

/* Decide the queued states and the new official updates, and store what
 * was decided. The states are freed when stored; on failure they go back to
 * the front of the queue, to be decided again. */
static void requeue(struct notify *n, struct queued *q, size_t nq)
{
    pthread_mutex_lock(&n->mu);
    q = xrealloc(q, (nq + n->nqueue + 1) * sizeof(*q));
    memcpy(&q[nq], n->queue, n->nqueue * sizeof(*q));
    free(n->queue);
    n->queue = q;
    n->nqueue += nq;
    n->capqueue = n->nqueue + 1;
    pthread_mutex_unlock(&n->mu);
}

static void decide(struct notify *n, struct queued *q, size_t nq)
{
    int64_t now = now_ms();
    int look = now >= n->next_look, failed = 0;
    if (now < n->hold_until || (!nq && !look)) {
        if (nq)
            requeue(n, q, nq);
        else
            free(q);
        return;
    }
    struct decide_batch *b = decide_begin(n->store, now);
    pthread_rwlock_rdlock(&n->rules);
    struct decide_rules rules = {n->cat,       n->subs,      n->nsubs,
                                 n->silences,  n->nsilences, n->cfg.update_interval};
    for (size_t i = 0; i < nq && !failed; i++)
        failed = decide_state(b, &rules, &q[i].st) < 0;
    if (!failed && look) {
        failed = decide_officials(b, &rules, n->official_after, OFFICIALS_PER_PASS) < 0;
        n->next_look = now + IDLE_WAIT_MS;
    }
    pthread_rwlock_unlock(&n->rules);
    struct outbox_plan plan;
    int rc = failed ? -EIO : 0;
    if (!failed && decide_plan(b, &plan)) {
        plan.max_pending = n->cfg.outbox_max;
        rc = outbox_apply(n->store, &plan);
        if (rc == 0 && plan.official_mark > 0)
            n->official_after = plan.official_mark;
        if (rc == 0 && plan.nputs)
            n->next_dispatch = 0;
    }
    decide_end(b);
    if (rc == 0) {
        for (size_t i = 0; i < nq; i++)
            free_state(&q[i].st);
        free(q);
        return;
    }
    log_error("notifications not queued, retrying", "states=%zu error=%s", nq, strerror(-rc));
    requeue(n, q, nq);
    n->hold_until = now + RETRY_BATCH_MS;
}

/* ---- sending ------------------------------------------------------------------------ */

struct heads {
    struct outbox_delivery *rows;
    size_t n;
    char **strings;
    size_t nstrings;
};

static const char *keep(struct heads *h, const char *s)
{
    h->strings = xrealloc(h->strings, (h->nstrings + 1) * sizeof(*h->strings));
    return h->strings[h->nstrings++] = xstrdup(s ? s : "");
}

static void on_head(void *arg, const struct outbox_delivery *d)
{
    struct heads *h = arg;
    h->rows = xrealloc(h->rows, (h->n + 1) * sizeof(*h->rows));
    struct outbox_delivery *r = &h->rows[h->n++];
    *r = *d;
    r->subscription = keep(h, d->subscription);
    r->incident = keep(h, d->incident);
    r->event = keep(h, d->event);
    r->body = keep(h, d->body);
}

static int in_flight(const struct notify *n, const char *subscription)
{
    for (size_t i = 0; i < n->nflights; i++)
        if (strcmp(n->flights[i].subscription, subscription) == 0)
            return 1;
    return 0;
}

static void add_result(struct notify *n, const struct outbox_result *r)
{
    n->results = xrealloc(n->results, (n->nresults + 1) * sizeof(*n->results));
    n->results[n->nresults++] = *r;
}

/* Start one head's attempt; 0, or -1 when its subscription is gone (the
 * delivery is then cancelled). */
static int start(struct notify *n, const struct outbox_delivery *d)
{
    char url[SUB_URL_MAX + 1], secret[SUB_SECRET_MAX + 1];
    pthread_rwlock_rdlock(&n->rules);
    long i = find_sub(n, d->subscription);
    if (i >= 0) {
        snprintf(url, sizeof(url), "%s", n->subs[i].url);
        snprintf(secret, sizeof(secret), "%s", n->subs[i].secret);
    }
    pthread_rwlock_unlock(&n->rules);
    if (i < 0) {
        struct outbox_result r = {.id = d->id, .state = "cancelled", .attempts = d->attempts,
                                  .at = now_ms(), .next_at = d->next_at,
                                  .error = xstrdup("the subscription no longer exists")};
        add_result(n, &r);
        return -1;
    }
    char signature[SIGN_VALUE_MAX], h_sig[SIGN_VALUE_MAX + 32], h_event[64], h_id[64];
    size_t len = strlen(d->body);
    sign_value(secret, time_now(), d->body, len, signature);
    snprintf(h_sig, sizeof(h_sig), SIGN_HEADER ": %s", signature);
    snprintf(h_event, sizeof(h_event), "Downwatch-Event: %s", d->event);
    snprintf(h_id, sizeof(h_id), "Downwatch-Delivery: %lld", (long long)d->id);
    const char *headers[] = {"Content-Type: application/json", h_sig, h_event, h_id};
    if (sender_post(n->sender, d->id, url, headers, 4, d->body, len) < 0)
        return 0; /* no room: later */
    n->flights = xrealloc(n->flights, (n->nflights + 1) * sizeof(*n->flights));
    struct flight *f = &n->flights[n->nflights++];
    f->id = d->id;
    f->attempts = d->attempts;
    snprintf(f->subscription, sizeof(f->subscription), "%s", d->subscription);
    snprintf(f->incident, sizeof(f->incident), "%s", d->incident);
    snprintf(f->event, sizeof(f->event), "%s", d->event);
    return 0;
}

/* Start the heads that are due, as room allows; note when the next falls
 * due. */
static void dispatch(struct notify *n)
{
    int64_t now = now_ms();
    if (now < n->next_dispatch || n->nresults)
        return;
    struct heads h = {0};
    n->next_dispatch = now + IDLE_WAIT_MS;
    if (outbox_heads(n->store, on_head, &h) < 0)
        log_error("cannot read the outbox", NULL);
    for (size_t i = 0; i < h.n; i++) {
        const struct outbox_delivery *d = &h.rows[i];
        if (in_flight(n, d->subscription))
            continue;
        if (d->next_at > now) {
            if (d->next_at < n->next_dispatch)
                n->next_dispatch = d->next_at;
            continue;
        }
        if (sender_active(n->sender) >= n->cfg.concurrency)
            break;
        start(n, d);
    }
    for (size_t i = 0; i < h.nstrings; i++)
        free(h.strings[i]);
    free(h.strings);
    free(h.rows);
}

/* A finished attempt: what it means for its delivery. */
static void on_done(void *arg, int64_t tag, int status, const char *error)
{
    struct notify *n = arg;
    size_t i = 0;
    while (i < n->nflights && n->flights[i].id != tag)
        i++;
    if (i == n->nflights)
        return;
    struct flight f = n->flights[i];
    n->flights[i] = n->flights[--n->nflights];
    int64_t now = now_ms();
    int attempts = f.attempts + 1, ok = status >= 200 && status < 300;
    char why[CURL_ERROR_SIZE + 32];
    if (!ok && status)
        snprintf(why, sizeof(why), "HTTP %d", status);
    else
        snprintf(why, sizeof(why), "%s", error ? error : "");
    int64_t pause = sender_backoff_ms(attempts, n->cfg.retry_base_ms, n->cfg.retry_max_ms,
                                      random_unit(n));
    const char *state = ok ? "delivered" : attempts >= n->cfg.attempts ? "dead" : "pending";
    prom_count("downwatch_webhook_deliveries_total",
               ok ? "delivered" : state[0] == 'd' ? "failed" : "retried", 1);
    struct buf detail;
    buf_init(&detail);
    buf_printf(&detail, "{\"event\":\"%s\",\"attempt\":%d,\"status\":", f.event, attempts);
    if (status)
        buf_printf(&detail, "%d", status);
    else
        buf_puts(&detail, "null");
    if (!ok) {
        buf_puts(&detail, ",\"error\":");
        buf_json_cstr(&detail, why);
    }
    if (!ok && attempts < n->cfg.attempts)
        buf_printf(&detail, ",\"retry_in_ms\":%lld", (long long)pause);
    buf_putc(&detail, '}');
    struct outbox_result r = {
        .id = f.id,
        .state = state,
        .attempts = attempts,
        .at = now,
        .next_at = now + pause,
        .status = status,
        .error = ok ? NULL : xstrdup(why),
        .event = {.at = now,
                  .kind = ok                ? "notification_sent"
                          : state[0] == 'd' ? "notification_dead"
                                            : "notification_failed",
                  .incident = xstrdup(f.incident),
                  .subscription = xstrdup(f.subscription),
                  .delivery = f.id,
                  .detail = buf_steal(&detail, NULL)},
    };
    add_result(n, &r);
    n->next_dispatch = 0;
}

static void clear_results(struct notify *n)
{
    for (size_t i = 0; i < n->nresults; i++) {
        free((char *)n->results[i].error);
        free((char *)n->results[i].event.incident);
        free((char *)n->results[i].event.subscription);
        free((char *)n->results[i].event.detail);
    }
    n->nresults = 0;
}

/* Store the outcomes of attempts (kept until they are stored, their
 * deliveries not picked again meanwhile). */
static void record(struct notify *n)
{
    if (n->nresults && outbox_record(n->store, n->results, n->nresults) == 0)
        clear_results(n);
}

/* ---- housekeeping ----------------------------------------------------------------------- */

/* Record the silences whose last window has ended (once a second), and
 * trim old deliveries and events (every ten minutes). */
static void housekeeping(struct notify *n)
{
    int64_t now = time_now();
    if (now_ms() < n->next_expiry_check)
        return;
    n->next_expiry_check = now_ms() + EXPIRY_CHECK_MS;
    int64_t *expired = NULL;
    size_t nexpired = 0;
    pthread_rwlock_rdlock(&n->rules);
    for (size_t i = 0; i < n->nsilences; i++) {
        const struct silence *s = &n->silences[i];
        if (s->cancelled < 0 && s->expired < 0 && silence_expires(s) <= now) {
            expired = xrealloc(expired, (nexpired + 1) * sizeof(*expired));
            expired[nexpired++] = s->id;
        }
    }
    pthread_rwlock_unlock(&n->rules);
    for (size_t i = 0; i < nexpired; i++) {
        struct history_event ev = rule_event("silence_expired", NULL, expired[i], NULL);
        if (rules_expire_silence(n->store, expired[i], now, &ev) < 0)
            continue;
        pthread_rwlock_wrlock(&n->rules);
        long k = find_silence(n, expired[i]);
        if (k >= 0)
            n->silences[k].expired = now;
        pthread_rwlock_unlock(&n->rules);
    }
    free(expired);
    if (now_ms() < n->next_trim)
        return;
    n->next_trim = now_ms() + TRIM_MS;
    if (outbox_prune(n->store, now_ms() - n->cfg.retention_ms) < 0 ||
        history_prune(n->store, n->cfg.events_max) < 0)
        log_warn("cannot trim old deliveries and events", NULL);
}

/* ---- the thread ------------------------------------------------------------------------- */

static void *run(void *arg)
{
    struct notify *n = arg;
    pthread_setname_np(pthread_self(), "dw-notify");
    for (;;) {
        pthread_mutex_lock(&n->mu);
        if (n->stopping) {
            pthread_mutex_unlock(&n->mu);
            break; /* notify_close frees what is queued */
        }
        struct queued *q = n->queue;
        size_t nq = n->nqueue;
        if (n->woken)
            n->next_dispatch = n->next_look = 0;
        n->woken = 0;
        n->queue = NULL;
        n->nqueue = n->capqueue = 0;
        pthread_mutex_unlock(&n->mu);
        decide(n, q, nq);
        record(n);
        housekeeping(n);
        dispatch(n);
        int64_t wait = n->next_dispatch - now_ms();
        if (n->nresults)
            wait = RETRY_BATCH_MS; /* the store failed: try again in a while */
        sender_wait(n->sender, (int)(wait < 0 ? 0 : wait > IDLE_WAIT_MS ? IDLE_WAIT_MS : wait));
        sender_done(n->sender, on_done, n);
    }
    sender_done(n->sender, on_done, n); /* what finished meanwhile is recorded */
    record(n);
    return NULL;
}

int notify_start(struct notify *n)
{
    n->next_trim = now_ms() + 1000;
    int rc = pthread_create(&n->thread, NULL, run, n);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    n->started = 1;
    return 0;
}

void notify_states(struct notify *n, const struct notify_state *states, size_t count)
{
    if (!count)
        return;
    pthread_mutex_lock(&n->mu);
    if (n->nqueue + count > n->capqueue) {
        n->capqueue = (n->nqueue + count) * 2;
        n->queue = xrealloc(n->queue, n->capqueue * sizeof(*n->queue));
    }
    for (size_t i = 0; i < count; i++)
        copy_state(&n->queue[n->nqueue++].st, &states[i]);
    pthread_mutex_unlock(&n->mu);
    sender_wakeup(n->sender);
}

void notify_wake(struct notify *n)
{
    pthread_mutex_lock(&n->mu);
    n->woken = 1;
    pthread_mutex_unlock(&n->mu);
    sender_wakeup(n->sender);
}

void notify_close(struct notify *n)
{
    if (!n)
        return;
    if (n->started) {
        pthread_mutex_lock(&n->mu);
        n->stopping = 1;
        pthread_mutex_unlock(&n->mu);
        sender_wakeup(n->sender);
        pthread_join(n->thread, NULL);
    }
    sender_free(n->sender);
    curl_global_cleanup();
    for (size_t i = 0; i < n->nqueue; i++)
        free_state(&n->queue[i].st);
    clear_results(n);
    sub_free_all(n->subs, n->nsubs);
    free(n->silences);
    free(n->queue);
    free(n->flights);
    free(n->results);
    free(n->webhooks);
    pthread_rwlock_destroy(&n->rules);
    pthread_mutex_destroy(&n->mu);
    free(n);
}
