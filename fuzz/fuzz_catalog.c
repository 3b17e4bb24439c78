/* fuzz_catalog.c - libFuzzer target for the catalog file parser.
 *
 * Each input is parsed as a catalog file into a fresh built-in catalog.
 * Beyond "no crash, no leak" (the sanitizers' part), it checks the parser's
 * contract: a failed parse leaves the catalog exactly as it was and writes a
 * non-empty error; a successful one yields a catalog within the service cap
 * whose every id is well-formed, unique, found at its own index, and whose
 * problems include "other". Seeds: fuzz/corpus/catalog/, dictionary:
 * fuzz/dict/catalog.dict. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

static int same_service(const struct cat_service *a, const struct cat_service *b)
{
    return strcmp(a->id, b->id) == 0 && strcmp(a->name, b->name) == 0 &&
           strcmp(a->owner, b->owner) == 0 && strcmp(a->category, b->category) == 0 &&
           a->problems == b->problems;
}

static int valid_id(const char *id)
{
    size_t len = strlen(id);

    if (len == 0 || len > REP_SERVICE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '.' || c == '_' || c == '-'))))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct catalog *ref;
    struct catalog *cat = catalog_builtin();
    char err[256] = "";
    size_t n;

    if (!ref)
        ref = catalog_builtin();
    if (catalog_parse(cat, (const char *)data, size, err, sizeof(err)) < 0) {
        if (err[0] == '\0' || catalog_count(cat) != catalog_count(ref))
            abort();
        for (size_t i = 0; i < catalog_count(ref); i++)
            if (!same_service(catalog_at(cat, i), catalog_at(ref, i)))
                abort();
        catalog_free(cat);
        return 0;
    }
    n = catalog_count(cat);
    if (n == 0 || n > CAT_MAX_SERVICES || catalog_at(cat, n) != NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        const struct cat_service *s = catalog_at(cat, i);
        if (!valid_id(s->id) || catalog_find(cat, s->id, strlen(s->id)) != (int)i ||
            !(s->problems & (1u << REP_OTHER)) || s->problems >> REP_PROBLEM_COUNT ||
            s->name[0] == '\0' || s->owner[0] == '\0' || s->category[0] == '\0')
            abort();
    }
    catalog_free(cat);
    return 0;
}
