/* sender.c - webhook POSTs on a curl multi handle (see sender.h).
 *
 * Each transfer is an easy handle whose private pointer is its struct
 * transfer (tag, headers, error buffer). curl_multi_poll waits on every
 * socket at once and returns early on curl_multi_wakeup; finished
 * transfers are read with curl_multi_info_read. Nothing here blocks but
 * the poll, which is bounded by its timeout. */
#include "notify/sender.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define CONNECT_TIMEOUT_MS 10000
#define USER_AGENT "downwatch-webhooks/1"

struct transfer {
    int64_t tag;
    CURL *easy;
    struct curl_slist *headers;
    char error[CURL_ERROR_SIZE];
    struct transfer *prev, *next; /* the sender's list of transfers in flight */
};

struct sender {
    CURLM *multi;
    struct sender_config cfg;
    int active;
    struct transfer *first;
};

struct sender *sender_new(const struct sender_config *cfg)
{
    struct sender *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->multi = curl_multi_init();
    if (!s->multi)
        abort(); /* only out of memory makes it fail */
    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)cfg->concurrency);
    return s;
}

static void transfer_free(struct sender *s, struct transfer *t)
{
    curl_multi_remove_handle(s->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    if (t->prev)
        t->prev->next = t->next;
    else
        s->first = t->next;
    if (t->next)
        t->next->prev = t->prev;
    free(t);
    s->active--;
}

void sender_free(struct sender *s)
{
    if (!s)
        return;
    while (s->first)
        transfer_free(s, s->first);
    curl_multi_cleanup(s->multi);
    free(s);
}

int sender_active(const struct sender *s)
{
    return s->active;
}

/* The answer's body is not needed: read and drop it. */
static size_t drop(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

int sender_post(struct sender *s, int64_t tag, const char *url, const char *const *headers,
                size_t nheaders, const char *body, size_t len)
{
    if (s->active >= s->cfg.concurrency)
        return -1;
    struct transfer *t = xcalloc(1, sizeof(*t));
    t->tag = tag;
    t->easy = curl_easy_init();
    if (!t->easy) {
        free(t);
        return -1;
    }
    for (size_t i = 0; i < nheaders; i++)
        t->headers = curl_slist_append(t->headers, headers[i]);
    /* No "Expect: 100-continue" round trip before the body. */
    t->headers = curl_slist_append(t->headers, "Expect:");
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->cfg.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(s->cfg.timeout_ms < CONNECT_TIMEOUT_MS ? s->cfg.timeout_ms
                                                                   : CONNECT_TIMEOUT_MS));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, drop);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    s->active++;
    t->next = s->first;
    if (s->first)
        s->first->prev = t;
    s->first = t;
    if (curl_multi_add_handle(s->multi, e) != CURLM_OK) {
        transfer_free(s, t);
        return -1;
    }
    return 0;
}

void sender_wait(struct sender *s, int timeout_ms)
{
    int running;
    curl_multi_perform(s->multi, &running);
    curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
    curl_multi_perform(s->multi, &running);
}

void sender_wakeup(struct sender *s)
{
    curl_multi_wakeup(s->multi);
}

void sender_done(struct sender *s,
                 void (*fn)(void *arg, int64_t tag, int status, const char *error), void *arg)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct transfer *t;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        long status = 0;
        CURLcode result = msg->data.result;
        if (result == CURLE_OK)
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        const char *error = result == CURLE_OK ? NULL
                            : t->error[0]     ? t->error
                                              : curl_easy_strerror(result);
        fn(arg, t->tag, (int)status, error);
        transfer_free(s, t);
    }
}

int64_t sender_backoff_ms(int failures, int64_t base_ms, int64_t max_ms, double random)
{
    int64_t pause = base_ms;
    for (int i = 1; i < failures && pause < max_ms; i++)
        pause *= 2;
    if (pause > max_ms)
        pause = max_ms;
    return pause / 2 + (int64_t)(random * (double)(pause - pause / 2));
}
