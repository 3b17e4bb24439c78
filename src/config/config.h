/* config.h - every option of `downwatch serve` in one table.
 *
 * Each option has a name, a type, a default, bounds and a one-line help.
 * Values come, weakest first, from the defaults, a config file
 * (`name = value` lines, '#' comments), environment variables
 * (DOWNWATCH_<NAME> in upper case) and command-line flags (`--name=value` or
 * `--name value`). Defaults need no file: listen 127.0.0.1:8080, data in
 * ./data. Every value is checked against its bounds; an error names the
 * option and where the bad value came from. */
#ifndef DW_CONFIG_H
#define DW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct config {
    char listen[128];          /* host:port, [v6]:port */
    char data_dir[512];
    int threads;               /* HTTP threads; 0 = one per core */
    int max_connections;
    int max_connections_per_ip;
    int idle_timeout;          /* seconds */
    int header_timeout;        /* seconds */
    int64_t max_body;          /* bytes */
    int64_t max_header;        /* bytes per connection for request line + headers */
    int64_t queue_max;         /* reports waiting for commit */
    char sync[16];             /* "normal" or "full" */
    char catalog[512];         /* catalog file; "" = built-in only */
    char geoip_db[512];
    char geoip_db_v6[512];
    char trusted_proxies[1024];
    double rate_limit;         /* reports/s per address; 0 = off */
    double rate_burst;
    double network_rate_limit;  /* reports/s per /24 or /48; 0 = off */
    double network_rate_burst;
    double address_votes;       /* counted votes per address, service and window */
    double network_votes;       /* the same per /24 or /48 */
    int64_t rate_slots;
    int vote_window;           /* seconds */
    int64_t vote_slots;
    int64_t max_series;
    int series_minutes;
    int series_hours;
    char webhooks[512];        /* webhooks file; "" = none */
    int webhook_timeout;       /* seconds per attempt */
    int webhook_concurrency;
    int webhook_attempts;
    double webhook_retry_base; /* seconds */
    double webhook_retry_max;  /* seconds */
    int update_interval;       /* event-time seconds between two "updated" messages */
    int64_t outbox_max;
    int silence_max;           /* seconds */
    int64_t events_max;
    int delivery_retention;    /* seconds */
    char admin_token[256];
    char replay_token[256];
    char metrics_token[256];
    char public_url[512];
    char log_level[16];
};

/* Fill cfg with the defaults. */
void config_defaults(struct config *cfg);

/* Apply a config file's text (len bytes; origin names it in errors).
 * Returns 0, or -1 with a sentence in err; cfg may be partly updated then. */
int config_apply_text(struct config *cfg, const char *text, size_t len, const char *origin,
                      char *err, size_t errsz);

/* Build the configuration of a command: defaults, then the file named by
 * --config (or DOWNWATCH_CONFIG), then DOWNWATCH_* variables, then flags.
 * argv holds only the options (after the command name). Unknown flags are
 * errors. Sets *check_only when --check-config is given. Returns 0, or -1
 * with a sentence in err. */
int config_load(struct config *cfg, int argc, char **argv, int *check_only, char *err,
                size_t errsz);

/* Print the option table (name, type, default, bounds, help) for --help. */
void config_print_help(FILE *out);
/* Print the effective configuration as a config file (tokens masked). */
void config_print(const struct config *cfg, FILE *out);

#endif
