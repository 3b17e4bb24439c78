#!/usr/bin/env python3
"""scoring.py - score detected incidents against a trace's ground truth.

    python3 tests/integration/scoring.py TRUTH.json DETECTED.ndjson

The rules are those of ../shared/scenarios/README.md ("Scoring"): a
detection matches a truth incident of the same service when its [start, end]
overlaps [truth.start, truth.end + 15 min] (an open end lasts to the trace
end). Per truth incident: matched or missed, detection delay (earliest
matching detected_at, or start when a detection has none, minus truth.start),
end delay, country Jaccard of the union of matching detections' countries,
fragments, problem top-1, and grouping for groups of two or more incidents.
Overall: recall, false positives (with the non-incident window each one
falls in), problem top-1, grouping, over-grouped detections, and a last
machine-readable line (delay_from=start when a matching detection has no
detected_at)

    SCORE recall=R/T fp=N median_delay_s=D max_delay_s=M country_jaccard=J grouping=G/H delay_from=...

Tests import score() and get the same figures as a dict. Python 3 standard
library only. Exit status 0; 1 when an input cannot be read or is not valid
JSON / NDJSON.
"""
import datetime as dt
import json
import statistics
import sys

MATCH_GRACE_S = 15 * 60


def parse_time(text):
    """Unix seconds of an ISO 8601 UTC time ("...Z" or an offset), or None."""
    if not isinstance(text, str):
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.timestamp()


