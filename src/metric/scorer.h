/* scorer.h - anomaly scores for one numeric series, row by row, with the
 * detector core of src/detect (see scorer.c for the method).
 *
 * Rows are fed in file order; each is scored, then learned, so a row's
 * score depends only on the rows before it and itself. Rows that repeat a
 * time or go back in time are scored but not learned. The clock is never
 * read; memory is fixed (about 3 kB). */
#ifndef DW_SCORER_H
#define DW_SCORER_H

#include <stdint.h>

struct scorer;

/* A scorer with no history. The caller owns it and releases it with
 * free(). Never NULL (allocation aborts on failure). */
struct scorer *scorer_new(void);

/* Score the row (t in Unix seconds, value any finite number), then learn
 * it. Returns the anomaly score in [0, 1): 0 as expected, higher the rarer
 * the row is in the series' own history (0.5: about once in ten days);
 * 0 unless the row is at least twice as rare as every score of the 24
 * hours before it. */
double scorer_next(struct scorer *s, int64_t t, double value);

#endif
