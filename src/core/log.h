/* log.h - structured log lines in logfmt, one line per event, on stderr.
 *
 *   ts=2026-11-29T02:00:00.123Z level=info msg="listening" addr=127.0.0.1:8080
 *
 * The message is a fixed, greppable phrase; the details go in key=value
 * pairs, formatted by the caller with printf syntax. Values that may hold
 * spaces or quotes are quoted with log_quote(). Thread-safe: each line is
 * written with a single write(2). */
#ifndef DW_LOG_H
#define DW_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below this level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);
/* Parse "debug", "info", "warn" or "error"; returns 0 or -1 if unknown. */
int log_parse_level(const char *name, enum log_level *out);

/* Write one line: msg is the phrase, kv_fmt (may be NULL) the printf format
 * of the key=value pairs that follow it. */
void log_write(enum log_level level, const char *msg, const char *kv_fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

/* Quote a value for logfmt into out (size outsz): wraps it in double quotes
 * and escapes quotes, backslashes and control bytes. Returns out. */
const char *log_quote(const char *value, char *out, unsigned outsz);

#endif
