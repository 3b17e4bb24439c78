"""promtext.py - a strict reader of the Prometheus text exposition format
(version 0.0.4), for tests of GET /metrics.

parse(text) returns {family name: Family} or raises ValueError naming the
line and what is wrong with it. It follows the format's rules (lines end in
\\n; "# HELP name text" with only \\\\ and \\n escaped, at most once per
family; "# TYPE name type" before the family's first sample, at most once;
samples `name{label="value",...} value [timestamp]` with label values
escaping only \\\\, \\" and \\n; a family's lines together; no sample twice;
histograms with le buckets in increasing order, cumulative, ending at +Inf
equal to _count, and a _sum) and, like `promtool check metrics`, the usual
conventions: every family has HELP and TYPE, counters end in _total and
nothing else does, names are snake_case.
"""
import math
import re

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Family:
    def __init__(self, name):
        self.name = name
        self.help = None
        self.type = None
        self.samples = []  # (sample name, {label: value}, float)

    def values(self, sample_name=None, **labels):
        """Values of the samples whose name and labels match."""
        want = sample_name or self.name
        return [v for n, l, v in self.samples
                if n == want and all(l.get(k) == x for k, x in labels.items())]

    def value(self, sample_name=None, **labels):
        found = self.values(sample_name, **labels)
        if len(found) != 1:
            raise KeyError("%d samples of %s%r" % (len(found), sample_name or self.name, labels))
        return found[0]


def _unescape(text, allowed, where):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in allowed:
                raise ValueError("%s: bad escape in %r" % (where, text))
            out.append({"\\": "\\", "n": "\n", '"': '"'}[text[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _float(text, where):
    if not FLOAT.fullmatch(text):
        raise ValueError("%s: %r is not a number" % (where, text))
    return float(text.replace("Inf", "inf").replace("NaN", "nan"))


def _labels(line, i, where):
    """Parse {a="x",...} starting at line[i] == '{'; returns (dict, index after)."""
    labels = {}
    i += 1
    while True:
        if line[i:i + 1] == "}":
            return labels, i + 1
        m = LABEL_NAME.match(line, i)
        if not m:
            raise ValueError("%s: bad label name" % where)
        name = m.group(0)
        i = m.end()
        if line[i:i + 2] != '="':
            raise ValueError("%s: expected =\" after %s" % (where, name))
        i += 2
        start = i
        while i < len(line) and line[i] != '"':
            i += 2 if line[i] == "\\" else 1
        if i >= len(line):
            raise ValueError("%s: unterminated label value" % where)
        if name in labels:
            raise ValueError("%s: label %s twice" % (where, name))
        labels[name] = _unescape(line[start:i], '\\"n', where)
        i += 1
        if line[i:i + 1] == ",":
            i += 1
        elif line[i:i + 1] != "}":
            raise ValueError("%s: expected , or } after a label" % where)


def _family_of(sample, families):
    """The family a sample name belongs to: itself, or a histogram/summary
    whose _bucket/_sum/_count it is."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = sample[:-len(suffix)]
        if sample.endswith(suffix) and base in families and \
                families[base].type in ("histogram", "summary"):
            return base
    return sample


def parse(text):
    if not text.endswith("\n"):
        raise ValueError("the text does not end with a line feed")
    families, order, seen, closed = {}, [], set(), set()
    current = None
    for number, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % number
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[0] != "#" or parts[1] not in ("HELP", "TYPE"):
                continue  # a plain comment
            name = parts[2]
            if not METRIC_NAME.fullmatch(name):
                raise ValueError("%s: bad metric name %r" % (where, name))
            if name in closed and name != current:
                raise ValueError("%s: %s comes back after other families" % (where, name))
            fam = families.get(name)
            if fam is None:
                fam = families[name] = Family(name)
                order.append(name)
            if current is not None and current != name:
                closed.add(current)
            current = name
            if parts[1] == "HELP":
                if fam.help is not None:
                    raise ValueError("%s: second HELP for %s" % (where, name))
                fam.help = _unescape(parts[3] if len(parts) > 3 else "", "\\n", where)
            else:
                if fam.type is not None:
                    raise ValueError("%s: second TYPE for %s" % (where, name))
                if fam.samples:
                    raise ValueError("%s: TYPE of %s after its samples" % (where, name))
                if len(parts) != 4 or parts[3] not in TYPES:
                    raise ValueError("%s: bad TYPE line" % where)
                fam.type = parts[3]
            continue
        m = METRIC_NAME.match(line)
        if not m:
            raise ValueError("%s: no metric name: %r" % (where, line))
        sample = m.group(0)
        i = m.end()
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = _labels(line, i, where)
        rest = line[i:].split()
        if not line[i:i + 1] in (" ", "\t") or not 1 <= len(rest) <= 2:
            raise ValueError("%s: expected a value (and a timestamp) after %s" % (where, sample))
        value = _float(rest[0], where)
        if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
            raise ValueError("%s: bad timestamp" % where)
        name = _family_of(sample, families)
        if name in closed and name != current:
            raise ValueError("%s: %s comes back after other families" % (where, name))
        if current is not None and current != name:
            closed.add(current)
        current = name
        fam = families.get(name)
        if fam is None:
            fam = families[name] = Family(name)
            order.append(name)
        key = (sample, tuple(sorted(labels.items())))
        if key in seen:
            raise ValueError("%s: %s%r twice" % (where, sample, labels))
        seen.add(key)
        fam.samples.append((sample, labels, value))
    for name in order:
        _check_family(families[name])
    return families


def _check_family(fam):
    name = fam.name
    if fam.help is None or fam.type is None:
        raise ValueError("%s has no HELP or no TYPE" % name)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError("%s is not snake_case" % name)
    if (fam.type == "counter") != name.endswith("_total"):
        raise ValueError("%s: only counters end in _total" % name)
    for sample, labels, value in fam.samples:
        if fam.type == "counter" and (value < 0 or math.isnan(value)):
            raise ValueError("%s: a counter below 0" % name)
        if fam.type != "histogram" and "le" in labels:
            raise ValueError("%s: le outside a histogram" % name)
    if fam.type == "histogram":
        _check_histogram(fam)


def _check_histogram(fam):
    series = {}
    for sample, labels, value in fam.samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sample == fam.name + "_bucket":
            if "le" not in labels:
                raise ValueError("%s: a bucket without le" % fam.name)
            s["buckets"].append((_float(labels["le"], fam.name), value))
        elif sample == fam.name + "_sum":
            s["sum"] = value
        elif sample == fam.name + "_count":
            s["count"] = value
        else:
            raise ValueError("%s: stray sample %s" % (fam.name, sample))
    for key, s in series.items():
        bounds = [b for b, _ in s["buckets"]]
        counts = [c for _, c in s["buckets"]]
        if not bounds or bounds[-1] != math.inf:
            raise ValueError("%s%r: no +Inf bucket" % (fam.name, key))
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError("%s%r: le not increasing" % (fam.name, key))
        if counts != sorted(counts):
            raise ValueError("%s%r: buckets not cumulative" % (fam.name, key))
        if s["count"] != counts[-1] or s["sum"] is None:
            raise ValueError("%s%r: _count is not the +Inf bucket, or no _sum" % (fam.name, key))
