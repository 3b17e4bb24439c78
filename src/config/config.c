/* config.c - the option table and the four sources that fill it (see
 * config.h). One static table describes every option: where it lives in
 * struct config (offsetof), its type, its default as text, its bounds and
 * its help. Defaults are applied by parsing that text, so a default is
 * checked by the same code as a user's value. Sizes take k/M/G suffixes
 * (powers of 1024); enums list their allowed words. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

enum opt_type { OPT_STR, OPT_INT, OPT_SIZE, OPT_DOUBLE, OPT_ENUM };

struct option {
    const char *name;
    enum opt_type type;
    size_t offset;
    size_t size;       /* OPT_STR/OPT_ENUM: capacity of the char array */
    const char *def;   /* default, as text */
    double min, max;   /* bounds for numbers */
    const char *words; /* OPT_ENUM: allowed values, '|'-separated */
    int secret;        /* masked in config_print */
    const char *help;
};

#define STR(field) OPT_STR, offsetof(struct config, field), sizeof(((struct config *)0)->field)
#define NUM(kind, field) kind, offsetof(struct config, field), 0
#define ENUM(field) OPT_ENUM, offsetof(struct config, field), sizeof(((struct config *)0)->field)

static const struct option options[] = {
    {"listen", STR(listen), "127.0.0.1:8080", 0, 0, NULL, 0,
     "address and port to serve HTTP on (host:port, [v6]:port)"},
    {"data_dir", STR(data_dir), "./data", 0, 0, NULL, 0,
     "directory of the SQLite database, created if missing"},
    {"threads", NUM(OPT_INT, threads), "0", 0, 256, NULL, 0,
     "HTTP threads; 0 = one per core"},
    {"max_connections", NUM(OPT_INT, max_connections), "4096", 1, 1000000, NULL, 0,
     "open connections at most; more are refused"},
    {"max_connections_per_ip", NUM(OPT_INT, max_connections_per_ip), "256", 0, 1000000, NULL, 0,
     "open connections per client address; 0 = no limit"},
    {"idle_timeout", NUM(OPT_INT, idle_timeout), "10", 1, 3600, NULL, 0,
     "seconds a connection may stay silent (idle or mid-request) before it is closed"},
    {"header_timeout", NUM(OPT_INT, header_timeout), "10", 1, 3600, NULL, 0,
     "seconds a request's headers may take to arrive, however they trickle in"},
    {"max_body", NUM(OPT_SIZE, max_body), "8M", 1024, 1024.0 * 1024 * 1024, NULL, 0,
     "largest request body in bytes (k/M/G suffixes); larger gets 413"},
    {"max_header", NUM(OPT_SIZE, max_header), "16k", 2048, 1024 * 1024, NULL, 0,
     "bytes per connection for the request line and headers; more gets 431"},
    {"queue_max", NUM(OPT_SIZE, queue_max), "1M", 1, 1e9, NULL, 0,
     "reports waiting for a commit at most; beyond it requests get 503"},
    {"sync", ENUM(sync), "normal", 0, 0, "normal|full", 0,
     "normal: a commit survives a crash of downwatch; full: also a power loss (fsync per commit)"},
    {"catalog", STR(catalog), "", 0, 0, NULL, 0,
     "service catalog file extending (or, with !replace, replacing) the built-in one"},
    {"geoip_db", STR(geoip_db), "/usr/share/GeoIP/GeoIP.dat", 0, 0, NULL, 0,
     "GeoIP country database for IPv4 (Debian geoip-database)"},
    {"geoip_db_v6", STR(geoip_db_v6), "/usr/share/GeoIP/GeoIPv6.dat", 0, 0, NULL, 0,
     "GeoIP country database for IPv6"},
    {"trusted_proxies", STR(trusted_proxies), "", 0, 0, NULL, 0,
     "comma-separated addresses/CIDRs whose X-Forwarded-For is believed"},
    {"rate_limit", NUM(OPT_DOUBLE, rate_limit), "5", 0, 1e9, NULL, 0,
     "reports per second per client address (token bucket); 0 = no limit"},
    {"rate_burst", NUM(OPT_DOUBLE, rate_burst), "60", 1, 1e9, NULL, 0,
     "reports an address may send at once before the rate applies"},
    {"network_rate_limit", NUM(OPT_DOUBLE, network_rate_limit), "50", 0, 1e9, NULL, 0,
     "reports per second per network (IPv4 /24, IPv6 /48); 0 = no limit"},
    {"network_rate_burst", NUM(OPT_DOUBLE, network_rate_burst), "600", 1, 1e9, NULL, 0,
     "reports a network may send at once before its rate applies"},
    {"rate_slots", NUM(OPT_SIZE, rate_slots), "64k", 64, 1 << 26, NULL, 0,
     "size of the rate-limit and vote-share tables (32 bytes a slot each)"},
    {"vote_window", NUM(OPT_INT, vote_window), "600", 1, 86400 * 7, NULL, 0,
     "seconds during which further reports of a client for a service are not counted"},
    {"vote_slots", NUM(OPT_SIZE, vote_slots), "1M", 1024, 1 << 28, NULL, 0,
     "size of the vote table (16 bytes a slot)"},
    {"address_votes", NUM(OPT_DOUBLE, address_votes), "4", 0, 1e9, NULL, 0,
     "votes one address counts per service and vote window, whatever its client ids; 0 = any"},
    {"network_votes", NUM(OPT_DOUBLE, network_votes), "64", 0, 1e9, NULL, 0,
     "votes one network (IPv4 /24, IPv6 /48) counts per service and vote window; 0 = any"},
    {"max_series", NUM(OPT_SIZE, max_series), "4096", 0, 1 << 20, NULL, 0,
     "(service, country) series kept in memory at most (~100 kB each)"},
    {"series_minutes", NUM(OPT_INT, series_minutes), "1440", 60, 60 * 24 * 31, NULL, 0,
     "minutes of per-minute counts kept in memory"},
    {"series_hours", NUM(OPT_INT, series_hours), "840", 24, 24 * 400, NULL, 0,
     "hours of per-hour counts kept in memory"},
    {"webhooks", STR(webhooks), "", 0, 0, NULL, 0,
     "webhook subscriptions file, one per line (README: Alerting); re-read on SIGHUP"},
    {"webhook_timeout", NUM(OPT_INT, webhook_timeout), "10", 1, 300, NULL, 0,
     "seconds one webhook attempt may take, connection included"},
    {"webhook_concurrency", NUM(OPT_INT, webhook_concurrency), "8", 1, 256, NULL, 0,
     "webhook deliveries in flight at most (one per subscription at a time)"},
    {"webhook_attempts", NUM(OPT_INT, webhook_attempts), "12", 1, 100, NULL, 0,
     "attempts before a delivery is given up as a dead letter"},
    {"webhook_retry_base", NUM(OPT_DOUBLE, webhook_retry_base), "10", 0.01, 3600, NULL, 0,
     "seconds before the first retry; each later one doubles, with jitter"},
    {"webhook_retry_max", NUM(OPT_DOUBLE, webhook_retry_max), "3600", 0.01, 86400, NULL, 0,
     "longest pause between two attempts, seconds"},
    {"update_interval", NUM(OPT_INT, update_interval), "600", 0, 86400, NULL, 0,
     "event-time seconds between two \"updated\" messages of an incident (a worse severity goes at once)"},
    {"outbox_max", NUM(OPT_SIZE, outbox_max), "10k", 1, 1e7, NULL, 0,
     "pending webhook deliveries at most; more become dead letters"},
    {"silence_max", NUM(OPT_INT, silence_max), "604800", 60, 2592000, NULL, 0,
     "longest silence or maintenance window, seconds"},
    {"events_max", NUM(OPT_SIZE, events_max), "100k", 1000, 1e9, NULL, 0,
     "entries of the event history kept (GET /api/v1/events)"},
    {"delivery_retention", NUM(OPT_INT, delivery_retention), "2592000", 3600, 315360000, NULL, 0,
     "seconds finished webhook deliveries of ended incidents are kept"},
    {"admin_token", STR(admin_token), "", 0, 0, NULL, 1,
     "bearer token for admin calls; also lets a report's ts be honoured"},
    {"replay_token", STR(replay_token), "", 0, 0, NULL, 1,
     "bearer token for replays: honours ts, skips the rate limit"},
    {"metrics_token", STR(metrics_token), "", 0, 0, NULL, 1,
     "bearer token that GET /metrics requires; empty = /metrics is public"},
    {"public_url", STR(public_url), "", 0, 0, NULL, 0,
     "public base URL (https://host[/prefix]) of the feeds' links and ids; empty = from Host"},
    {"log_level", ENUM(log_level), "info", 0, 0, "debug|info|warn|error", 0,
     "least important log lines written"},
};

