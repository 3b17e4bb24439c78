/* decide.c - what incident states and official updates mean to each
 * subscription (the rules are in notify.h, step 1 and 2).
 *
 * A batch reads each incident's notice and followers from the store once,
 * then keeps them up to date in memory as it decides, so several states of
 * one incident in a batch (opened, then resolved a second later) see each
 * other. Payloads are rendered once per event and format, and the batch
 * owns every string of its plan until decide_end. */
#include "notify/decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "notify/silence.h"
#include "notify/sub.h"
#include "store/outbox.h"

#define STATE_MAX 16 /* "superseded" and the other row states */

/* The items of comma list a that list b lacks, comma-joined, into out. */
static void list_minus(const char *a, const char *b, struct buf *out)
{
    for (const char *p = a; *p;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (const char *q = b; *q && !found;) {
            size_t qlen = strcspn(q, ",");
            found = qlen == len && memcmp(p, q, len) == 0;
            q += qlen + (q[qlen] == ',');
        }
        if (!found) {
            if (out->len)
                buf_putc(out, ',');
            buf_append(out, p, len);
        }
        p += len + (p[len] == ',');
    }
}

/* A subscription's "opened" row for an incident, as far as the batch knows. */
struct follower {
    char subscription[SUB_ID_MAX + 1];
    char state[STATE_MAX];
};

/* An incident the batch touched: its notice and followers, kept up to date. */
struct tracked {
    struct outbox_notice notice;
    int known;             /* it has a notice (stored, or decided in this batch) */
    int dirty;             /* the notice changed */
    struct follower *followers;
    size_t nfollowers;
};

/* What a batch decides, and the strings it owns until it is applied. */
struct decide_batch {
    struct store *store;
    struct tracked *incidents;
    size_t nincidents;
    struct outbox_put *puts;
    size_t nputs;
    struct history_event *events;
    size_t nevents;
    char **owned;
    size_t nowned;
    struct outbox_notice *notices; /* the plan's, of the dirty incidents */
    int64_t official_mark;
    int64_t now;
};

static const char *own(struct decide_batch *b, char *s)
{
    b->owned = xrealloc(b->owned, (b->nowned + 1) * sizeof(*b->owned));
    b->owned[b->nowned++] = s;
    return s;
}

