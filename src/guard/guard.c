/* guard.c - rate limits, one vote per window and vote shares (see guard.h).
 *
 * The tables are flat arrays sized once at guard_new(). The rate-limit and
 * share tables are direct-mapped: slot = hash(key), and a slot that holds
 * another key is recycled as a new, full bucket. Rate buckets count time in
 * monotonic nanoseconds, share buckets in event-time seconds. The vote table
 * is split into aligned runs of VOTE_RUN slots (128 bytes); a key probes
 * only its own run, so each run, and each bucket, is covered by exactly one
 * of GUARD_STRIPES mutexes (run or slot index modulo the stripe count).
 * Hashing is XXH3; a vote key is XXH3(voter) seeded with the service, with
 * its lowest bit cleared: a stored key's lowest bit says whether the vote
 * has had its first repeat. 0 marks an empty vote slot. */
#include "guard/guard.h"
#include "core/alloc.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <xxhash.h>

#define GUARD_STRIPES 64
#define VOTE_RUN 8
#define SLOTS_MIN 64
#define SLOTS_MAX ((size_t)1 << 30)
/* Tokens a request may be short of and still pass: absorbs the rounding of
 * refills so a client that waits the announced Retry-After gets through. */
#define TOKEN_SLACK 1e-9

/* A mutex alone on its 64 bytes, so neighbouring stripes don't share a
 * cache line more than they must. */
union stripe {
    pthread_mutex_t lock;
    char pad[64];
};

struct bucket {
    uint64_t key;
    double tokens;
    int64_t last;     /* time of the last refill */
    int used;
};

#define VOTER_SEED_CLIENT 0x636c69656e74ULL /* "client" */
#define SHARE_SEED 0x7368617265ULL          /* "share" */
#define REPEATED 1u    /* lowest key bit: the vote has been repeated */

struct vote {
    uint64_t key;     /* vote key | REPEATED; 0 = empty */
    int64_t last_ts;  /* event time of the last counted vote */
};

struct guard {
    double rate, burst, network_rate, network_burst;
    double address_votes, network_votes;
    int64_t window;
    struct bucket *buckets; /* rate limits */
    struct bucket *shares;  /* vote shares; slot i shares bucket i's lock */
    size_t bucket_mask;
    struct vote *votes;
    size_t run_mask;  /* number of vote runs - 1 */
    union stripe bucket_locks[GUARD_STRIPES];
    union stripe vote_locks[GUARD_STRIPES];
};

static size_t round_slots(size_t n)
{
    size_t p = SLOTS_MIN;
    while (p < n && p < SLOTS_MAX)
        p <<= 1;
    return p;
}

struct guard *guard_new(const struct guard_config *cfg)
{
    struct guard *g = xcalloc(1, sizeof(*g));
    g->rate = cfg->rate > 0 ? cfg->rate : 0;
    g->burst = cfg->burst >= 1 ? cfg->burst : 1;
    g->network_rate = cfg->network_rate > 0 ? cfg->network_rate : 0;
    g->network_burst = cfg->network_burst >= 1 ? cfg->network_burst : 1;
    g->window = cfg->vote_window > 0 ? cfg->vote_window : 0;
    g->address_votes = cfg->address_votes > 0 ? cfg->address_votes : 0;
    g->network_votes = cfg->network_votes > 0 ? cfg->network_votes : 0;

    size_t nb = round_slots(cfg->bucket_slots), nv = round_slots(cfg->vote_slots);
    g->buckets = xcalloc(nb, sizeof(*g->buckets));
    g->shares = xcalloc(nb, sizeof(*g->shares));
    g->bucket_mask = nb - 1;
    g->votes = xcalloc(nv, sizeof(*g->votes));
    g->run_mask = nv / VOTE_RUN - 1;
    for (int i = 0; i < GUARD_STRIPES; i++) {
        pthread_mutex_init(&g->bucket_locks[i].lock, NULL);
        pthread_mutex_init(&g->vote_locks[i].lock, NULL);
    }
    return g;
}

void guard_free(struct guard *g)
{
    if (!g)
        return;
    for (int i = 0; i < GUARD_STRIPES; i++) {
        pthread_mutex_destroy(&g->vote_locks[i].lock);
        pthread_mutex_destroy(&g->bucket_locks[i].lock);
    }
    free(g->votes);
    free(g->shares);
    free(g->buckets);
    free(g);
}

/* ----------------------------------------------------------- rate limit -- */

/* Whole seconds to wait for `tokens` at `rate`: >= 1, <= INT_MAX. */
static int wait_seconds(double tokens, double rate)
{
    double s = ceil(tokens / rate);
    if (!(s >= 1))
        return 1;
    return s < INT_MAX ? (int)s : INT_MAX;
}

/* Take cost tokens from key's bucket in table (refilled at rate per second
 * up to burst; now counts time in units of tick seconds). 0, or the whole
 * seconds to wait. */
static int take(struct guard *g, struct bucket *table, uint64_t key, double rate, double burst,
                double cost, int64_t now, double tick)
{
    size_t i = (size_t)XXH3_64bits(&key, sizeof(key)) & g->bucket_mask;
    pthread_mutex_t *lock = &g->bucket_locks[i % GUARD_STRIPES].lock;
    int wait = 0;

    pthread_mutex_lock(lock);
    struct bucket *b = &table[i];
    if (!b->used || b->key != key) {
        *b = (struct bucket){.key = key, .tokens = burst, .last = now, .used = 1};
    } else if (now > b->last) {
        double elapsed = (double)((uint64_t)now - (uint64_t)b->last) * tick;
        b->tokens = fmin(burst, b->tokens + elapsed * rate);
        b->last = now;
    }
    if (cost <= b->tokens + TOKEN_SLACK)
        b->tokens = fmax(0, b->tokens - cost);
    else
        wait = wait_seconds(fmin(cost, burst) - b->tokens, rate);
    pthread_mutex_unlock(lock);
    return wait;
}

