#!/usr/bin/env python3
"""sample-trace.py - a small, realistic-looking report trace for `make demo`.

Writes NDJSON reports for the 24 hours before --end (default: now) for a
dozen services across twenty countries: Poisson counts around a diurnal
curve in each country's local time, each service's own problem mix, and,
in the last two hours, an outage of WhatsApp and Instagram that lifts Brazil,
the UK and India. Deterministic for a given --seed and --end. Until the
detection issue brings `downwatch simulate`, this is the demo's traffic.

usage: sample-trace.py [--end ISO|now] [--hours H] [--scale S] [--seed N] > trace.ndjson
"""
import argparse
import datetime as dt
import json
import math
import random
import sys

COUNTRIES = {  # code: (UTC offset hours, user weight)
    "IN": (5.5, 10), "BR": (-3, 8), "US": (-5, 9), "GB": (0, 5), "ID": (7, 5),
    "NG": (1, 3), "MX": (-6, 4), "DE": (1, 4), "FR": (1, 3), "ES": (1, 3),
    "IT": (1, 3), "PK": (5, 3), "BD": (6, 3), "ZA": (2, 2), "TR": (3, 3),
    "PH": (8, 3), "EG": (2, 2), "AR": (-3, 2), "CA": (-5, 2), "JP": (9, 3),
}
SERVICES = {  # id: (share, problem mix)
    "whatsapp": (10, {"messages": 4, "login": 2, "calls": 2, "connection": 1, "other": 1}),
    "instagram": (8, {"feed": 4, "login": 3, "app": 2, "other": 1}),
    "facebook": (6, {"feed": 3, "login": 3, "website": 2, "other": 1}),
    "messenger": (3, {"messages": 5, "login": 2, "other": 1}),
    "youtube": (6, {"app": 3, "website": 3, "connection": 2, "other": 1}),
    "gmail": (4, {"login": 4, "messages": 3, "website": 2, "other": 1}),
    "x": (4, {"feed": 4, "login": 2, "app": 2, "other": 1}),
    "telegram": (3, {"messages": 4, "connection": 3, "other": 1}),
    "netflix": (3, {"app": 4, "connection": 3, "login": 2, "other": 1}),
    "spotify": (3, {"app": 5, "login": 2, "other": 1}),
    "discord": (2, {"messages": 3, "calls": 3, "connection": 2, "other": 1}),
}
OUTAGE = {"whatsapp": {"BR": 40, "GB": 30, "IN": 25, "*": 3},
          "instagram": {"US": 12, "IN": 10, "BR": 8, "*": 2}}
OUTAGE_PROBLEMS = {"whatsapp": {"messages": 5, "login": 3, "calls": 2},
                   "instagram": {"feed": 5, "login": 3, "app": 2}}


def diurnal(local_hour):
    """Quiet around 04:00, busiest around 21:00 local time."""
    return 0.55 - 0.45 * math.cos((local_hour - 4.0) / 24.0 * 2 * math.pi) + 0.1


def pick(rng, weights):
    total = sum(weights.values())
    x = rng.random() * total
    for key, w in weights.items():
        x -= w
        if x < 0:
            return key
    return key


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--end", default="now")
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--scale", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=20240403)
    a = ap.parse_args()
    if a.end == "now":
        end = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    else:
        end = dt.datetime.fromisoformat(a.end.replace("Z", "+00:00"))
    rng = random.Random(a.seed)
    minutes = int(a.hours * 60)
    start = end - dt.timedelta(minutes=minutes)
    outage_start = minutes - 110  # the outage began 110 minutes before the end
    out = sys.stdout
    for m in range(minutes):
        t0 = start + dt.timedelta(minutes=m)
        lines = []
        for svc, (share, mix) in SERVICES.items():
            for cc, (offset, weight) in COUNTRIES.items():
                local = (t0.hour + t0.minute / 60 + offset) % 24
                lam = 0.004 * share * weight * diurnal(local) * a.scale
                extra = 0.0
                if svc in OUTAGE and outage_start <= m < outage_start + 95:
                    k = m - outage_start
                    shape = min(1.0, (k + 1) / 4) * math.exp(-max(0, k - 20) / 30)
                    extra = OUTAGE[svc].get(cc, OUTAGE[svc]["*"]) * shape * a.scale
                for _ in range(poisson(rng, lam)):
                    lines.append((svc, cc, pick(rng, mix)))
                for _ in range(poisson(rng, extra)):
                    lines.append((svc, cc, pick(rng, OUTAGE_PROBLEMS[svc])))
        stamps = sorted(rng.randrange(60) for _ in lines)
        rng.shuffle(lines)
        for (svc, cc, problem), s in zip(lines, stamps):
            ts = (t0 + dt.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
            client = "%016x" % rng.getrandbits(64)
            out.write(json.dumps({"ts": ts, "service": svc, "country": cc, "problem": problem,
                                  "client": client}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
