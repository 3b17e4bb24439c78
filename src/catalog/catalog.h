/* catalog.h - the services people can report problems for.
 *
 * A built-in catalog of the ~50 services people most often report
 * (messaging, social, video, mail, cloud, CDN, payments, telecoms, games) is
 * compiled in; a catalog file can extend it (same id replaces the built-in
 * entry, in place, new ids are added at the end) or replace it entirely.
 * Services get dense indexes [0, catalog_count()) that the rest of the
 * program uses in arrays; the catalog is immutable once loaded, so lookups
 * need no lock.
 *
 * Catalog file format (docs/catalog.md): UTF-8 text, one service per line,
 * five fields separated by '|', whitespace around each field ignored, blank
 * lines and lines starting with '#' ignored:
 *   id | display name | owner | category | problems (comma-separated)
 *   whatsapp | WhatsApp | Meta | messaging | messages,login,calls,app,connection
 * - id: [a-z0-9][a-z0-9._-]*, at most REP_SERVICE_MAX bytes, once per file;
 * - name, owner: non-empty, at most CAT_NAME_MAX bytes of UTF-8, no control
 *   characters;
 * - category: [a-z0-9][a-z0-9_-]*, at most 31 bytes;
 * - problems: at least one of login messages calls app website feed
 *   connection other, each once; "other" fits every service and is always
 *   added.
 * A line "!replace" before any service makes the file replace the built-in
 * catalog instead of extending it (it must then list at least one service).
 * Any bad line fails the whole file: nothing of it is applied. */
#ifndef DW_CATALOG_H
#define DW_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

#define CAT_NAME_MAX 64          /* longest name or owner, bytes */
#define CAT_MAX_SERVICES 4096    /* most services in one catalog */
#define CAT_FILE_MAX (4 << 20)   /* largest catalog file, bytes */

struct cat_service {
    char id[REP_SERVICE_MAX + 1];   /* lowercase id, the API key */
    char name[CAT_NAME_MAX + 1];    /* display name, UTF-8 */
    char owner[CAT_NAME_MAX + 1];   /* company, UTF-8 ("Meta") */
    char category[32];              /* messaging, social, video, ... */
    uint32_t problems;              /* bit (1u << enum rep_problem) per fitting problem;
                                       REP_OTHER is always set */
};

struct catalog;

/* Build a catalog: the built-in one, then the file at path if path is not
 * NULL or empty. Returns NULL on error with a sentence in err, e.g.
 * "cannot read catalog file X: No such file or directory" or
 * "catalog file X: line 7: unknown problem "logn" (known: ...)"; files over
 * CAT_FILE_MAX bytes are refused. The caller frees with catalog_free(). */
struct catalog *catalog_load(const char *path, char *err, size_t errsz);
/* Free a catalog; NULL is allowed. */
void catalog_free(struct catalog *cat);

/* Number of services, and the one at a dense index (NULL if index >=
 * catalog_count()). The pointer stays valid until the catalog is freed or
 * parsed into. */
size_t catalog_count(const struct catalog *cat);
const struct cat_service *catalog_at(const struct catalog *cat, size_t index);
/* Dense index of a service id of len bytes (no NUL needed; exact,
 * case-sensitive match), or -1 if unknown. O(1): a hash lookup. */
int catalog_find(const struct catalog *cat, const char *id, size_t len);

/* Parse a catalog file's text (len bytes, no NUL needed; a leading UTF-8
 * BOM and CRLF line ends are accepted) into cat, extending or replacing per
 * the file's "!replace" line. Exposed for tests and the fuzzer. Returns 0, or
 * -1 with a sentence in err ("line N: ..." for a bad line) and cat left
 * exactly as it was. */
int catalog_parse(struct catalog *cat, const char *text, size_t len, char *err, size_t errsz);
/* The built-in catalog alone; never NULL. The caller frees with
 * catalog_free(). */
struct catalog *catalog_builtin(void);

#endif
