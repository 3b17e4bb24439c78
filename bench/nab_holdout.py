#!/usr/bin/env python3
"""bench/nab_holdout.py RESULTS_DIR - the NAB scores of detector outputs
without the benefit of a threshold chosen on the same files.

NAB (and ../shared/nab/score.py) picks, per profile, the one threshold
that maximises the score over all files, which flatters any detector on a
small corpus. This prints, per profile, the normalised score when each
file is judged at the threshold optimised on the other files (leave one
file out), and at a fixed threshold of 0.5. Uses ../shared/nab/score.py.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAB = os.path.join(os.path.dirname(ROOT), "shared", "nab")
sys.path.insert(0, NAB)
import score  # noqa: E402  (NAB's scorer, found only at run time)


def holdout(scorer, points, profile):
    """Raw score of every file at the threshold optimised on the others."""
    fn_weight = scorer.costs[profile]["fnWeight"]
    raw = 0.0
    for df in scorer.files:
        others = [p for d in scorer.files if d is not df for p in points[d.relpath]]
        threshold = score.optimize(others, fn_weight)[0]
        raw += score.score_at(points[df.relpath], threshold, fn_weight)[1]
    return raw


def main(results):
    scorer = score.Scorer(NAB)
    scores = {df.relpath: score.read_scores(score.find_result_file(results, df.relpath, None), df)
              for df in scorer.files}
    print("%-20s %14s %10s" % ("profile", "leave-one-out", "fixed 0.5"))
    for profile in score.PROFILES:
        cost = scorer.costs[profile]
        points = {df.relpath: score.weighted_points(df, scores[df.relpath], cost)
                  for df in scorer.files}
        null = scorer.null_baseline(scorer.files, profile)
        perfect = scorer.n_windows(scorer.files) * cost["tpWeight"]
        every = [p for df in scorer.files for p in points[df.relpath]]
        fixed = score.score_at(every, 0.5, cost["fnWeight"])[1]
        print("%-20s %14.1f %10.1f" % (profile, score.normalize(holdout(scorer, points, profile),
                                                                null, perfect),
                                       score.normalize(fixed, null, perfect)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench/nab_holdout.py RESULTS_DIR")
    main(sys.argv[1])
