/* country.h - ISO 3166-1 alpha-2 country codes as small integers.
 *
 * A code "AB" maps to the index (A-'A')*26 + (B-'A') in [0, 676); only
 * officially assigned codes (plus the user-assigned "ZZ", which downwatch
 * uses for "unknown") are valid. Series and storage keep the index. */
#ifndef DW_COUNTRY_H
#define DW_COUNTRY_H

#define COUNTRY_SLOTS 676        /* 26 * 26 */
#define COUNTRY_UNKNOWN_CODE "ZZ"

/* Index of a two-letter code (either case) if it is assigned, else -1.
 * Reads code2[0] and, if that is a letter, code2[1]; nothing after them, so
 * code2 may point into a larger buffer and need not be NUL-terminated. */
int country_index(const char *code2);
/* The upper-case code of a valid index into out[3] (NUL-terminated);
 * returns out. An index outside [0, COUNTRY_SLOTS) gives "". */
const char *country_code(int index, char out[3]);
/* Whether the index is an assigned code. */
int country_valid(int index);
/* English short name ("Brazil"; UTF-8, static storage), or NULL for an
 * invalid index. */
const char *country_name(int index);

#endif
