/* guard.h - the first line of defence between a parsed report and the
 * store: rate limits per address and per network, one vote per client and
 * service, and a bounded share of the votes for any one address or network.
 *
 * Rate limit: a token bucket per client address (refill `rate` tokens per
 * second up to `burst`), and one per network (its /24 for IPv4, its /48 for
 * IPv6) with `network_rate` and `network_burst`; a request costs one token per
 * report from each. Buckets live in a fixed-size table (hashed by key), so
 * memory does not grow with the number of addresses; under a flood of
 * distinct addresses old buckets are recycled, which only ever errs towards
 * letting a request through.
 *
 * Votes: a report counts only if its voter (the client id, or the address
 * when there is none) has not had a counted report for the same service in
 * the last `vote_window` seconds of event time. A repeat is still stored,
 * but marked as not counted. The vote table is a fixed-size open-addressing
 * table of (voter hash, service) -> last counted time; when a probe run is
 * full, the oldest entry in it is replaced.
 *
 * Shares: a client id costs nothing to invent, so one address rotating ids
 * could vote as many people. Each (address, service) may therefore count at
 * most `address_votes` votes per vote window, and each (network, service)
 * `network_votes` (token buckets in event time, in a table like the rate
 * limit's); a vote beyond its share is stored but not counted. Trusted
 * sources (a replay, the admin token) have no address and no share.
 *
 * All functions are thread-safe (striped locks). Time is passed in. Memory
 * is fixed by the configuration at guard_new(); no call allocates. */
#ifndef DW_GUARD_H
#define DW_GUARD_H

#include <stddef.h>
#include <stdint.h>

struct guard_config {
    double rate;          /* reports per second per address; 0 = no limit */
    double burst;         /* bucket size, reports (taken as at least 1) */
    size_t bucket_slots;  /* rate-limit table size (rounded up to a power of 2) */
    double network_rate;   /* the same per /24 or /48; 0 = no limit */
    double network_burst;
    int64_t vote_window;  /* seconds; 0 = every report counts */
    size_t vote_slots;    /* vote table size (rounded up to a power of 2) */
    double address_votes; /* counted votes per address, service and window; 0 = any */
    double network_votes;  /* the same per /24 or /48 */
};

/* Where an untrusted report came from: hashes of its address and its
 * network (callers seed the two differently). */
struct guard_origin {
    uint64_t address, network;
};

struct guard;

/* Build the tables: bucket_slots * 32 bytes twice (rates, shares) and
 * vote_slots * 16 bytes.
 * Slot counts are rounded up to a power of 2 within [64, 2^30]. Never
 * returns NULL (allocation aborts on OOM). Free with guard_free(). */
struct guard *guard_new(const struct guard_config *cfg);
/* Release g (NULL allowed). No other thread may be using it. */
void guard_free(struct guard *g);

/* Take `cost` tokens from the bucket of addr_key (a hash of the client
 * address) at monotonic time now_ns. Returns 0 if allowed, or the number of
 * whole seconds (>= 1) after which the request would be allowed (for
 * Retry-After). A refused request takes no tokens. A cost larger than the
 * burst can never be allowed: the return is then the seconds to refill the
 * whole bucket. A cost <= 0 and a rate of 0 are always allowed. now_ns that
 * goes backwards (callers racing on the clock) refills nothing. */
int guard_take(struct guard *g, uint64_t addr_key, double cost, int64_t now_ns);
/* The same for a network's bucket (network_rate, network_burst). A caller
 * takes from the address first: tokens an address spent on a request its
 * network then refused are not given back. */
int guard_take_network(struct guard *g, uint64_t network_key, double cost, int64_t now_ns);

/* Record a vote of voter (a 64-bit hash) for service at event time ts
 * (Unix seconds). Returns GUARD_COUNTED if it counts, GUARD_FIRST_REPEAT
 * for the first repeat of the counted vote (the detector weighs it against
 * the vote: see detect.h), GUARD_REPEAT for later ones.
 *
 * Against the last counted vote of (voter, service) at time t:
 *   ts >= t + window      counts, and becomes the last counted vote;
 *   t - window < ts < t + window   a repeat (a replay's event times may be
 *                         slightly shuffled: an earlier report near a
 *                         counted one is still the same vote);
 *   ts <= t - window      a repeat too: the table keeps only the latest
 *                         counted vote, so for a report that much older it
 *                         cannot tell whether one was counted near it; it
 *                         errs towards not counting, so a late or replayed
 *                         flood of old reports cannot inflate the counts.
 * A (voter, service) not in the table counts. Table pressure (a probe run
 * full of newer entries) can forget a vote, which errs towards counting. */
/* The voter of a report that names its client: a hash of the client id
 * (reports without one vote by their address, hashed by the caller). */
uint64_t guard_client_voter(const char *client, size_t len);

enum guard_vote_result {
    GUARD_REPEAT = 0,       /* a repeat after the first one */
    GUARD_COUNTED = 1,      /* the vote counts */
    GUARD_FIRST_REPEAT = 2, /* the first repeat of a counted vote */
};
enum guard_vote_result guard_vote(struct guard *g, uint64_t voter, int service, int64_t ts);
/* guard_vote for a report from `origin` (NULL: a trusted source, as
 * guard_vote): a vote that would count but exceeds its address's or its
 * network's share is taken back and returns GUARD_REPEAT, so the client's
 * next report is judged afresh. */
enum guard_vote_result guard_vote_from(struct guard *g, uint64_t voter,
                                       const struct guard_origin *origin, int service,
                                       int64_t ts);

/* Take back a counted vote (voter, service, ts) whose report was not
 * stored after all (queue full, commit failed), so the client's retry counts.
 * A later counted vote of the same pair is left alone. */
void guard_unvote(struct guard *g, uint64_t voter, int service, int64_t ts);

/* Seed the vote table from stored history at start-up:
 * marks (voter, service) as having a counted vote at ts (the later of ts
 * and what the table already holds). */
void guard_seed_vote(struct guard *g, uint64_t voter, int service, int64_t ts);

#endif
