#!/usr/bin/env python3
"""How much any detector can know a minute after each outage begins.

For every incident of a trace's ground truth: the distinct clients that
reported the service in the first WINDOW seconds after the truth's onset,
against the same service's own history in the days before, at the same time
of day (+-1 h, 60-s windows every 10 s). When the history holds windows with
as many clients as the onset's first minute, no rule on this service's
counts can open within that minute without having opened on ordinary days
too (each such window is a false positive of the same rule). The detector's
own vote maturity is not even counted against it here.

usage: bench/onset_evidence.py TRACE.ndjson TRUTH.json [--window S] [--days D]
Works on traces of `downwatch simulate` and of the shared gen_trace.py.
Not a test: it measures the traces, not downwatch.
"""
import argparse
import bisect
import collections
import datetime
import json


def parse_time(value):
    if isinstance(value, (int, float)):
        return int(value)
    return int(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace")
    ap.add_argument("truth")
    ap.add_argument("--window", type=int, default=60, help="seconds after the onset (60)")
    ap.add_argument("--days", type=int, default=7, help="days of history to compare with (7)")
    args = ap.parse_args()

    with open(args.truth) as f:
        incidents = json.load(f)["incidents"]
    onsets = collections.defaultdict(list)
    for inc in incidents:
        onsets[inc["service"]].append(parse_time(inc["start"]))

    # service -> sorted (ts, client) of its reports; reports without a
    # client count as distinct clients.
    reports = collections.defaultdict(list)
    with open(args.trace) as f:
        for n, line in enumerate(f):
            r = json.loads(line)
            if r.get("service") in onsets:
                client = r.get("client") or "anonymous-%d" % n
                reports[r["service"]].append((parse_time(r["ts"]), client))
    for s in reports:
        reports[s].sort()

    w = args.window
    print("%-12s %-17s %9s %12s %16s" % ("service", "onset (UTC)", "clients", "history max",
                                        "history windows"))
    print("%-12s %-17s %9s %12s %16s" % ("", "", "first %ds" % w, "same hour", ">= first"))
    for service, starts in sorted(onsets.items(), key=lambda kv: min(kv[1])):
        ev = reports[service]
        times = [t for t, _ in ev]

        def distinct(a, b):
            return len({c for _, c in ev[bisect.bisect_left(times, a):bisect.bisect_left(times, b)]})

        for onset in starts:
            first = distinct(onset, onset + w)
            most = windows = at_least = 0
            for day in range(1, args.days + 1):
                for offset in range(-3600, 3600, 10):
                    a = onset - day * 86400 + offset
                    if times and a < times[0]:
                        continue  # before the trace began
                    n = distinct(a, a + w)
                    windows += 1
                    most = max(most, n)
                    at_least += n >= first
            when = datetime.datetime.fromtimestamp(onset, datetime.timezone.utc)
            if windows:
                print("%-12s %-17s %9d %12d %9d of %d" % (service, when.strftime("%m-%d %H:%M"),
                                                          first, most, at_least, windows))
            else:
                print("%-12s %-17s %9d %12s %16s" % (service, when.strftime("%m-%d %H:%M"),
                                                     first, "n/a", "no history"))


if __name__ == "__main__":
    main()
