/* replay.c - send a trace to a server (see replay.h).
 *
 * The file is read in chunks and cut into batches of whole lines (--batch
 * lines each). With --speed 0 (the default) batches go as fast as the server
 * takes them, up to --parallel requests in flight on keep-alive connections
 * (libcurl's multi interface). With --speed N the trace's own clock is
 * followed N times faster: a batch leaves when the wall clock has caught up
 * with its first report's ts, and batches are cut at one-second boundaries
 * of event time so pacing stays smooth. 429 and 503 answers are retried
 * after their Retry-After; any other refusal of a whole batch stops the
 * replay. Progress is a bar on a terminal, plain lines otherwise. */
#include "replay/replay.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/timeutil.h"

#define MAX_PARALLEL 64
#define MAX_RETRIES 30

struct options {
    const char *file;
    char url[1024];
    double speed;
    const char *token;
    long batch_lines;
    int parallel;
};

struct totals {
    long long lines, accepted, counted, rejected;
    int failed;
    char first_error[256];
};

struct slot {
    CURL *easy;
    struct buf body;     /* the batch being sent */
    struct buf answer;   /* the server's reply */
    long lines;
    long long first_line; /* line number in the file of the batch's first line */
    int retries;
    int busy;
    int64_t not_before_ns; /* retry time */
    long retry_after;      /* seconds, from the last answer's Retry-After */
    struct curl_slist *headers;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: downwatch replay FILE.ndjson --url URL [--speed N] [--token T]\n"
            "                        [--batch LINES] [--parallel N]\n"
            "\n"
            "Send a report trace (one JSON report per line) to a downwatch server.\n"
            "  --url URL       server base URL (http://127.0.0.1:8080) or the full\n"
            "                  reports URL\n"
            "  --speed N       follow the trace's timestamps N times faster than real\n"
            "                  time; 0 (default) sends as fast as the server takes it\n"
            "  --token T       replay or admin token, so the server honours each\n"
            "                  report's ts (default: $DOWNWATCH_TOKEN)\n"
            "  --batch LINES   lines per request (default 5000)\n"
            "  --parallel N    requests in flight with --speed 0 (default 4)\n"
            "FILE may be - for standard input.\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->batch_lines = 5000;
    o->parallel = 4;
    o->token = getenv("DOWNWATCH_TOKEN");
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--url") == 0 && v) {
            url = v, i++;
        } else if (strcmp(a, "--token") == 0 && v) {
            o->token = v, i++;
        } else if (strcmp(a, "--speed") == 0 && v) {
            o->speed = strtod(v, &end), i++;
            if (*end || o->speed < 0 || o->speed > 1e9)
                return fprintf(stderr, "downwatch replay: --speed needs a number >= 0\n"), -1;
        } else if (strcmp(a, "--batch") == 0 && v) {
            o->batch_lines = strtol(v, &end, 10), i++;
            if (*end || o->batch_lines < 1 || o->batch_lines > 1000000)
                return fprintf(stderr, "downwatch replay: --batch needs 1..1000000\n"), -1;
        } else if (strcmp(a, "--parallel") == 0 && v) {
            o->parallel = (int)strtol(v, &end, 10), i++;
            if (*end || o->parallel < 1 || o->parallel > MAX_PARALLEL)
                return fprintf(stderr, "downwatch replay: --parallel needs 1..%d\n", MAX_PARALLEL), -1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return fprintf(stderr, "downwatch replay: unknown or incomplete option %s\n", a), -1;
        } else if (!o->file) {
            o->file = a;
        } else {
            return fprintf(stderr, "downwatch replay: only one file, please\n"), -1;
        }
    }
    if (!o->file || !url) {
        usage(stderr);
        return -1;
    }
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    snprintf(o->url, sizeof(o->url), "%s%s", url,
             path && strlen(path) > 1 ? "" : (path ? "api/v1/reports" : "/api/v1/reports"));
    if (o->speed > 0)
        o->parallel = 1; /* pacing needs order */
    return 0;
}

/* The event time of a line: the value of its "ts" field, or -1. */
static int64_t line_ts(const char *line, size_t len)
{
    const char *p = memmem(line, len, "\"ts\":\"", 6);
    if (!p)
        return -1;
    p += 6;
    const char *q = memchr(p, '"', len - (size_t)(p - line));
    int64_t t;
    if (!q || time_parse_iso(p, (size_t)(q - p), &t) < 0)
        return -1;
    return t;
}

