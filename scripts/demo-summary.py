#!/usr/bin/env python3
"""demo-summary.py URL - what a running downwatch detected, at a glance.

Reads the JSON API (nothing else) and prints each incident (service, onset,
when it was detected, how long it lasted, where, top problem, group, and
why: observed against expected), then WhatsApp's reports around the
3 April 2024 evening as a bar line per 15 minutes."""
import json
import sys
import urllib.request

BARS = " ▁▂▃▄▅▆▇█"


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def hhmm(ts):
    return ts[5:16].replace("T", " ") if ts else "open"


def main():
    base = sys.argv[1].rstrip("/")
    incidents = sorted(get(base + "/api/v1/incidents?limit=1000")["incidents"],
                       key=lambda i: i["detected_at"])
    print("%d incidents detected:" % len(incidents))
    for i in incidents:
        top = max(i["problems"].items(), key=lambda kv: kv[1])[0] if i["problems"] else "-"
        where = ",".join(i["countries"][:6]) + ("…" if len(i["countries"]) > 6 else "")
        print("  %-10s from %s (seen %s) to %s  %-22s %-9s %s  [%.0f seen, %.1f expected]" % (
            i["service"], hhmm(i["start"]), i["detected_at"][11:19], hhmm(i["end"]), where, top,
            "group " + i["group"] if i["group"] else "", i["observed"], i["expected"]))
    pts = get(base + "/api/v1/services/whatsapp/series?from=2024-04-03T14:00:00Z"
              "&to=2024-04-03T20:00:00Z&step=15m")["points"]
    counts = [p["reports"] for p in pts]
    top = max(counts) or 1
    print("whatsapp reports per 15 min, 3 April 2024 14:00-20:00 UTC:")
    print("  %s  peak %d" % ("".join(BARS[min(8, round(8 * c / top))] for c in counts), top))


if __name__ == "__main__":
    main()
