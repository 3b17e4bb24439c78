#!/usr/bin/env python3
"""demo-summary.py URL - what a running downwatch counts, at a glance.

Reads the JSON API (nothing else) and prints, for a few services, the
reports per 15 minutes over the last six hours as a bar line, and the
countries with most distinct clients in the last hour."""
import json
import sys
import urllib.request

BARS = " ▁▂▃▄▅▆▇█"


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def main():
    base = sys.argv[1].rstrip("/")
    print("reports per 15 min, last 6 h (oldest left)")
    for svc in ["whatsapp", "instagram", "youtube", "netflix"]:
        pts = get("%s/api/v1/services/%s/series?step=15m" % (base, svc))["points"][-24:]
        counts = [p["reports"] for p in pts]
        top = max(counts) or 1
        line = "".join(BARS[min(8, round(8 * c / top))] for c in counts)
        print("  %-10s %s  peak %d" % (svc, line, top))
    svc = get(base + "/api/v1/services/whatsapp")["service"]["name"]
    by_country = []
    for cc in get(base + "/api/v1/services/whatsapp")["countries_with_reports"]:
        pts = get("%s/api/v1/services/whatsapp/series?step=5m&country=%s" % (base, cc))["points"]
        by_country.append((sum(p["clients"] for p in pts[-12:]), cc))
    by_country.sort(reverse=True)
    print("%s, distinct clients in the last hour: %s" % (
        svc, ", ".join("%s %d" % (cc, n) for n, cc in by_country[:6])))


if __name__ == "__main__":
    main()
