/* prom.c - the metric registry and its text exposition (see prom.h).
 *
 * A family's counts are one array of 64-bit atomics: PROM_SHARDS shards,
 * each `stride` slots long (rounded up to whole 64-byte lines, the array
 * aligned to a line), a shard holding every cell's slots: one for a
 * counter; for a histogram one per bucket, one for +Inf and the sum of the
 * durations in nanoseconds. A bucket counts the durations that fall in it
 * alone; the scrape makes them cumulative, as the format wants, and the
 * count is their total, so count and buckets always agree. The registry
 * is a list under a mutex, taken to register, to count by name and to
 * scrape, never to update through a handle. */
#include "prom/prom.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

#define LINE_SLOTS 8 /* 64-bit slots in a 64-byte cache line */

static const char *const bound_text[] = {PROM_DURATION_BOUNDS};
#define BUCKETS (sizeof(bound_text) / sizeof(bound_text[0]))
static const int64_t bound_ns[BUCKETS] = {
    100000,    250000,    500000,     1000000,    2500000,    5000000,
    10000000,  25000000,  50000000,   100000000,  250000000,  500000000,
    1000000000, 2500000000, 5000000000, 10000000000,
};

struct prom_family {
    const struct prom_spec *spec;
    size_t cells;
    size_t cell_slots; /* 1, or BUCKETS + 2 */
    size_t stride;     /* slots per shard */
    _Atomic uint64_t *slots;
    struct prom_family *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prom_family *registry_head, *registry_tail;

static atomic_uint shards_taken;
static __thread unsigned thread_shard = PROM_SHARDS; /* PROM_SHARDS: none yet */

static unsigned my_shard(void)
{
    if (thread_shard == PROM_SHARDS)
        thread_shard = atomic_fetch_add_explicit(&shards_taken, 1, memory_order_relaxed) %
                       PROM_SHARDS;
    return thread_shard;
}

/* ---- registering --------------------------------------------------------- */

static int valid_name(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == ':'))
            return 0;
    }
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The naming rules of prom.h; a broken spec is a bug in the caller. */
static void check_spec(const struct prom_spec *spec)
{
    const char *problem = NULL;
    if (!valid_name(spec->name) || !spec->help)
        problem = "a bad name or no help";
    else if (spec->kind == PROM_COUNTER && !ends_with(spec->name, "_total"))
        problem = "a counter's name must end in _total";
    else if (spec->kind == PROM_DURATIONS && !ends_with(spec->name, "_seconds"))
        problem = "a duration histogram's name must end in _seconds";
    else if (spec->nlabels > PROM_LABELS_MAX)
        problem = "too many labels";
    for (size_t i = 0; !problem && i < spec->nlabels; i++) {
        const struct prom_label *l = &spec->labels[i];
        if (!valid_name(l->name) || strchr(l->name, ':') || strncmp(l->name, "__", 2) == 0 ||
            strcmp(l->name, "le") == 0 || l->count == 0 || !l->values)
            problem = "a bad label";
    }
    if (problem) {
        fprintf(stderr, "metric %s: %s\n", spec->name ? spec->name : "(null)", problem);
        abort();
    }
}

static struct prom_family *find_locked(const char *name)
{
    for (struct prom_family *f = registry_head; f; f = f->next) {
        if (strcmp(f->spec->name, name) == 0)
            return f;
    }
    return NULL;
}

struct prom_family *prom_register(const struct prom_spec *spec)
{
    check_spec(spec);
    pthread_mutex_lock(&registry_lock);
    struct prom_family *f = find_locked(spec->name);
    if (f) {
        pthread_mutex_unlock(&registry_lock);
        return f;
    }
    f = xcalloc(1, sizeof(*f));
    f->spec = spec;
    f->cells = 1;
    for (size_t i = 0; i < spec->nlabels; i++)
        f->cells *= spec->labels[i].count;
    f->cell_slots = spec->kind == PROM_COUNTER ? 1 : BUCKETS + 2;
    f->stride = (f->cells * f->cell_slots + LINE_SLOTS - 1) / LINE_SLOTS * LINE_SLOTS;
    /* One line more than needed, to start the shards on a line boundary. */
    char *memory = xcalloc(PROM_SHARDS * f->stride + LINE_SLOTS, sizeof(uint64_t));
    uintptr_t aligned = ((uintptr_t)memory + 63) & ~(uintptr_t)63;
    f->slots = (_Atomic uint64_t *)aligned;
    if (registry_tail)
        registry_tail->next = f;
    else
        registry_head = f;
    registry_tail = f;
    pthread_mutex_unlock(&registry_lock);
    return f;
}

/* ---- updating ------------------------------------------------------------ */

static _Atomic uint64_t *cell_slots(const struct prom_family *f, unsigned shard, size_t cell)
{
    return f->slots + (size_t)shard * f->stride + cell * f->cell_slots;
}

void prom_add(struct prom_family *f, size_t cell, uint64_t n)
{
    if (cell >= f->cells)
        return;
    atomic_fetch_add_explicit(cell_slots(f, my_shard(), cell), n, memory_order_relaxed);
}

void prom_observe_ns(struct prom_family *f, size_t cell, int64_t ns)
{
    if (cell >= f->cells)
        return;
    if (ns < 0)
        ns = 0;
    size_t bucket = 0;
    while (bucket < BUCKETS && ns > bound_ns[bucket])
        bucket++;
    _Atomic uint64_t *slots = cell_slots(f, my_shard(), cell);
    atomic_fetch_add_explicit(&slots[bucket], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&slots[BUCKETS + 1], (uint64_t)ns, memory_order_relaxed);
}

