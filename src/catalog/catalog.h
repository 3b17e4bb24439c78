/* catalog.h - the services people can report problems for.
 *
 * A built-in catalog of the ~50 services people most often report
 * (messaging, social, video, mail, cloud, CDN, payments, telecoms, games) is
 * compiled in; a catalog file can extend it (same id replaces the built-in
 * entry, new ids are added) or replace it entirely. Services get dense
 * indexes [0, catalog_count()) that the rest of the program uses in arrays;
 * the catalog is immutable once loaded, so lookups need no lock.
 *
 * Catalog file format: one service per line, fields separated by '|',
 * blank lines and lines starting with '#' ignored:
 *   id | display name | owner | category | problems (comma-separated)
 *   whatsapp | WhatsApp | Meta | messaging | messages,login,calls,app,connection
 * A line "!replace" before any service makes the file replace the built-in
 * catalog instead of extending it. */
#ifndef DW_CATALOG_H
#define DW_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

#define CAT_NAME_MAX 64
#define CAT_MAX_SERVICES 4096

struct cat_service {
    char id[REP_SERVICE_MAX + 1];   /* lowercase id, the API key */
    char name[CAT_NAME_MAX + 1];    /* display name, UTF-8 */
    char owner[CAT_NAME_MAX + 1];   /* company, UTF-8 ("Meta") */
    char category[32];              /* messaging, social, video, ... */
    uint32_t problems;              /* bit (1u << enum rep_problem) per fitting problem */
};

struct catalog;

/* Build a catalog: the built-in one, then the file at path if path is not
 * NULL or empty. Returns NULL on error with a sentence in err (a bad line
 * names its line number). The caller frees with catalog_free(). */
struct catalog *catalog_load(const char *path, char *err, size_t errsz);
void catalog_free(struct catalog *cat);

/* Number of services and the one at a dense index. */
size_t catalog_count(const struct catalog *cat);
const struct cat_service *catalog_at(const struct catalog *cat, size_t index);
/* Dense index of a service id (len bytes), or -1 if unknown. */
int catalog_find(const struct catalog *cat, const char *id, size_t len);

/* Parse a catalog file's text (len bytes) into cat, extending or replacing
 * per the file's "!replace" line. Exposed for tests and the fuzzer. Returns 0
 * or -1 with a sentence in err. */
int catalog_parse(struct catalog *cat, const char *text, size_t len, char *err, size_t errsz);
/* The built-in catalog alone. */
struct catalog *catalog_builtin(void);

#endif