void decide_end(struct decide_batch *b)
{
    if (!b)
        return;
    free(b->notices);
    for (size_t i = 0; i < b->nincidents; i++)
        free(b->incidents[i].followers);
    for (size_t i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    free(b->incidents);
    free(b->puts);
    free(b->events);
    free(b->owned);
    free(b);
}

static void add_follower(void *arg, const char *subscription, const char *state)
{
    struct tracked *t = arg;
    t->followers = xrealloc(t->followers, (t->nfollowers + 1) * sizeof(*t->followers));
    struct follower *f = &t->followers[t->nfollowers++];
    snprintf(f->subscription, sizeof(f->subscription), "%s", subscription);
    snprintf(f->state, sizeof(f->state), "%s", state);
}

/* The batch's record of an incident, read from the store the first time;
 * NULL when the store cannot be read. */
static struct tracked *track(struct decide_batch *b, const char *incident)
{
    for (size_t i = 0; i < b->nincidents; i++)
        if (strcmp(b->incidents[i].notice.incident, incident) == 0)
            return &b->incidents[i];
    b->incidents = xrealloc(b->incidents, (b->nincidents + 1) * sizeof(*b->incidents));
    struct tracked *t = &b->incidents[b->nincidents];
    memset(t, 0, sizeof(*t));
    int found = outbox_notice(b->store, incident, &t->notice);
    if (found < 0 || (found && outbox_followers(b->store, incident, add_follower, t) < 0)) {
        free(t->followers);
        return NULL;
    }
    t->known = found;
    if (!found) {
        snprintf(t->notice.incident, sizeof(t->notice.incident), "%s", incident);
        t->notice.sent_at = -1;
    }
    b->nincidents++;
    return t;
}

static struct follower *follower_of(struct tracked *t, const char *subscription)
{
    for (size_t i = 0; i < t->nfollowers; i++)
        if (strcmp(t->followers[i].subscription, subscription) == 0)
            return &t->followers[i];
    return NULL;
}

/* Whether a subscription hears of the incident: its "opened" was queued,
 * sent, given up, or left out by its events filter; not when suppressed. */
static int following(const struct follower *f)
{
    return f && strcmp(f->state, "suppressed") != 0 && strcmp(f->state, "cancelled") != 0;
}

static void add_event(struct decide_batch *b, const char *kind, const char *incident,
                      const char *detail)
{
    b->events = xrealloc(b->events, (b->nevents + 1) * sizeof(*b->events));
    b->events[b->nevents++] = (struct history_event){
        .at = b->now, .kind = kind, .incident = incident, .detail = detail};
}

/* What silences a message about an incident state: "maintenance N" or
 * "silence N" in why, the silence's id returned; 0 when nothing does.
 * Under the rules lock. */
static int64_t suppressor(const struct decide_rules *r, const char *service, const char *owner,
                          const char *group, int64_t at, int64_t maintenance, char *why,
                          size_t whysz)
{
    if (maintenance) {
        snprintf(why, whysz, "maintenance %lld", (long long)maintenance);
        return maintenance;
    }
    for (size_t i = 0; i < r->nsilences; i++) {
        const struct silence *s = &r->silences[i];
        if (silence_covers(s, service, owner, group, at)) {
            snprintf(why, whysz, "%s %lld", s->kind == SILENCE_MUTE ? "silence" : "maintenance",
                     (long long)s->id);
            return s->id;
        }
    }
    return 0;
}

/* The messages of one state or official update: the notice, and the
 * payloads rendered once per event and format. */
struct message {
    struct payload_notice notice;
    const char *bodies[EVENT_COUNT][2];
    int64_t silence;
    char why[64];
};

static const char *body_for(struct decide_batch *b, struct message *m, enum payload_event ev,
                            enum sub_format format)
{
    const char **slot = &m->bodies[ev][format == SUB_FORMAT_SLACK];
    if (!*slot) {
        struct buf out;
        buf_init(&out);
        m->notice.event = ev;
        if (format == SUB_FORMAT_SLACK)
            payload_slack(&m->notice, &out);
        else
            payload_json(&m->notice, &out);
        *slot = own(b, buf_steal(&out, NULL));
    }
    return *slot;
}

/* Queue one message to a subscription; an "opened" also makes (or
 * updates) it a follower. */
static void put(struct decide_batch *b, struct tracked *t, struct message *m, const struct sub *s,
                enum payload_event ev, int64_t seq)
{
    struct follower *f = follower_of(t, s->id);
    const char *state = m->silence                                      ? "suppressed"
                        : ev == EVENT_OPENED && !sub_wants(s, EVENT_OPENED) ? "skipped"
                                                                          : "pending";
    int again = ev == EVENT_OPENED && f && strcmp(f->state, state) == 0;
    b->puts = xrealloc(b->puts, (b->nputs + 1) * sizeof(*b->puts));
    struct outbox_put *p = &b->puts[b->nputs++];
    *p = (struct outbox_put){
        .row = {.subscription = own(b, xstrdup(s->id)),
                .incident = own(b, xstrdup(t->notice.incident)),
                .event = payload_event_name(ev),
                .seq = seq,
                .state = state,
                .body = body_for(b, m, ev, s->format),
                .reason = m->silence ? own(b, xstrdup(m->why)) : NULL},
        .events_before = b->nevents,
    };
    if (m->silence && !again) {
        struct buf detail;
        buf_init(&detail);
        buf_printf(&detail, "{\"event\":\"%s\",\"reason\":\"%s\"}", payload_event_name(ev),
                   m->why);
        p->event_kind = "notification_suppressed";
        p->event_detail = own(b, buf_steal(&detail, NULL));
    }
    if (ev != EVENT_OPENED)
        return;
    if (!f) {
        add_follower(t, s->id, state);
        return;
    }
    snprintf(f->state, sizeof(f->state), "%s", state);
}

static void incident_event(struct decide_batch *b, struct tracked *t, const char *kind,
                           const struct notify_state *st, enum payload_severity sev)
{
    struct buf d;
    char when[32];
    buf_init(&d);
    time_format(st->updated, when, sizeof(when));
    buf_printf(&d, "{\"service\":\"%s\",\"severity\":\"%s\",\"maintenance\":%s,\"event_time\":"
                   "\"%s\",\"countries\":\"%s\"}",
               t->notice.service, payload_severity_name(sev), st->maintenance ? "true" : "false",
               when, st->countries);
    add_event(b, kind, own(b, xstrdup(t->notice.incident)), own(b, buf_steal(&d, NULL)));
}

int decide_state(struct decide_batch *b, const struct decide_rules *r,
                 const struct notify_state *st)
{
    struct tracked *t = track(b, st->id);
    if (!t)
        return -1;
    struct outbox_notice *no = &t->notice;
    if (t->known && (no->resolved || (st->event != EVENT_RESOLVED && st->updated <= no->seen)))
        return 0; /* handled before: the history fed again at start-up */
    const struct cat_service *svc = catalog_at(r->cat, (size_t)st->service);
    enum payload_severity sev = payload_severity(st->ncountries, st->observed, st->expected);
    /* What changed since the last message: countries as sets (their order,
     * most extra first, moves every minute), and the severity. */
    struct buf added, removed;
    buf_init(&added);
    buf_init(&removed);
    list_minus(st->countries, no->sent_countries, &added);
    list_minus(no->sent_countries, st->countries, &removed);
    int changed = added.len || removed.len || (int)sev != no->sent_severity;
    int level = -1; /* the incident's own message, if any */
    if (!t->known)
        level = EVENT_OPENED;
    else if (st->event == EVENT_RESOLVED)
        level = EVENT_RESOLVED;
    else if (no->sent_at < 0 ||
             (changed && ((int)sev > no->top_severity ||
                          st->updated - no->sent_at >= r->update_interval)))
        level = EVENT_UPDATED;
    snprintf(no->service, sizeof(no->service), "%s", svc->id);
    if (level == EVENT_OPENED)
        incident_event(b, t, "incident_opened", st, sev);
    if (level == EVENT_RESOLVED)
        incident_event(b, t, "incident_resolved", st, sev);

    struct message m = {.notice = {
                            .incident = no->incident,
                            .service = svc->id,
                            .service_name = svc->name,
                            .owner = svc->owner,
                            .group = st->group,
                            .severity = sev,
                            .countries = st->countries,
                            .countries_added = added.len ? added.data : "",
                            .countries_removed = removed.len ? removed.data : "",
                            .severity_before = t->known ? no->sent_severity : -1,
                            .start = st->start,
                            .end = st->end,
                            .incident_json = st->json,
                            .sent = b->now,
                        }};
    m.silence = suppressor(r, svc->id, svc->owner, st->group, st->updated, st->maintenance, m.why,
                           sizeof(m.why));
    for (size_t i = 0; i < r->nsubs; i++) {
        const struct sub *s = &r->subs[i];
        int follows = following(follower_of(t, s->id));
        if (level == EVENT_RESOLVED || (follows && level == EVENT_UPDATED)) {
            if (follows && sub_wants(s, (enum payload_event)level))
                put(b, t, &m, s, (enum payload_event)level,
                    level == EVENT_UPDATED ? st->updated : 0);
        } else if (!follows &&
                   sub_matches(s, svc->id, svc->owner, st->group, st->countries, sev)) {
            put(b, t, &m, s, EVENT_OPENED, 0);
        }
    }
    buf_free(&added);
    buf_free(&removed);

    no->seen = st->updated;
    snprintf(no->group, sizeof(no->group), "%s", st->group ? st->group : "");
    no->maintenance = st->maintenance != 0;
    no->severity = (int)sev;
    snprintf(no->countries, sizeof(no->countries), "%s", st->countries);
    no->opened = 1;
    if (level == EVENT_OPENED || level == EVENT_UPDATED) {
        no->sent_at = st->updated;
        no->sent_severity = (int)sev;
        no->top_severity = (int)sev > no->top_severity ? (int)sev : no->top_severity;
        snprintf(no->sent_countries, sizeof(no->sent_countries), "%s", st->countries);
    }
    no->resolved |= level == EVENT_RESOLVED;
    t->known = t->dirty = 1;
    return 0;
}

/* Decide one official update for the followers of its incident: 0, or -1
 * when the store cannot be read. */
static int decide_official(struct decide_batch *b, const struct decide_rules *r,
                           const struct outbox_official *u)
{
    struct tracked *t = track(b, u->incident);
    if (!t)
        return -1;
    b->official_mark = u->id;
    if (!t->known)
        return 0; /* nobody was told of that incident */
    const struct outbox_notice *no = &t->notice;
    int index = catalog_find(r->cat, no->service, strlen(no->service));
    const struct cat_service *svc = index >= 0 ? catalog_at(r->cat, (size_t)index) : NULL;
    const char *owner = svc ? svc->owner : "";
    struct message m = {.notice = {
                            .incident = no->incident,
                            .service = no->service,
                            .service_name = svc ? svc->name : no->service,
                            .owner = owner,
                            .group = no->group[0] ? no->group : NULL,
                            .severity = (enum payload_severity)no->severity,
                            .countries = no->countries,
                            .severity_before = -1,
                            .start = u->start,
                            .end = u->end,
                            .incident_json = u->incident_json,
                            .update_text = u->text,
                            .update_status = u->status,
                            .update_at = u->at,
                            .sent = b->now,
                        }};
    snprintf(m.why, sizeof(m.why), "maintenance");
    m.silence = no->maintenance ? -1
                                : suppressor(r, no->service, owner, m.notice.group, no->seen, 0,
                                             m.why, sizeof(m.why));
    for (size_t i = 0; i < r->nsubs; i++) {
        const struct sub *s = &r->subs[i];
        if (following(follower_of(t, s->id)) && sub_wants(s, EVENT_OFFICIAL_UPDATE))
            put(b, t, &m, s, EVENT_OFFICIAL_UPDATE, u->id);
    }
    return 0;
}

/* The official updates read, copied (strings owned by the batch): the
 * read connection is not to be used again from inside its own read. */
struct officials {
    struct decide_batch *b;
    struct outbox_official *updates;
    size_t n;
};

static void on_official(void *arg, const struct outbox_official *u)
{
    struct officials *o = arg;
    o->updates = xrealloc(o->updates, (o->n + 1) * sizeof(*o->updates));
    struct outbox_official *copy = &o->updates[o->n++];
    *copy = *u;
    copy->incident = own(o->b, xstrdup(u->incident));
    copy->text = own(o->b, xstrdup(u->text));
    copy->status = u->status ? own(o->b, xstrdup(u->status)) : NULL;
    copy->incident_json = own(o->b, xstrdup(u->incident_json));
}

int decide_officials(struct decide_batch *b, const struct decide_rules *r, int64_t after,
                     int limit)
{
    struct officials o = {b, NULL, 0};
    int rc = outbox_officials(b->store, after, limit, on_official, &o) < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < o.n; i++)
        rc = decide_official(b, r, &o.updates[i]);
    free(o.updates);
    return rc;
}

struct decide_batch *decide_begin(struct store *store, int64_t now)
{
    struct decide_batch *b = xcalloc(1, sizeof(*b));
    b->store = store;
    b->now = now;
    return b;
}

int decide_plan(struct decide_batch *b, struct outbox_plan *plan)
{
    free(b->notices);
    b->notices = xcalloc(b->nincidents + 1, sizeof(*b->notices));
    size_t nnotices = 0;
    for (size_t i = 0; i < b->nincidents; i++)
        if (b->incidents[i].dirty)
            b->notices[nnotices++] = b->incidents[i].notice;
    *plan = (struct outbox_plan){.puts = b->puts,
                                 .nputs = b->nputs,
                                 .notices = b->notices,
                                 .nnotices = nnotices,
                                 .events = b->events,
                                 .nevents = b->nevents,
                                 .official_mark = b->official_mark,
                                 .now = b->now};
    return b->nputs || nnotices || b->nevents || b->official_mark;
}