#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

static const struct option *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (strlen(options[i].name) == len && memcmp(options[i].name, name, len) == 0)
            return &options[i];
    }
    /* Flags may spell names with dashes: --data-dir. */
    char alt[64];
    if (len >= sizeof(alt))
        return NULL;
    for (size_t i = 0; i < len; i++)
        alt[i] = name[i] == '-' ? '_' : name[i];
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (strlen(options[i].name) == len && memcmp(options[i].name, alt, len) == 0)
            return &options[i];
    }
    return NULL;
}

/* Parse a number with an optional k/M/G suffix (OPT_SIZE). */
static int parse_number(const struct option *o, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || errno || !isfinite(d))
        return -1;
    if (o->type == OPT_SIZE) {
        switch (*end) {
        case 'k': case 'K': d *= 1024; end++; break;
        case 'm': case 'M': d *= 1024.0 * 1024; end++; break;
        case 'g': case 'G': d *= 1024.0 * 1024 * 1024; end++; break;
        default: break;
        }
    }
    if (*end)
        return -1;
    if ((o->type == OPT_INT || o->type == OPT_SIZE) && d != floor(d))
        return -1;
    *out = d;
    return 0;
}

static int enum_allows(const char *words, const char *v)
{
    size_t vlen = strlen(v);
    for (const char *w = words; *w;) {
        const char *bar = strchr(w, '|');
        size_t wlen = bar ? (size_t)(bar - w) : strlen(w);
        if (wlen == vlen && memcmp(w, v, vlen) == 0)
            return 1;
        if (!bar)
            break;
        w = bar + 1;
    }
    return 0;
}