int prom_count(const char *name, const char *value, uint64_t n)
{
    pthread_mutex_lock(&registry_lock);
    struct prom_family *f = find_locked(name);
    int rc = -1;
    if (f && f->spec->kind == PROM_COUNTER && f->spec->nlabels == 1) {
        const struct prom_label *l = &f->spec->labels[0];
        for (size_t i = 0; i < l->count && rc < 0; i++) {
            if (strcmp(l->values[i], value) == 0) {
                prom_add(f, i, n);
                rc = 0;
            }
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

/* The sum over the shards of one slot of a cell. */
static uint64_t slot_total(const struct prom_family *f, size_t cell, size_t slot)
{
    uint64_t total = 0;
    for (unsigned s = 0; s < PROM_SHARDS; s++)
        total += atomic_load_explicit(&cell_slots(f, s, cell)[slot], memory_order_relaxed);
    return total;
}

uint64_t prom_value(const struct prom_family *f, size_t cell)
{
    if (cell >= f->cells)
        return 0;
    if (f->spec->kind == PROM_COUNTER)
        return slot_total(f, cell, 0);
    uint64_t count = 0;
    for (size_t b = 0; b <= BUCKETS; b++)
        count += slot_total(f, cell, b);
    return count;
}

/* ---- writing ------------------------------------------------------------- */

/* Text with `\`, newline and, in label values, `"` escaped. */
static void put_escaped(struct buf *out, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_puts(out, "\\\\");
        else if (*s == '\n')
            buf_puts(out, "\\n");
        else if (*s == '"' && quote)
            buf_puts(out, "\\\"");
        else
            buf_putc(out, *s);
    }
}

void prom_write_family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s ", name);
    put_escaped(out, help, 0);
    buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

static void put_number(struct buf *out, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        buf_printf(out, "%.0f", v);
    else
        buf_printf(out, "%.15g", v);
}

void prom_write_sample(struct buf *out, const char *name, const char *label, const char *value,
                       double number)
{
    buf_puts(out, name);
    if (label) {
        buf_printf(out, "{%s=\"", label);
        put_escaped(out, value, 1);
        buf_puts(out, "\"}");
    }
    buf_putc(out, ' ');
    put_number(out, number);
    buf_putc(out, '\n');
}

/* name{a="x",b="y"[,le="bound"]} for a cell; no braces when there is
 * nothing inside them. */
static void put_series(struct buf *out, const struct prom_family *f, const char *suffix,
                       size_t cell, const char *le)
{
    const struct prom_spec *spec = f->spec;
    buf_puts(out, spec->name);
    buf_puts(out, suffix);
    if (spec->nlabels == 0 && !le)
        return;
    size_t index[PROM_LABELS_MAX], rest = cell;
    for (size_t i = spec->nlabels; i-- > 0;) {
        index[i] = rest % spec->labels[i].count;
        rest /= spec->labels[i].count;
    }
    buf_putc(out, '{');
    for (size_t i = 0; i < spec->nlabels; i++) {
        buf_printf(out, "%s%s=\"", i ? "," : "", spec->labels[i].name);
        put_escaped(out, spec->labels[i].values[index[i]], 1);
        buf_putc(out, '"');
    }
    if (le)
        buf_printf(out, "%sle=\"%s\"", spec->nlabels ? "," : "", le);
    buf_putc(out, '}');
}

static void write_counter(struct buf *out, const struct prom_family *f)
{
    for (size_t cell = 0; cell < f->cells; cell++) {
        uint64_t v = slot_total(f, cell, 0);
        if (f->spec->sparse && v == 0)
            continue;
        put_series(out, f, "", cell, NULL);
        buf_printf(out, " %llu\n", (unsigned long long)v);
    }
}

static void write_histogram(struct buf *out, const struct prom_family *f)
{
    for (size_t cell = 0; cell < f->cells; cell++) {
        uint64_t in_bucket[BUCKETS + 1], count = 0;
        for (size_t b = 0; b <= BUCKETS; b++) {
            in_bucket[b] = slot_total(f, cell, b);
            count += in_bucket[b];
        }
        if (f->spec->sparse && count == 0)
            continue;
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= BUCKETS; b++) {
            cumulative += in_bucket[b];
            put_series(out, f, "_bucket", cell, b < BUCKETS ? bound_text[b] : "+Inf");
            buf_printf(out, " %llu\n", (unsigned long long)cumulative);
        }
        uint64_t sum_ns = slot_total(f, cell, BUCKETS + 1);
        put_series(out, f, "_sum", cell, NULL);
        buf_printf(out, " %llu.%09llu\n", (unsigned long long)(sum_ns / 1000000000),
                   (unsigned long long)(sum_ns % 1000000000));
        put_series(out, f, "_count", cell, NULL);
        buf_printf(out, " %llu\n", (unsigned long long)count);
    }
}

void prom_write_registry(struct buf *out)
{
    pthread_mutex_lock(&registry_lock);
    for (const struct prom_family *f = registry_head; f; f = f->next) {
        int counter = f->spec->kind == PROM_COUNTER;
        prom_write_family(out, f->spec->name, counter ? "counter" : "histogram", f->spec->help);
        if (counter)
            write_counter(out, f);
        else
            write_histogram(out, f);
    }
    pthread_mutex_unlock(&registry_lock);
}