def load_truth(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_detections(path, notes=None):
    """The detections of an NDJSON file: for each `id` only its last line;
    lines without a service or a parsable start are skipped (with a note)."""
    kept, by_id = [], {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                det = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError("%s: line %d: %s" % (path, number, e)) from None
            if (not isinstance(det, dict) or not det.get("service")
                    or parse_time(det.get("start")) is None):
                if notes is not None:
                    notes.append("line %d skipped: no service or no parsable start" % number)
                continue
            if "id" in det:
                if det["id"] in by_id:
                    kept[by_id[det["id"]]] = None
                by_id[det["id"]] = len(kept)
            kept.append(det)
    return [d for d in kept if d is not None]


def _interval(det, trace_end):
    start = parse_time(det["start"])
    end = parse_time(det.get("end")) if det.get("end") is not None else trace_end
    return start, (end if end is not None else trace_end)


def _matches(det, inc, trace_end):
    if det["service"] != inc["service"]:
        return False
    start, end = _interval(det, trace_end)
    return start <= parse_time(inc["end"]) + MATCH_GRACE_S and end >= parse_time(inc["start"])


def _decided_at(det):
    """When the detector decided: detected_at, or start when it has none."""
    t = parse_time(det.get("detected_at"))
    return t if t is not None else parse_time(det["start"])


def _top_problem(dets):
    shares = {}
    for d in dets:
        problems = d.get("problems") or {}
        if isinstance(problems, dict):
            for p, v in problems.items():
                if isinstance(v, (int, float)):
                    shares[p] = shares.get(p, 0.0) + v
    if not shares:
        return None
    return sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _jaccard(a, b):
    a, b = set(a), set(b)
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def _non_incident_of(det, truth, trace_end):
    start, end = _interval(det, trace_end)
    for w in truth.get("non_incidents", []):
        countries = set(w.get("countries") or [])
        same_place = "*" in countries or not det.get("countries") or \
            countries & set(det.get("countries") or [])
        if (w["service"] == det["service"] and same_place
                and start <= parse_time(w["end"]) and end >= parse_time(w["start"])):
            return w
    return None


def score(truth, detections):
    """Score detections (a list of dicts, as load_detections gives) against
    truth (the parsed truth JSON). Returns a dict of the figures, with the
    per-incident rows and the SCORE line."""
    trace_end = parse_time(truth["end"])
    incidents = truth.get("incidents", [])
    hits = [[i for i, inc in enumerate(incidents) if _matches(d, inc, trace_end)]
            for d in detections]
    matched_by = [[d for d, h in zip(detections, hits) if i in h] for i in range(len(incidents))]
    matching = [d for d, h in zip(detections, hits) if h]
    delay_from = "detected_at" if all("detected_at" in d for d in matching) else "start"

    # a truth group's label: the detection group carried by most of its incidents (>= 2)
    members = {}
    for i, inc in enumerate(incidents):
        if inc.get("group") is not None:
            members.setdefault(inc["group"], []).append(i)
    label_of = {}
    for group, idx in members.items():
        if len(idx) < 2:
            continue
        carried = {}
        for i in idx:
            for label in {d.get("group") for d in matched_by[i] if d.get("group") is not None}:
                carried[label] = carried.get(label, 0) + 1
        best = sorted(carried.items(), key=lambda kv: (-kv[1], str(kv[0])))
        label_of[group] = best[0][0] if best and best[0][1] >= 2 else None

    rows = []
    for i, inc in enumerate(incidents):
        dets = matched_by[i]
        row = {"service": inc["service"], "start": inc["start"], "matched": bool(dets),
               "fragments": len(dets)}
        if dets:
            t0 = parse_time(inc["start"])
            row["delay_s"] = min(_decided_at(d) for d in dets) - t0
            if any(d.get("end") is None for d in dets):
                row["end_delay_s"] = "open"
            else:
                row["end_delay_s"] = max(parse_time(d["end"]) for d in dets) - \
                    parse_time(inc["end"])
            found = set(c for d in dets for c in (d.get("countries") or []))
            row["country_jaccard"] = _jaccard(found, inc.get("countries", []))
            row["missing_countries"] = sorted(set(inc.get("countries", [])) - found)
            row["extra_countries"] = sorted(found - set(inc.get("countries", [])))
            problems = inc.get("problems") or []
            row["problem_top1"] = bool(problems) and _top_problem(dets) == problems[0]
        group = inc.get("group")
        if group in label_of:
            label = label_of[group]
            row["grouped"] = label is not None and any(d.get("group") == label for d in dets)
        rows.append(row)

    false_positives = [{"detection": d, "non_incident": _non_incident_of(d, truth, trace_end)}
                       for d, h in zip(detections, hits) if not h]

    over_grouped = 0
    for group, label in label_of.items():
        if label is None:
            continue
        for d, h in zip(detections, hits):
            if d.get("group") == label and h and \
                    not any(incidents[i].get("group") == group for i in h):
                over_grouped += 1

    matched = [r for r in rows if r["matched"]]
    delays = [r["delay_s"] for r in matched]
    result = {
        "recall": len(matched),
        "total": len(rows),
        "fp": len(false_positives),
        "median_delay_s": statistics.median(delays) if delays else None,
        "max_delay_s": max(delays) if delays else None,
        "country_jaccard": (sum(r["country_jaccard"] for r in matched) / len(matched)
                            if matched else None),
        "problem_top1": sum(1 for r in matched if r["problem_top1"]),
        "grouped": sum(1 for r in rows if r.get("grouped")),
        "groupable": sum(1 for r in rows if "grouped" in r),
        "over_grouped": over_grouped,
        "delay_from": delay_from,
        "incidents": rows,
        "false_positives": false_positives,
    }
    result["score_line"] = score_line(result)
    return result


def _number(v, digits=0):
    if v is None:
        return "NA"
    return ("%.*f" % (digits, v)) if digits else ("%d" % round(v))


def score_line(r):
    return ("SCORE recall=%d/%d fp=%d median_delay_s=%s max_delay_s=%s country_jaccard=%s "
            "grouping=%d/%d delay_from=%s" % (
                r["recall"], r["total"], r["fp"], _number(r["median_delay_s"]),
                _number(r["max_delay_s"]), _number(r["country_jaccard"], 2), r["grouped"],
                r["groupable"], r["delay_from"]))


def report(r, out):
    for row in r["incidents"]:
        head = "%-10s %s" % (row["service"], row["start"])
        if not row["matched"]:
            print("%s  MISSED" % head, file=out)
            continue
        end = row["end_delay_s"]
        print("%s  matched delay=%ds end_delay=%s jaccard=%.2f fragments=%d top1=%s%s%s%s" % (
            head, row["delay_s"], end if end == "open" else "%ds" % end,
            row["country_jaccard"], row["fragments"], "yes" if row["problem_top1"] else "no",
            " grouped=%s" % ("yes" if row["grouped"] else "no") if "grouped" in row else "",
            " missing=" + ",".join(row["missing_countries"]) if row["missing_countries"] else "",
            " extra=" + ",".join(row["extra_countries"]) if row["extra_countries"] else ""),
            file=out)
    for fp in r["false_positives"]:
        d, w = fp["detection"], fp["non_incident"]
        print("false positive: %s %s..%s%s" % (
            d["service"], d["start"], d.get("end"),
            " (in %s %s..%s)" % (w["kind"], w["start"], w["end"]) if w else ""), file=out)
    in_windows = sum(1 for fp in r["false_positives"] if fp["non_incident"])
    print("recall %d/%d, false positives %d (%d in non-incident windows), problem top-1 %d/%d, "
          "grouping %d/%d, over-grouped detections %d" % (
              r["recall"], r["total"], r["fp"], in_windows, r["problem_top1"], r["recall"],
              r["grouped"], r["groupable"], r["over_grouped"]), file=out)
    print(r["score_line"], file=out)


def main(argv):
    if len(argv) != 3:
        print("usage: scoring.py TRUTH.json DETECTED.ndjson", file=sys.stderr)
        return 2
    notes = []
    try:
        truth = load_truth(argv[1])
        detections = load_detections(argv[2], notes)
    except (OSError, ValueError) as e:
        print("scoring.py: %s" % e, file=sys.stderr)
        return 1
    for note in notes:
        print("note: " + note, file=sys.stderr)
    report(score(truth, detections), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