static int set_value(struct config *cfg, const struct option *o, const char *v,
                     const char *origin, char *err, size_t errsz)
{
    char *field = (char *)cfg + o->offset;
    double d;
    switch (o->type) {
    case OPT_ENUM:
        if (!enum_allows(o->words, v)) {
            err_set(err, errsz, "%s: %s must be one of %s, not \"%s\"", origin, o->name,
                    o->words, v);
            return -1;
        }
        /* fall through */
    case OPT_STR:
        if (strlen(v) >= o->size) {
            err_set(err, errsz, "%s: %s is longer than %zu bytes", origin, o->name, o->size - 1);
            return -1;
        }
        strcpy(field, v);
        return 0;
    case OPT_INT:
    case OPT_SIZE:
    case OPT_DOUBLE:
        if (parse_number(o, v, &d) < 0) {
            err_set(err, errsz, "%s: %s needs a%s number, not \"%s\"", origin, o->name,
                    o->type == OPT_DOUBLE ? "" : " whole", v);
            return -1;
        }
        if (d < o->min || d > o->max) {
            err_set(err, errsz, "%s: %s must be between %.17g and %.17g, not %s", origin,
                    o->name, o->min, o->max, v);
            return -1;
        }
        if (o->type == OPT_INT)
            *(int *)field = (int)d;
        else if (o->type == OPT_SIZE)
            *(int64_t *)field = (int64_t)d;
        else
            *(double *)field = d;
        return 0;
    }
    return -1;
}

void config_defaults(struct config *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (set_value(cfg, &options[i], options[i].def, "default", err, sizeof(err)) < 0)
            abort(); /* a default outside its own bounds is a programming error */
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int config_apply_text(struct config *cfg, const char *text, size_t len, const char *origin,
                      char *err, size_t errsz)
{
    char line[2048];
    size_t lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        if (n >= sizeof(line)) {
            err_set(err, errsz, "%s:%zu: line too long", origin, lineno);
            return -1;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + 1;
        if (memchr(line, '\0', n)) {
            err_set(err, errsz, "%s:%zu: NUL byte in line", origin, lineno);
            return -1;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            err_set(err, errsz, "%s:%zu: expected `name = value`", origin, lineno);
            return -1;
        }
        *eq = '\0';
        char *name = trim(s);
        char *value = trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        const struct option *o = find_option(name, strlen(name));
        char where[600];
        snprintf(where, sizeof(where), "%s:%zu", origin, lineno);
        if (!o) {
            err_set(err, errsz, "%s: unknown option \"%.64s\"", where, name);
            return -1;
        }
        if (set_value(cfg, o, value, where, err, errsz) < 0)
            return -1;
    }
    return 0;
}

static int apply_file(struct config *cfg, const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, errsz, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    char *text = xmalloc(1024 * 1024);
    size_t len = fread(text, 1, 1024 * 1024, f);
    int too_big = !feof(f);
    fclose(f);
    int rc = -1;
    if (too_big)
        err_set(err, errsz, "config file %s is larger than 1 MiB", path);
    else
        rc = config_apply_text(cfg, text, len, path, err, errsz);
    free(text);
    return rc;
}

static int apply_env(struct config *cfg, char *err, size_t errsz)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        char var[80] = "DOWNWATCH_";
        size_t k = strlen(var);
        for (const char *p = options[i].name; *p && k + 1 < sizeof(var); p++)
            var[k++] = (char)toupper((unsigned char)*p);
        var[k] = '\0';
        const char *v = getenv(var);
        if (v && set_value(cfg, &options[i], v, var, err, errsz) < 0)
            return -1;
    }
    return 0;
}

