/* sub.h - webhook subscriptions: what one receiver wants to hear about,
 * where, how, and with which secret.
 *
 * A subscription names a URL (http or https), a secret (16 to 256
 * printable ASCII bytes; deliveries are signed with it, sign.h), a format
 * ("json", the versioned downwatch payload, or "slack", text + blocks for
 * Slack and Mattermost), and filters: services, owners, groups, countries
 * (each a list; an empty list lets everything through, a list matches when
 * the incident's value, or one of its countries, is in it), the minimum
 * severity (minor, major, critical) and the events it wants (opened,
 * updated, resolved, official_update; all by default).
 *
 * The same checks read a subscription from three places:
 * - the API's JSON body (sub_parse_json), strict like every body;
 * - a line of the webhooks file (sub_parse_line; docs in the README):
 *     NAME key=value key=value ...
 *   e.g. `oncall url=https://hooks.example.com/dw secret=... services=whatsapp,instagram
 *   min_severity=major format=slack`; lists are comma-separated and a space,
 *   comma or '%' inside a value is written %20, %2C, %25 (percent-encoding);
 * - the database, where an API subscription is stored as sub_spec_json's
 *   text and read back with sub_parse_json without a catalog (a service
 *   that left the catalog is then kept, matching nothing).
 * API subscriptions get ids "sub_" + 16 hex digits; a file subscription's
 * id is its NAME ([a-z0-9][a-z0-9_-]*, at most 64 bytes, not starting with
 * "sub_"). */
#ifndef DW_SUB_H
#define DW_SUB_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "notify/payload.h"

struct catalog;

#define SUB_ID_MAX 64
#define SUB_URL_MAX 2048
#define SUB_SECRET_MIN 16
#define SUB_SECRET_MAX 256
#define SUB_LIST_MAX 64          /* items in one filter list */
#define SUB_DESCRIPTION_MAX 200  /* bytes of UTF-8 */
#define SUB_FILE_MAX (1 << 20)   /* bytes of a webhooks file */
#define SUB_FILE_LINES_MAX 1000  /* subscriptions in it */
#define SUB_API_PREFIX "sub_"

enum sub_format { SUB_FORMAT_JSON, SUB_FORMAT_SLACK };

struct sub_list {
    char **items;
    size_t n;
};

struct sub {
    char id[SUB_ID_MAX + 1];
    char *url;
    char *secret;
    char *description;            /* "" when none */
    enum sub_format format;
    struct sub_list services, owners, groups, countries;
    enum payload_severity min_severity;
    unsigned events;              /* bit (1u << enum payload_event) per wanted event */
    int from_file;
    int64_t created;              /* Unix seconds; 0 for file subscriptions */
};

/* Release what s holds (not s itself); s is then empty. */
void sub_clear(struct sub *s);

/* A deep copy of s into out (which the caller clears later). */
void sub_copy(struct sub *out, const struct sub *s);

/* Read the JSON body of POST /api/v1/subscriptions into *out (which starts
 * zeroed). With a catalog, services and owners must be in it. A missing
 * secret is left NULL for the caller to generate. Returns 0, or -1 with an
 * error code ("invalid_json", "unknown_field", "invalid_url", ...) and a
 * sentence; out is then to be cleared. */
int sub_parse_json(const char *body, size_t len, const struct catalog *cat, struct sub *out,
                   const char **code, char *detail, size_t detsz);

/* Read one line of the webhooks file (without its newline); the same
 * results as sub_parse_json (no code), plus the NAME as id. A blank or
 * comment line is not a subscription: 1 and out untouched. */
int sub_parse_line(const char *line, size_t len, const struct catalog *cat, struct sub *out,
                   char *detail, size_t detsz);

/* Read a whole webhooks file's text: every line must be good, names
 * unique. Returns the number of subscriptions (in *out, an array the
 * caller frees with sub_free_all), or -1 with "line N: ..." in err and
 * nothing allocated. */
long sub_parse_file(const char *text, size_t len, const struct catalog *cat, struct sub **out,
                    char *err, size_t errsz);
void sub_free_all(struct sub *subs, size_t n);

/* The JSON stored for an API subscription: its fields, the secret
 * included, without id and times. */
void sub_spec_json(const struct sub *s, struct buf *out);

/* The subscription as the API shows it: id, source ("api" or "file"),
 * created, url, format, filters, description; the secret only when
 * with_secret (the answer to its creation), else "secret_set":true. */
void sub_json(const struct sub *s, int with_secret, struct buf *out);

/* Whether an incident state passes s's filters: severity at least the
 * minimum and every non-empty list matched (countries: "BR,GB" shares one
 * with the list). group may be NULL. */
int sub_matches(const struct sub *s, const char *service, const char *owner, const char *group,
                const char *countries, enum payload_severity severity);

/* Whether s wants messages of this event. */
int sub_wants(const struct sub *s, enum payload_event event);

#endif
