/* log.c - logfmt lines on stderr (see log.h). The whole line is built in a
 * stack buffer and written at once, so lines from different threads never
 * interleave; an overlong line is cut and marked with "...". */
#include "core/log.h"
#include "core/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

int log_parse_level(const char *name, enum log_level *out)
{
    for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

const char *log_quote(const char *value, char *out, unsigned outsz)
{
    unsigned o = 0;
    if (outsz < 3) {
        if (outsz)
            out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (const char *p = value; *p && o + 3 < outsz; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            out[o++] = '?';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

void log_write(enum log_level level, const char *msg, const char *kv_fmt, ...)
{
    if (level < min_level)
        return;
    char line[2048];
    char stamp[40];
    char quoted[512];
    time_format_ms(time_now_ms(), stamp, sizeof(stamp));
    int n = snprintf(line, sizeof(line), "ts=%s level=%s msg=%s", stamp,
                     level_names[level], log_quote(msg, quoted, sizeof(quoted)));
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (kv_fmt && len + 1 < sizeof(line)) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, kv_fmt);
        int m = vsnprintf(line + len, sizeof(line) - len, kv_fmt, ap);
        va_end(ap);
        if (m > 0)
            len += (size_t)m < sizeof(line) - len ? (size_t)m : sizeof(line) - len - 1;
    }
    if (len >= sizeof(line) - 5)
        memcpy(line + sizeof(line) - 5, "...", 3), len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t unused = write(STDERR_FILENO, line, len);
    (void)unused;
}