/* Find the value of a flag at argv[*i]: "--name=value" or "--name value". */
static int flag_value(int argc, char **argv, int *i, const char *eq, const char **value)
{
    if (eq) {
        *value = eq + 1;
        return 0;
    }
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 0;
}

int config_load(struct config *cfg, int argc, char **argv, int *check_only, char *err,
                size_t errsz)
{
    config_defaults(cfg);
    *check_only = 0;
    const char *file = getenv("DOWNWATCH_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--config", 8) == 0 && (argv[i][8] == '=' || argv[i][8] == '\0')) {
            const char *eq = argv[i][8] == '=' ? argv[i] + 8 : NULL;
            if (flag_value(argc, argv, &i, eq, &file) < 0) {
                err_set(err, errsz, "--config needs a file name");
                return -1;
            }
        }
    }
    if (file && *file && apply_file(cfg, file, err, errsz) < 0)
        return -1;
    if (apply_env(cfg, err, errsz) < 0)
        return -1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--check-config") == 0) {
            *check_only = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            err_set(err, errsz, "unexpected argument \"%.64s\"", arg);
            return -1;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const char *value;
        if (nlen == 6 && strncmp(name, "config", 6) == 0) {
            flag_value(argc, argv, &i, eq, &value); /* read above */
            continue;
        }
        const struct option *o = find_option(name, nlen);
        if (!o) {
            err_set(err, errsz, "unknown option --%.*s (see --help)", (int)(nlen > 64 ? 64 : nlen),
                    name);
            return -1;
        }
        if (flag_value(argc, argv, &i, eq, &value) < 0) {
            err_set(err, errsz, "--%s needs a value", o->name);
            return -1;
        }
        char where[80];
        snprintf(where, sizeof(where), "--%s", o->name);
        if (set_value(cfg, o, value, where, err, errsz) < 0)
            return -1;
    }
    return 0;
}

static const char *type_name(const struct option *o)
{
    switch (o->type) {
    case OPT_STR: return "string";
    case OPT_INT: return "integer";
    case OPT_SIZE: return "size";
    case OPT_DOUBLE: return "number";
    case OPT_ENUM: return o->words;
    }
    return "?";
}

void config_print_help(FILE *out)
{
    fprintf(out, "  %-24s %-22s %-28s %s\n", "option", "type", "default", "bounds");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option *o = &options[i];
        char bounds[64] = "";
        if (o->type == OPT_INT || o->type == OPT_SIZE || o->type == OPT_DOUBLE)
            snprintf(bounds, sizeof(bounds), "%.10g..%.10g", o->min, o->max);
        char def[40];
        snprintf(def, sizeof(def), "\"%s\"", o->def);
        fprintf(out, "  --%-22s %-22s %-28s %s\n      %s\n", o->name, type_name(o), def, bounds,
                o->help);
    }
}

void config_print(const struct config *cfg, FILE *out)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option *o = &options[i];
        const char *field = (const char *)cfg + o->offset;
        fprintf(out, "%s = ", o->name);
        switch (o->type) {
        case OPT_STR:
        case OPT_ENUM:
            if (o->secret && *field)
                fprintf(out, "\"<set, %zu bytes>\"\n", strlen(field));
            else
                fprintf(out, "\"%s\"\n", field);
            break;
        case OPT_INT: fprintf(out, "%d\n", *(const int *)field); break;
        case OPT_SIZE: fprintf(out, "%lld\n", (long long)*(const int64_t *)field); break;
        case OPT_DOUBLE: fprintf(out, "%.17g\n", *(const double *)field); break;
        }
    }
}
