/* process.c - the process_* metrics every Prometheus client library
 * exports, under their standard names, read from /proc when scraped:
 * /proc/self/stat for CPU time (user + system), virtual and resident
 * memory and the start time (in clock ticks after boot, plus the boot
 * time from /proc/stat), /proc/self/fd for open descriptors and
 * RLIMIT_NOFILE for their limit. Linux only, as downwatch is. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/buf.h"
#include "prom/prom.h"

/* The fields of /proc/self/stat that matter here (proc(5) numbering). */
struct self_stat {
    unsigned long long utime, stime;  /* 14, 15: clock ticks */
    unsigned long long starttime;     /* 22: clock ticks after boot */
    unsigned long long vsize;         /* 23: bytes */
    long long rss;                    /* 24: pages */
};

static int read_self_stat(struct self_stat *st)
{
    char text[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: the
     * fields after it start at its last ')'. */
    const char *p = strrchr(text, ')');
    if (!p)
        return -1;
    int got = sscanf(p + 1,
                     /* 3..13 */ " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s"
                     /* 14, 15 */ " %llu %llu"
                     /* 16..21 */ " %*s %*s %*s %*s %*s %*s"
                     /* 22..24 */ " %llu %llu %lld",
                     &st->utime, &st->stime, &st->starttime, &st->vsize, &st->rss);
    return got == 5 ? 0 : -1;
}

/* Seconds since the epoch at which the machine booted, or -1. */
static long long boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    char line[256];
    long long btime = -1;
    while (btime < 0 && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "btime %lld", &btime) != 1)
            btime = -1;
    }
    fclose(f);
    return btime;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void gauge(struct buf *out, const char *name, const char *type, const char *help,
                  double value)
{
    prom_write_family(out, name, type, help);
    prom_write_sample(out, name, NULL, NULL, value);
}

void prom_write_process(struct buf *out)
{
    struct self_stat st;
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (read_self_stat(&st) == 0 && ticks > 0 && page > 0) {
        gauge(out, "process_cpu_seconds_total", "counter",
              "Total user and system CPU time spent in seconds.",
              (double)(st.utime + st.stime) / (double)ticks);
        gauge(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
              (double)st.rss * (double)page);
        gauge(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
              (double)st.vsize);
        long long boot = boot_time();
        if (boot >= 0)
            gauge(out, "process_start_time_seconds", "gauge",
                  "Start time of the process since unix epoch in seconds.",
                  (double)boot + (double)st.starttime / (double)ticks);
    }
    long fds = open_fds();
    if (fds >= 0)
        gauge(out, "process_open_fds", "gauge", "Number of open file descriptors.", (double)fds);
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
        gauge(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
              (double)lim.rlim_cur);
}
