/* sender.h - HTTP POSTs of webhook deliveries with libcurl's multi
 * interface: many transfers on one thread, none of them blocking it.
 *
 * The owner (the notify thread) starts transfers with sender_post, waits
 * in sender_wait (which any thread can cut short with sender_wakeup), and
 * collects the finished ones with sender_done. Each transfer has a total
 * timeout and a connect timeout, follows no redirect, speaks only http and
 * https, and its answer body is read and dropped; at most `concurrency`
 * are in flight. Connections are kept alive and reused between transfers
 * to the same host. sender_backoff_ms is the retry schedule. */
#ifndef DW_SENDER_H
#define DW_SENDER_H

#include <stddef.h>
#include <stdint.h>

struct sender;

struct sender_config {
    int concurrency;  /* transfers in flight at most, >= 1 */
    int timeout_ms;   /* whole transfer, connection included */
};

/* Never returns NULL (curl_global_init must have run). */
struct sender *sender_new(const struct sender_config *cfg);
/* Abort what is in flight and free. NULL is a no-op. */
void sender_free(struct sender *s);

/* Transfers in flight. */
int sender_active(const struct sender *s);

/* POST body (copied) to url with the given "Name: value" headers; tag
 * comes back with the result. Returns 0, or -1 when concurrency transfers
 * are already in flight or libcurl refuses. */
int sender_post(struct sender *s, int64_t tag, const char *url, const char *const *headers,
                size_t nheaders, const char *body, size_t len);

/* Move the transfers on, waiting up to timeout_ms for something to happen
 * or for sender_wakeup. */
void sender_wait(struct sender *s, int timeout_ms);

/* Cut a sender_wait short (from any thread). */
void sender_wakeup(struct sender *s);

/* Pass each finished transfer to fn: its tag, the HTTP status (0 when no
 * answer came) and, when it failed without one, libcurl's sentence. */
void sender_done(struct sender *s,
                 void (*fn)(void *arg, int64_t tag, int status, const char *error), void *arg);

/* The pause before the next attempt after `failures` failed ones (>= 1):
 * base_ms doubled for each earlier failure, capped at max_ms, of which the
 * second half is jitter (random in [0, 1) picks where): so pauses grow, and
 * many receivers failing at once do not all come back at the same time. */
int64_t sender_backoff_ms(int failures, int64_t base_ms, int64_t max_ms, double random);

#endif