/* Copy the JSON string value that starts at p (just after its opening
 * quote) into out, undoing only \" and \\ (enough for messages). */
static void json_string_at(const char *p, char *out, size_t outsz)
{
    size_t o = 0;
    for (; *p && *p != '"' && o + 1 < outsz; p++) {
        if (*p == '\\' && p[1])
            p++;
        out[o++] = *p;
    }
    out[o] = '\0';
}

/* Describe the first line error of a batch answer: "line N: code: detail". */
static void first_line_error(const char *json, long long first_line, char *out, size_t outsz)
{
    const char *e = json ? strstr(json, "\"errors\":[{\"line\":") : NULL;
    char code[64] = "?", detail[200] = "";
    if (!e) {
        snprintf(out, outsz, "%.200s", json ? json : "(no answer)");
        return;
    }
    long long line = strtoll(e + 18, NULL, 10);
    const char *c = strstr(e, "\"error\":\"");
    const char *d = strstr(e, "\"detail\":\"");
    if (c)
        json_string_at(c + 9, code, sizeof(code));
    if (d)
        json_string_at(d + 10, detail, sizeof(detail));
    snprintf(out, outsz, "line %lld: %s: %s", first_line + line - 1, code, detail);
}

static long long json_number(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    return p ? strtoll(p + strlen(pat), NULL, 10) : 0;
}

static size_t on_answer(char *data, size_t size, size_t n, void *arg)
{
    buf_append(arg, data, size * n);
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct slot *s = arg;
    if (size * n > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
        s->retry_after = strtol(data + 12, NULL, 10);
    return size * n;
}

static void start_request(CURLM *multi, struct slot *s, const struct options *o)
{
    buf_reset(&s->answer);
    s->retry_after = 0;
    curl_easy_setopt(s->easy, CURLOPT_URL, o->url);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body.data);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body.len);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->answer);
    curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    curl_multi_add_handle(multi, s->easy);
    s->busy = 1;
}

/* Account for a finished request; returns 1 if it is to be sent again. */
static int finish_request(struct slot *s, CURLcode res, struct totals *t)
{
    long status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    if (res != CURLE_OK) {
        snprintf(t->first_error, sizeof(t->first_error), "%s", curl_easy_strerror(res));
        t->failed = 1;
        return 0;
    }
    if ((status == 429 || status == 503) && s->retries++ < MAX_RETRIES) {
        long wait = s->retry_after > 0 ? s->retry_after : 1;
        s->not_before_ns = time_mono_ns() + wait * 1000000000LL;
        return 1;
    }
    if (status == 202 || status == 400) {
        long long acc = json_number(s->answer.data, "accepted");
        t->accepted += acc;
        t->counted += json_number(s->answer.data, "counted");
        t->rejected += s->lines - acc;
        if (s->lines > acc && !t->first_error[0])
            first_line_error(s->answer.data, s->first_line, t->first_error,
                             sizeof(t->first_error));
        if (status == 202 || acc == 0)
            return 0;
    }
    snprintf(t->first_error, sizeof(t->first_error), "HTTP %ld: %.200s", status,
             s->answer.data ? s->answer.data : "");
    t->failed = 1;
    return 0;
}

static void progress(int tty, long long done, long long total, const struct totals *t,
                     int64_t t0, int final)
{
    static int64_t last;
    int64_t now = time_mono_ns();
    if (!final && now - last < (tty ? 200000000LL : 5000000000LL))
        return;
    last = now;
    double secs = (double)(now - t0) / 1e9;
    double rate = secs > 0 ? (double)t->lines / secs : 0;
    int pct = total > 0 ? (int)(100.0 * (double)done / (double)total) : 0;
    if (tty) {
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %lld lines, %.0f lines/s  ", bar, pct, t->lines, rate);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "replay: %d%% %lld lines sent, %.0f lines/s\n", pct, t->lines, rate);
    }
}