int guard_take(struct guard *g, uint64_t addr_key, double cost, int64_t now_ns)
{
    if (g->rate == 0 || !(cost > 0))
        return 0;
    return take(g, g->buckets, addr_key, g->rate, g->burst, cost, now_ns, 1e-9);
}

int guard_take_network(struct guard *g, uint64_t network_key, double cost, int64_t now_ns)
{
    if (g->network_rate == 0 || !(cost > 0))
        return 0;
    return take(g, g->buckets, network_key, g->network_rate, g->network_burst, cost, now_ns, 1e-9);
}

/* ---------------------------------------------------------------- votes -- */

static uint64_t vote_key(uint64_t voter, int service)
{
    uint64_t k = XXH3_64bits_withSeed(&voter, sizeof(voter), (uint64_t)(int64_t)service);
    k &= ~(uint64_t)REPEATED;
    return k ? k : 2;
}

static struct vote *run_find(struct vote *run, uint64_t key)
{
    for (int i = 0; i < VOTE_RUN; i++) {
        if ((run[i].key & ~(uint64_t)REPEATED) == key)
            return &run[i];
    }
    return NULL;
}

/* Put key into its run: an empty slot, else in place of the oldest entry
 * (the one most likely past its window). */
static void run_insert(struct vote *run, uint64_t key, int64_t ts)
{
    struct vote *victim = &run[0];
    for (int i = 0; i < VOTE_RUN; i++) {
        if (run[i].key == 0) {
            victim = &run[i];
            break;
        }
        if (run[i].last_ts < victim->last_ts)
            victim = &run[i];
    }
    victim->key = key;
    victim->last_ts = ts;
}

/* The run of a key and the stripe that guards it. */
static struct vote *vote_run(struct guard *g, uint64_t key, pthread_mutex_t **lock)
{
    size_t r = (size_t)key & g->run_mask;
    *lock = &g->vote_locks[r % GUARD_STRIPES].lock;
    return &g->votes[r * VOTE_RUN];
}

uint64_t guard_client_voter(const char *client, size_t len)
{
    return XXH3_64bits_withSeed(client, len, VOTER_SEED_CLIENT);
}

enum guard_vote_result guard_vote(struct guard *g, uint64_t voter, int service, int64_t ts)
{
    if (g->window == 0)
        return GUARD_COUNTED;

    uint64_t key = vote_key(voter, service);
    pthread_mutex_t *lock;
    struct vote *run = vote_run(g, key, &lock);
    enum guard_vote_result result = GUARD_COUNTED;

    pthread_mutex_lock(lock);
    struct vote *v = run_find(run, key);
    if (!v) {
        run_insert(run, key, ts);
    } else if (ts >= v->last_ts &&
               (uint64_t)ts - (uint64_t)v->last_ts >= (uint64_t)g->window) {
        /* ts - last_ts >= window, without overflow for any two int64s */
        v->key = key;
        v->last_ts = ts;
    } else if (!(v->key & REPEATED)) {
        v->key |= REPEATED;
        result = GUARD_FIRST_REPEAT;
    } else {
        result = GUARD_REPEAT;
    }
    pthread_mutex_unlock(lock);
    return result;
}

void guard_unvote(struct guard *g, uint64_t voter, int service, int64_t ts)
{
    if (g->window == 0)
        return;

    uint64_t key = vote_key(voter, service);
    pthread_mutex_t *lock;
    struct vote *run = vote_run(g, key, &lock);

    pthread_mutex_lock(lock);
    struct vote *v = run_find(run, key);
    if (v && v->last_ts == ts)
        v->key = 0; /* the vote before it, if any, was a window older */
    pthread_mutex_unlock(lock);
}

void guard_seed_vote(struct guard *g, uint64_t voter, int service, int64_t ts)
{
    if (g->window == 0)
        return;

    uint64_t key = vote_key(voter, service);
    pthread_mutex_t *lock;
    struct vote *run = vote_run(g, key, &lock);

    pthread_mutex_lock(lock);
    struct vote *v = run_find(run, key);
    if (!v)
        run_insert(run, key, ts);
    else if (ts > v->last_ts)
        v->last_ts = ts;
    pthread_mutex_unlock(lock);
}

/* One vote from origin_key's share for service at event time ts: 1 if
 * there was one left. */
static int take_share(struct guard *g, uint64_t origin_key, double share, int service, int64_t ts)
{
    if (share == 0)
        return 1;
    uint64_t key = XXH3_64bits_withSeed(&origin_key, sizeof(origin_key),
                                        SHARE_SEED ^ (uint64_t)(int64_t)service);
    return take(g, g->shares, key, share / (double)g->window, share, 1, ts, 1.0) == 0;
}

enum guard_vote_result guard_vote_from(struct guard *g, uint64_t voter,
                                       const struct guard_origin *origin, int service,
                                       int64_t ts)
{
    enum guard_vote_result result = guard_vote(g, voter, service, ts);
    if (result != GUARD_COUNTED || !origin || g->window == 0)
        return result;
    /* An address that got its vote but whose network is out of shares has
     * spent it: errs towards not counting. */
    if (take_share(g, origin->address, g->address_votes, service, ts) &&
        take_share(g, origin->network, g->network_votes, service, ts))
        return GUARD_COUNTED;
    guard_unvote(g, voter, service, ts);
    return GUARD_REPEAT;
}
