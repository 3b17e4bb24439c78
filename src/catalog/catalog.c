/* catalog.c - the services people can report problems for (see catalog.h).
 *
 * The built-in catalog is a static table, copied into a heap array so that a
 * catalog file can replace entries in place (a built-in id keeps its dense
 * index) or append new ones. Lookups go through an open-addressing hash table
 * (FNV-1a, linear probing, at most half full) that stores each slot's hash
 * next to the dense index, so a lookup almost always costs one hash, one
 * probe and one memcmp; catalog_find runs for every report.
 * catalog_parse is all-or-nothing: it builds a complete new catalog on the
 * side and swaps it in only once every line has been accepted. */
#include "catalog/catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"

struct cat_slot {
    uint32_t hash;
    uint32_t index1; /* dense index + 1; 0 marks an empty slot */
};

struct catalog {
    struct cat_service *svc;
    size_t count;
    size_t cap;
    struct cat_slot *slots;
    size_t mask; /* slot count - 1; the slot count is a power of two */
};

/* ------------------------------------------------------------------------ */
/* Built-in services                                                         */

#define P(name) (1u << REP_##name)

/* "other" fits every service: it is added to each entry when the catalog is
 * built, so the problem lists below name only the specific symptoms. */
static const struct cat_service builtin[] = {
    /* messaging */
    {"whatsapp", "WhatsApp", "Meta", "messaging", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(CONNECTION)},
    {"messenger", "Messenger", "Meta", "messaging", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(CONNECTION)},
    {"telegram", "Telegram", "Telegram FZ-LLC", "messaging", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(CONNECTION)},
    {"signal", "Signal", "Signal Foundation", "messaging", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(CONNECTION)},
    {"discord", "Discord", "Discord Inc.", "messaging", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    /* social */
    {"instagram", "Instagram", "Meta", "social", P(LOGIN) | P(MESSAGES) | P(APP) | P(WEBSITE) | P(FEED)},
    {"facebook", "Facebook", "Meta", "social", P(LOGIN) | P(MESSAGES) | P(APP) | P(WEBSITE) | P(FEED)},
    {"threads", "Threads", "Meta", "social", P(LOGIN) | P(APP) | P(WEBSITE) | P(FEED)},
    {"x", "X (Twitter)", "X Corp.", "social", P(LOGIN) | P(MESSAGES) | P(APP) | P(WEBSITE) | P(FEED)},
    {"tiktok", "TikTok", "ByteDance", "social", P(LOGIN) | P(MESSAGES) | P(APP) | P(FEED)},
    {"snapchat", "Snapchat", "Snap Inc.", "social", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(FEED)},
    {"reddit", "Reddit", "Reddit, Inc.", "social", P(LOGIN) | P(APP) | P(WEBSITE) | P(FEED)},
    {"linkedin", "LinkedIn", "Microsoft", "social", P(LOGIN) | P(MESSAGES) | P(APP) | P(WEBSITE) | P(FEED)},
    /* video */
    {"youtube", "YouTube", "Google", "video", P(LOGIN) | P(APP) | P(WEBSITE) | P(FEED) | P(CONNECTION)},
    {"netflix", "Netflix", "Netflix, Inc.", "video", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    {"primevideo", "Prime Video", "Amazon", "video", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    {"disneyplus", "Disney+", "The Walt Disney Company", "video", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    {"twitch", "Twitch", "Amazon", "video", P(LOGIN) | P(MESSAGES) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    /* music */
    {"spotify", "Spotify", "Spotify Technology S.A.", "music", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    /* mail */
    {"gmail", "Gmail", "Google", "mail", P(LOGIN) | P(MESSAGES) | P(APP) | P(WEBSITE)},
    {"outlook", "Outlook.com", "Microsoft", "mail", P(LOGIN) | P(MESSAGES) | P(APP) | P(WEBSITE)},
    /* search */
    {"google", "Google Search", "Google", "search", P(APP) | P(WEBSITE) | P(CONNECTION)},
    /* cloud */
    {"icloud", "iCloud", "Apple", "cloud", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    {"aws", "Amazon Web Services", "Amazon", "cloud", P(LOGIN) | P(WEBSITE) | P(CONNECTION)},
    {"azure", "Microsoft Azure", "Microsoft", "cloud", P(LOGIN) | P(WEBSITE) | P(CONNECTION)},
    {"gcp", "Google Cloud", "Google", "cloud", P(LOGIN) | P(WEBSITE) | P(CONNECTION)},
    /* cdn */
    {"cloudflare", "Cloudflare", "Cloudflare, Inc.", "cdn", P(WEBSITE) | P(CONNECTION)},
    {"akamai", "Akamai", "Akamai Technologies", "cdn", P(WEBSITE) | P(CONNECTION)},
    {"fastly", "Fastly", "Fastly, Inc.", "cdn", P(WEBSITE) | P(CONNECTION)},
    /* developer */
    {"github", "GitHub", "Microsoft", "developer", P(LOGIN) | P(WEBSITE) | P(CONNECTION)},
    /* productivity */
    {"slack", "Slack", "Salesforce", "productivity", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(CONNECTION)},
    {"zoom", "Zoom", "Zoom Communications", "productivity", P(LOGIN) | P(CALLS) | P(APP) | P(CONNECTION)},
    {"teams", "Microsoft Teams", "Microsoft", "productivity", P(LOGIN) | P(MESSAGES) | P(CALLS) | P(APP) | P(CONNECTION)},
    /* payments */
    {"paypal", "PayPal", "PayPal Holdings", "payments", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    {"stripe", "Stripe", "Stripe, Inc.", "payments", P(LOGIN) | P(WEBSITE) | P(CONNECTION)},
    {"visa", "Visa", "Visa Inc.", "payments", P(APP) | P(WEBSITE) | P(CONNECTION)},
    /* banking */
    {"chase", "Chase", "JPMorgan Chase", "banking", P(LOGIN) | P(APP) | P(WEBSITE)},
    {"barclays", "Barclays", "Barclays", "banking", P(LOGIN) | P(APP) | P(WEBSITE)},
    /* telecom */
    {"jio", "Jio", "Reliance Jio", "telecom", P(CALLS) | P(MESSAGES) | P(CONNECTION) | P(APP) | P(WEBSITE)},
    {"airtel", "Airtel", "Bharti Airtel", "telecom", P(CALLS) | P(MESSAGES) | P(CONNECTION) | P(APP) | P(WEBSITE)},
    {"verizon", "Verizon", "Verizon Communications", "telecom", P(CALLS) | P(MESSAGES) | P(CONNECTION) | P(APP) | P(WEBSITE)},
    {"att", "AT&T", "AT&T Inc.", "telecom", P(CALLS) | P(MESSAGES) | P(CONNECTION) | P(APP) | P(WEBSITE)},
    {"tmobile", "T-Mobile", "T-Mobile US", "telecom", P(CALLS) | P(MESSAGES) | P(CONNECTION) | P(APP) | P(WEBSITE)},
    {"vodafone", "Vodafone", "Vodafone Group", "telecom", P(CALLS) | P(MESSAGES) | P(CONNECTION) | P(APP) | P(WEBSITE)},
    /* games */
    {"steam", "Steam", "Valve", "games", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    {"playstation", "PlayStation Network", "Sony Interactive Entertainment", "games", P(LOGIN) | P(APP) | P(CONNECTION)},
    {"xbox", "Xbox Live", "Microsoft", "games", P(LOGIN) | P(APP) | P(CONNECTION)},
    {"fortnite", "Fortnite", "Epic Games", "games", P(LOGIN) | P(APP) | P(CONNECTION)},
    {"roblox", "Roblox", "Roblox Corporation", "games", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
    /* shopping */
    {"amazon", "Amazon", "Amazon", "shopping", P(LOGIN) | P(APP) | P(WEBSITE)},
    {"ebay", "eBay", "eBay Inc.", "shopping", P(LOGIN) | P(APP) | P(WEBSITE)},
    /* ai */
    {"chatgpt", "ChatGPT", "OpenAI", "ai", P(LOGIN) | P(APP) | P(WEBSITE) | P(CONNECTION)},
};

#undef P

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/* Copy untrusted bytes into out (outsz >= 4) for an error message: printable
 * ASCII as is, a backslash doubled, every other byte as \xNN; cut with "..."
 * when it does not fit. Returns out. */
static const char *quote_bytes(const char *s, size_t len, char *out, size_t outsz)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : (c == '\\' ? 2 : 4);
        if (o + need + 4 > outsz) { /* room for "..." and the NUL */
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (need == 1) {
            out[o++] = (char)c;
        } else if (need == 2) {
            out[o++] = '\\';
            out[o++] = '\\';
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------------------ */
/* Hash index                                                                */

static uint32_t hash_id(const char *id, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)id[i];
        h *= 16777619u;
    }
    return h;
}

static bool id_equals(const struct cat_service *s, const char *id, size_t len)
{
    /* len <= REP_SERVICE_MAX, so s->id[len] is inside the array */
    return memcmp(s->id, id, len) == 0 && s->id[len] == '\0';
}

/* Public (see catalog.h); also checks ids while a file is parsed. */
int catalog_find(const struct catalog *cat, const char *id, size_t len)
{
    uint32_t h;
    size_t i;

    if (len == 0 || len > REP_SERVICE_MAX)
        return -1;
    h = hash_id(id, len);
    for (i = h & cat->mask; cat->slots[i].index1 != 0; i = (i + 1) & cat->mask) {
        const struct cat_slot *slot = &cat->slots[i];
        if (slot->hash == h && id_equals(&cat->svc[slot->index1 - 1], id, len))
            return (int)(slot->index1 - 1);
    }
    return -1;
}

/* Put service index into the table; the table has a free slot. */
static void index_put(struct catalog *cat, size_t index)
{
    const char *id = cat->svc[index].id;
    uint32_t h = hash_id(id, strlen(id));
    size_t i = h & cat->mask;

    while (cat->slots[i].index1 != 0)
        i = (i + 1) & cat->mask;
    cat->slots[i].hash = h;
    cat->slots[i].index1 = (uint32_t)index + 1;
}

/* Make room for `want` services, keeping the table at most half full. */
static void reserve(struct catalog *cat, size_t want)
{
    size_t nslots = 64;

    if (want > cat->cap) {
        size_t cap = cat->cap ? cat->cap : 64;
        while (cap < want)
            cap *= 2;
        cat->svc = xrealloc(cat->svc, cap * sizeof(cat->svc[0]));
        cat->cap = cap;
    }
    while (nslots < want * 2)
        nslots *= 2;
    if (cat->slots && nslots <= cat->mask + 1)
        return;
    free(cat->slots);
    cat->slots = xcalloc(nslots, sizeof(cat->slots[0]));
    cat->mask = nslots - 1;
    for (size_t i = 0; i < cat->count; i++)
        index_put(cat, i);
}

static void append(struct catalog *cat, const struct cat_service *s)
{
    reserve(cat, cat->count + 1);
    cat->svc[cat->count] = *s;
    index_put(cat, cat->count);
    cat->count++;
}

static void clear(struct catalog *cat)
{
    cat->count = 0;
    memset(cat->slots, 0, (cat->mask + 1) * sizeof(cat->slots[0]));
}

/* ------------------------------------------------------------------------ */
/* Field checks                                                              */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid
 * (bad lead or continuation byte, overlong form, surrogate, > U+10FFFF).
 * *cp receives the code point. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c = s[0], min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Check a display name or owner: present, short enough, valid UTF-8 without
 * control characters. On error writes the reason (without "line N: "). */
static int check_text(const char *what, const char *s, size_t len, char *msg, size_t msgsz)
{
    char q[48];

    if (len == 0) {
        err_set(msg, msgsz, "%s is empty", what);
        return -1;
    }
    if (len > CAT_NAME_MAX) {
        err_set(msg, msgsz, "%s is %zu bytes long; the limit is %d", what, len, CAT_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n == 0) {
            err_set(msg, msgsz, "%s \"%s\" is not valid UTF-8 (byte %zu)", what,
                    quote_bytes(s, len, q, sizeof(q)), i + 1);
            return -1;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            err_set(msg, msgsz, "%s \"%s\" contains the control character U+%04X", what,
                    quote_bytes(s, len, q, sizeof(q)), (unsigned)cp);
            return -1;
        }
        i += n;
    }
    return 0;
}

static int check_id(const char *s, size_t len, char *msg, size_t msgsz)
{
    char q[48];

    if (len == 0) {
        err_set(msg, msgsz, "id is empty");
        return -1;
    }
    if (len > REP_SERVICE_MAX) {
        err_set(msg, msgsz, "id \"%s\" is %zu bytes long; the limit is %d",
                quote_bytes(s, len, q, sizeof(q)), len, REP_SERVICE_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_lower_alnum(c) || (i > 0 && (c == '.' || c == '_' || c == '-')))
            continue;
        if (c >= 'A' && c <= 'Z')
            err_set(msg, msgsz, "id \"%s\" has an upper-case letter; ids are lower-case",
                    quote_bytes(s, len, q, sizeof(q)));
        else
            err_set(msg, msgsz, "id \"%s\" is not of the form [a-z0-9][a-z0-9._-]*",
                    quote_bytes(s, len, q, sizeof(q)));
        return -1;
    }
    return 0;
}

#define CATEGORY_MAX (sizeof(((struct cat_service *)0)->category) - 1)

static int check_category(const char *s, size_t len, char *msg, size_t msgsz)
{
    char q[48];

    if (len == 0) {
        err_set(msg, msgsz, "category is empty");
        return -1;
    }
    if (len > CATEGORY_MAX) {
        err_set(msg, msgsz, "category \"%s\" is %zu bytes long; the limit is %zu",
                quote_bytes(s, len, q, sizeof(q)), len, CATEGORY_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_lower_alnum(s[i]) && !(i > 0 && (s[i] == '_' || s[i] == '-'))) {
            err_set(msg, msgsz, "category \"%s\" is not of the form [a-z0-9][a-z0-9_-]*",
                    quote_bytes(s, len, q, sizeof(q)));
            return -1;
        }
    }
    return 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space(**s))
        (*s)++, (*len)--;
    while (*len > 0 && is_space((*s)[*len - 1]))
        (*len)--;
}

/* Parse the comma-separated problem list into a bit set ("other" added). */
static int parse_problems(const char *s, size_t len, uint32_t *out, char *msg, size_t msgsz)
{
    uint32_t bits = 0;
    char q[48];
    size_t start = 0;

    if (len == 0) {
        err_set(msg, msgsz, "no problems listed; name at least one (\"other\" fits any service)");
        return -1;
    }
    for (size_t i = 0; i <= len; i++) {
        const char *item;
        size_t ilen;
        int p;

        if (i < len && s[i] != ',')
            continue;
        item = s + start;
        ilen = i - start;
        start = i + 1;
        trim(&item, &ilen);
        if (ilen == 0) {
            err_set(msg, msgsz, "empty problem name in the list \"%s\"",
                    quote_bytes(s, len, q, sizeof(q)));
            return -1;
        }
        p = rep_problem_parse(item, ilen);
        if (p < 0) {
            char known[128];
            size_t k = 0;
            for (int j = 0; j < REP_PROBLEM_COUNT && k < sizeof(known); j++)
                k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s", j ? ", " : "",
                                      rep_problem_name((enum rep_problem)j));
            err_set(msg, msgsz, "unknown problem \"%s\" (known: %s)",
                    quote_bytes(item, ilen, q, sizeof(q)), known);
            return -1;
        }
        if (bits & (1u << p)) {
            err_set(msg, msgsz, "problem \"%s\" is listed twice", rep_problem_name((enum rep_problem)p));
            return -1;
        }
        bits |= 1u << p;
    }
    *out = bits | (1u << REP_OTHER);
    return 0;
}

#define FIELD_COUNT 5

/* Parse one service line (no line terminator) into *out. */
static int parse_service(const char *line, size_t len, struct cat_service *out, char *msg,
                         size_t msgsz)
{
    const char *f[FIELD_COUNT];
    size_t flen[FIELD_COUNT];
    size_t nf = 0, start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != '|')
            continue;
        if (nf < FIELD_COUNT) {
            f[nf] = line + start;
            flen[nf] = i - start;
            trim(&f[nf], &flen[nf]);
        }
        nf++;
        start = i + 1;
    }
    if (nf != FIELD_COUNT) {
        err_set(msg, msgsz, "expected %d fields separated by '|' "
                "(id | name | owner | category | problems), found %zu", FIELD_COUNT, nf);
        return -1;
    }
    if (check_id(f[0], flen[0], msg, msgsz) < 0 ||
        check_text("name", f[1], flen[1], msg, msgsz) < 0 ||
        check_text("owner", f[2], flen[2], msg, msgsz) < 0 ||
        check_category(f[3], flen[3], msg, msgsz) < 0 ||
        parse_problems(f[4], flen[4], &out->problems, msg, msgsz) < 0)
        return -1;
    memset(out->id, 0, sizeof(out->id));
    memcpy(out->id, f[0], flen[0]);
    memset(out->name, 0, sizeof(out->name));
    memcpy(out->name, f[1], flen[1]);
    memset(out->owner, 0, sizeof(out->owner));
    memcpy(out->owner, f[2], flen[2]);
    memset(out->category, 0, sizeof(out->category));
    memcpy(out->category, f[3], flen[3]);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */

struct catalog *catalog_builtin(void)
{
    struct catalog *cat = xcalloc(1, sizeof(*cat));

    reserve(cat, sizeof(builtin) / sizeof(builtin[0]));
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        struct cat_service s = builtin[i];
        s.problems |= 1u << REP_OTHER;
        append(cat, &s);
    }
    return cat;
}

void catalog_free(struct catalog *cat)
{
    if (!cat)
        return;
    free(cat->svc);
    free(cat->slots);
    free(cat);
}

size_t catalog_count(const struct catalog *cat)
{
    return cat->count;
}

const struct cat_service *catalog_at(const struct catalog *cat, size_t index)
{
    return index < cat->count ? &cat->svc[index] : NULL;
}

int catalog_parse(struct catalog *cat, const char *text, size_t len, char *err, size_t errsz)
{
    struct catalog tmp = {0};
    size_t *line_of = NULL; /* file line that set each service; 0 = inherited */
    size_t lineno = 0, pos = 0;
    bool replace = false, seen_service = false;
    char msg[256];
    int rc = -1;
    static const char bom[] = "\xef\xbb\xbf";

    if (len >= sizeof(bom) - 1 && memcmp(text, bom, sizeof(bom) - 1) == 0)
        pos = sizeof(bom) - 1;

    reserve(&tmp, cat->count);
    for (size_t i = 0; i < cat->count; i++)
        append(&tmp, &cat->svc[i]);
    line_of = xcalloc(CAT_MAX_SERVICES, sizeof(line_of[0]));

    while (pos < len) {
        const char *eol = memchr(text + pos, '\n', len - pos);
        size_t end = eol ? (size_t)(eol - text) : len;
        const char *line = text + pos;
        size_t llen = end - pos;
        struct cat_service s;
        int found;

        pos = end + 1;
        lineno++;
        if (llen > 0 && line[llen - 1] == '\r')
            llen--;
        for (size_t i = 0; i < llen; i++) {
            unsigned char c = (unsigned char)line[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                err_set(err, errsz, "line %zu: control character 0x%02x in column %zu",
                        lineno, c, i + 1);
                goto fail;
            }
        }
        trim(&line, &llen);
        if (llen == 0 || line[0] == '#')
            continue;
        if (line[0] == '!') {
            if (llen != strlen("!replace") || memcmp(line, "!replace", llen) != 0) {
                err_set(err, errsz, "line %zu: unknown directive \"%s\" (the only one is !replace)",
                        lineno, quote_bytes(line, llen, msg, sizeof(msg)));
                goto fail;
            }
            if (seen_service || replace) {
                err_set(err, errsz, "line %zu: !replace must come once, before any service",
                        lineno);
                goto fail;
            }
            replace = true;
            clear(&tmp);
            continue;
        }
        seen_service = true;
        if (parse_service(line, llen, &s, msg, sizeof(msg)) < 0) {
            err_set(err, errsz, "line %zu: %s", lineno, msg);
            goto fail;
        }
        found = catalog_find(&tmp, s.id, strlen(s.id));
        if (found >= 0 && line_of[found] != 0) {
            err_set(err, errsz, "line %zu: duplicate id \"%s\" (first on line %zu)", lineno, s.id,
                    line_of[found]);
            goto fail;
        }
        if (found >= 0) {
            tmp.svc[found] = s;
        } else if (tmp.count == CAT_MAX_SERVICES) {
            err_set(err, errsz, "line %zu: too many services; the limit is %d", lineno,
                    CAT_MAX_SERVICES);
            goto fail;
        } else {
            found = (int)tmp.count;
            append(&tmp, &s);
        }
        line_of[found] = lineno;
    }
    if (replace && tmp.count == 0) {
        err_set(err, errsz, "the file says !replace but lists no service");
        goto fail;
    }

    free(cat->svc);
    free(cat->slots);
    *cat = tmp;
    tmp = (struct catalog){0};
    rc = 0;
fail:
    free(line_of);
    free(tmp.slots);
    free(tmp.svc);
    return rc;
}

/* Read a whole file of at most CAT_FILE_MAX bytes. Returns 0 with a buffer
 * the caller frees, or -1 with err set. */
static int read_file(const char *path, char **out, size_t *outlen, char *err, size_t errsz)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = NULL;
    int fd, rc = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(err, errsz, "cannot read catalog file %s: %s", path, strerror(errno));
        return -1;
    }
    buf = xmalloc(cap);
    for (;;) {
        ssize_t n;
        if (len == cap) {
            if (cap > CAT_FILE_MAX) {
                err_set(err, errsz, "catalog file %s is larger than the limit of %d bytes",
                        path, CAT_FILE_MAX);
                goto fail;
            }
            cap = cap * 2 > CAT_FILE_MAX ? (size_t)CAT_FILE_MAX + 1 : cap * 2;
            buf = xrealloc(buf, cap);
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(err, errsz, "cannot read catalog file %s: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *out = buf;
    *outlen = len;
    buf = NULL;
    rc = 0;
fail:
    free(buf);
    close(fd);
    return rc;
}

struct catalog *catalog_load(const char *path, char *err, size_t errsz)
{
    struct catalog *cat = catalog_builtin();
    char *text = NULL;
    size_t len = 0;
    char msg[320];

    if (!path || !*path)
        return cat;
    if (read_file(path, &text, &len, err, errsz) < 0)
        goto fail;
    if (catalog_parse(cat, text, len, msg, sizeof(msg)) < 0) {
        err_set(err, errsz, "catalog file %s: %s", path, msg);
        goto fail;
    }
    free(text);
    return cat;
fail:
    free(text);
    catalog_free(cat);
    return NULL;
}
