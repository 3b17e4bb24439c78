/* rarity.h - how rare a value is in a series' own history, in days.
 *
 * A series keeps the largest value of each of its last RARITY_DAYS whole
 * days (UTC days whose rows cover at least RARITY_WHOLE_DAY seconds: a
 * day's maximum is only comparable with other whole days'). The rarity of
 * a value v is -log10 of the chance that a day's largest value reaches v:
 * 0 for what every day reaches, 1 for a once-in-ten-days value, 2 for once
 * in a hundred. The chance is a Gumbel law (the law of maxima) fitted by
 * its moments to the past daily maxima, as a prediction of the next day's
 * (so it widens while few days are known), so a value beyond every past
 * day still gets an ordered, finite rarity; and it is never below the
 * share of past days that did reach v, so a value seen on n of d days is
 * no rarer than n/d.
 *
 * Rarities of different series, and of different quantities (a count, a
 * surprise), are in the same unit: that is what lets one threshold serve
 * them all. Memory is fixed (about 600 bytes); the clock is never read. */
#ifndef DW_RARITY_H
#define DW_RARITY_H

#include <stdint.h>

#define RARITY_DAYS 64              /* daily maxima kept: two months */
#define RARITY_MIN_DAYS 3           /* whole days before anything is rare */
#define RARITY_WHOLE_DAY (18 * 3600) /* rows covering this make a whole day */
#define RARITY_MAX 300.0            /* the rarity of a value far beyond the fit */

struct rarity {
    double maxima[RARITY_DAYS]; /* whole days' maxima, a ring */
    int ndays, next;
    int64_t day;                 /* the day being summed (UTC), INT64_MIN: none */
    int64_t day_first, day_end;  /* when its first row began, its latest ended */
    double day_max;              /* its largest value so far */
    double scale_min;            /* the Gumbel scale is never below this */
};

/* An empty history: every value has rarity 0. scale_min > 0 is the least
 * Gumbel scale the fit may claim, for quantities whose spread is known
 * (1 / ln 10 for -log10 p-values); 0 for none. */
void rarity_init(struct rarity *r, double scale_min);

/* -log10 P(a day's largest value >= v), from the whole days before the one
 * in progress; 0 while fewer than RARITY_MIN_DAYS are known or when v is
 * NaN; at most RARITY_MAX. */
double rarity_of(const struct rarity *r, double v);

/* Learn v observed over [t, t + seconds) (Unix seconds; seconds is the
 * series' step). Times must not go back: a value from before the day being
 * summed is ignored, as is NaN. */
void rarity_learn(struct rarity *r, int64_t t, int64_t seconds, double v);

#endif