int replay_main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    FILE *in = strcmp(o.file, "-") == 0 ? stdin : fopen(o.file, "rb");
    if (!in) {
        fprintf(stderr, "downwatch replay: cannot open %s: %s\n", o.file, strerror(errno));
        return 1;
    }
    long long total = 0;
    if (in != stdin && fseeko(in, 0, SEEK_END) == 0) {
        total = (long long)ftello(in);
        fseeko(in, 0, SEEK_SET);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    struct slot slots[MAX_PARALLEL];
    char auth[512];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o.token ? o.token : "");
    for (int i = 0; i < o.parallel; i++) {
        memset(&slots[i], 0, sizeof(slots[i]));
        slots[i].easy = curl_easy_init();
        buf_init(&slots[i].body);
        buf_init(&slots[i].answer);
        slots[i].headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
        if (o.token && *o.token)
            slots[i].headers = curl_slist_append(slots[i].headers, auth);
    }

    struct totals t = {0};
    int tty = isatty(STDERR_FILENO);
    int64_t t0 = time_mono_ns();
    int64_t trace_t0 = -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long long done_bytes = 0;
    int eof = 0;
    struct buf pending; /* lines read but not yet in a batch (one line, at pacing edges) */
    buf_init(&pending);
    while (!t.failed) {
        /* Fill free slots with new batches. */
        for (int i = 0; i < o.parallel && !eof && !t.failed; i++) {
            struct slot *s = &slots[i];
            if (s->busy || s->not_before_ns)
                continue;
            buf_reset(&s->body);
            s->lines = 0;
            s->retries = 0;
            int64_t batch_ts = -1;
            if (pending.len) {
                buf_append(&s->body, pending.data, pending.len);
                batch_ts = line_ts(pending.data, pending.len);
                s->lines = 1;
                buf_reset(&pending);
            }
            while (s->lines < o.batch_lines && (len = getline(&line, &cap, in)) > 0) {
                done_bytes += len;
                int64_t ts = o.speed > 0 ? line_ts(line, (size_t)len) : -1;
                if (o.speed > 0 && s->lines && ts >= 0 && batch_ts >= 0 && ts > batch_ts) {
                    buf_append(&pending, line, (size_t)len); /* next second: next batch */
                    break;
                }
                if (batch_ts < 0)
                    batch_ts = ts;
                buf_append(&s->body, line, (size_t)len);
                s->lines++;
            }
            if (s->lines == 0) {
                eof = 1;
                break;
            }
            if (o.speed > 0 && batch_ts >= 0) {
                if (trace_t0 < 0)
                    trace_t0 = batch_ts;
                int64_t due = t0 + (int64_t)((double)(batch_ts - trace_t0) * 1e9 / o.speed);
                int64_t now = time_mono_ns();
                if (due > now)
                    usleep((useconds_t)((due - now) / 1000));
            }
            s->first_line = t.lines + 1;
            t.lines += s->lines;
            start_request(multi, s, &o);
        }
        /* Resend the batches whose Retry-After has passed. */
        for (int i = 0; i < o.parallel; i++) {
            struct slot *s = &slots[i];
            if (!s->busy && s->not_before_ns && time_mono_ns() >= s->not_before_ns) {
                s->not_before_ns = 0;
                start_request(multi, s, &o);
            }
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        int waiting = 0;
        for (int i = 0; i < o.parallel; i++)
            waiting |= slots[i].not_before_ns != 0;
        if (running == 0 && eof && !waiting)
            break;
        curl_multi_poll(multi, NULL, 0, 50, NULL);
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct slot *s;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_multi_remove_handle(multi, s->easy);
            s->busy = 0;
            if (!finish_request(s, msg->data.result, &t))
                s->not_before_ns = 0;
        }
        progress(tty, done_bytes, total, &t, t0, 0);
    }
    progress(tty, done_bytes, total, &t, t0, 1);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    printf("replayed %lld lines in %.1f s: %lld accepted (%lld counted), %lld rejected\n", t.lines,
           secs, t.accepted, t.counted, t.rejected);
    if (t.first_error[0])
        fprintf(stderr, "downwatch replay: %s%s\n", t.failed ? "stopped: " : "first rejection: ",
                t.first_error);
    for (int i = 0; i < o.parallel; i++) {
        curl_multi_remove_handle(multi, slots[i].easy);
        curl_easy_cleanup(slots[i].easy);
        curl_slist_free_all(slots[i].headers);
        buf_free(&slots[i].body);
        buf_free(&slots[i].answer);
    }
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    buf_free(&pending);
    free(line);
    if (in != stdin)
        fclose(in);
    return t.failed ? 1 : 0;
}
