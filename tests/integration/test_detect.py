"""`downwatch detect` end to end: --help and usage errors, a missing file,
bad lines skipped and counted (--strict stops), and the detector's
acceptance figures on `downwatch simulate` traces, scored by the project's
own scorer (scoring.py): the Meta evening found whole (recall 5/5, no false
positive, country Jaccard >= 0.8, the four Meta services in one group),
quiet and noisy weeks without incidents, the cloud cascade grouped without
the unrelated outage. When ../shared/scenarios is here, the shared
generator's traces are scored by the shared scorer too. Traces are small
(0.05, and 0.2 for a few) so the file stays under a minute under ASan; bench/detect measures the full scale.

Checks that the detector does not meet on some trace are marked
expectedFailure one by one, with what was measured."""
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scoring  # noqa: E402
from harness import ROOT, run  # noqa: E402

SHARED = os.path.join(os.path.dirname(ROOT), "shared", "scenarios")
GENERATOR = os.path.join(SHARED, "gen_trace.py")
SHARED_SCORER = os.path.join(SHARED, "score_incidents.py")
META = ["whatsapp", "instagram", "facebook", "messenger"]
CASCADE = ["discord", "spotify", "x", "netflix"]

GOOD = '{"ts":"2024-04-03T16:%02d:00Z","service":"whatsapp","country":"IN","problem":"login"}'


class DetectCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dw-detect-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, lines):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("".join(l + "\n" for l in lines))
        return path

    def test_help_exits_0_and_documents_the_options(self):
        p = run(["detect", "--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        for word in ["usage: downwatch detect", "--updates", "--strict", "--open-score",
                     "--explain", "--tick"]:
            self.assertIn(word, p.stdout)

    def test_bad_options_exit_2(self):
        f = self.write("t.ndjson", [GOOD % 1])
        for args in [[], ["--nope", f], [f, "--open-score", "zero"], [f, "--open-score", "0"],
                     [f, "--tick", "7"], [f, f], [f, "--min-ratio"],
                     [f, "--explain", "whatsapp:QQ"]]:
            with self.subTest(args=args):
                p = run(["detect"] + args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertTrue(p.stderr.strip())
                self.assertEqual(p.stdout, "")

    def test_explain_follows_a_service_or_one_of_its_countries(self):
        # 26 hours: a country is scored after a day of its own history.
        lines = ['{"ts":"2024-04-%02dT%02d:%02d:00Z","service":"whatsapp","country":"IN",'
                 '"problem":"login"}' % (3 + m // 1440, m // 60 % 24, m % 60)
                 for m in range(0, 26 * 60, 5)]
        f = self.write("e.ndjson", lines)
        for target, votes in [("whatsapp", "minute_votes="), ("whatsapp:IN", "minute_votes=")]:
            p = run(["detect", f, "--explain", target])
            self.assertEqual(p.returncode, 0, p.stderr)
            ticks = [l for l in p.stderr.splitlines() if votes in l]
            self.assertTrue(ticks, (target, p.stderr[-500:]))
            self.assertTrue(all("best_score=" in l and "expected_per_min=" in l for l in ticks))
        p = run(["detect", f, "--explain", "whatsapp:BR"])  # no report from BR: nothing
        self.assertEqual([l for l in p.stderr.splitlines() if "minute_votes=" in l], [])

    def test_a_missing_file_exits_1_and_says_so(self):
        missing = os.path.join(self.tmp, "nope.ndjson")
        p = run(["detect", missing])
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot open " + missing, p.stderr)
        self.assertIn("No such file", p.stderr)

    def test_bad_lines_are_skipped_and_counted_and_strict_stops(self):
        lines = [GOOD % i for i in range(10)]
        lines[3] = "not json"
        lines[6] = '{"service":"whatsapp","country":"IN","problem":"login"}'  # no ts
        lines[8] = '{"ts":"2024-04-03T16:08:00Z","service":"whatsapp","problem":"dancing"}'
        f = self.write("t.ndjson", lines)
        p = run(["detect", f])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("7 reports, 3 lines skipped", p.stderr)
        self.assertIn(f + ":4:", p.stderr)
        self.assertIn(f + ":7: no ts", p.stderr)
        self.assertIn(f + ":9:", p.stderr)
        p = run(["detect", f, "--strict"])
        self.assertEqual(p.returncode, 1)
        self.assertIn(f + ":4:", p.stderr)
        self.assertNotIn(f + ":7:", p.stderr)
        self.assertEqual(p.stdout, "")


def simulate(out, scenario, scale, seed=None):
    args = ["simulate", "--scenario", scenario, "--scale", scale, "--out", out]
    if seed is not None:
        args += ["--seed", str(seed)]
    p = run(args)
    if p.returncode != 0:
        raise AssertionError("simulate failed: %s" % p.stderr)


def detect(trace, out):
    p = run(["detect", trace])
    if p.returncode != 0:
        raise AssertionError("detect failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
    with open(out, "w") as f:
        f.write(p.stdout)
    return [json.loads(l) for l in p.stdout.splitlines()]


class Scenario:
    """One trace: generated once per (generator, scenario, scale, seed),
    detected, scored."""
    cache = {}
    tmp = None

    @classmethod
    def get(cls, scenario, scale, seed=None, shared=False):
        key = (scenario, scale, seed, shared)
        if key not in cls.cache:
            cls.cache[key] = cls(scenario, scale, seed, shared)
        return cls.cache[key]

    def __init__(self, scenario, scale, seed, shared):
        out = os.path.join(Scenario.tmp, "%s-%s-%s-%s" % (scenario, scale, seed, shared))
        if shared:
            args = [sys.executable, GENERATOR, "--scenario", scenario, "--scale", scale,
                    "--out", out] + (["--seed", str(seed)] if seed is not None else [])
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        else:
            simulate(out, scenario, scale, seed)
        trace = os.path.join(out, scenario + ".ndjson")
        truth_path = os.path.join(out, scenario + ".truth.json")
        self.detected_path = os.path.join(out, "detected.ndjson")
        self.detections = detect(trace, self.detected_path)
        self.truth = scoring.load_truth(truth_path)
        self.score = scoring.score(self.truth, scoring.load_detections(self.detected_path))
        if shared:  # the shared scorer's own verdict, from its last SCORE line
            p = subprocess.run([sys.executable, SHARED_SCORER, truth_path, self.detected_path],
                               capture_output=True, text=True, check=True)
            line = [l for l in p.stdout.splitlines() if l.startswith("SCORE ")][-1]
            self.shared = dict(kv.split("=", 1) for kv in line.split()[1:])
        self.label = "%s scale %s seed %s%s: %s" % (scenario, scale, seed,
                                                     " (shared)" if shared else "",
                                                     self.score["score_line"])

    def groups_of(self, services):
        """The group label of each service's matching detections."""
        labels = {}
        for s in services:
            rows = [d for d in self.detections if d["service"] == s]
            labels[s] = {d.get("group") for d in rows}
        return labels


def setUpModule():
    Scenario.tmp = tempfile.mkdtemp(prefix="dw-detect-sc-")


def tearDownModule():
    shutil.rmtree(Scenario.tmp, ignore_errors=True)


class AcceptanceMixin:
    def check_meta(self, sc):
        r = sc.score
        self.assertEqual((r["recall"], r["total"]), (5, 5), sc.label)
        self.assertEqual(r["fp"], 0, sc.label)
        self.assertGreaterEqual(r["country_jaccard"], 0.8, sc.label)
        self.assertEqual((r["grouped"], r["groupable"]), (4, 4), sc.label)
        labels = sc.groups_of(META)
        one = set().union(*labels.values())
        self.assertEqual(len(one), 1, "Meta services in groups %s; %s" % (labels, sc.label))
        self.assertIsNotNone(one.pop(), sc.label)

    def check_quiet(self, sc):
        self.assertEqual(sc.score["fp"], 0, sc.label)
        self.assertEqual(len(sc.detections), 0, sc.label)

    def check_cascade(self, sc):
        r = sc.score
        self.assertEqual((r["grouped"], r["groupable"]), (4, 4), sc.label)
        self.assertEqual(r["over_grouped"], 0, sc.label)
        labels = sc.groups_of(CASCADE)
        cascade = set().union(*labels.values())
        self.assertEqual(len(cascade), 1, "cascade groups %s; %s" % (labels, sc.label))
        self.assertIsNotNone(list(cascade)[0])
        telegram = sc.groups_of(["telegram"])["telegram"]
        self.assertTrue(telegram, "telegram's outage not detected; " + sc.label)
        self.assertFalse(telegram & cascade, sc.label)


class SimulatedScenarioTest(AcceptanceMixin, unittest.TestCase):
    # seed None is each scenario's own seed
    def test_meta_evening_005_own_seed(self):
        self.check_meta(Scenario.get("meta-2024-04-03", "0.05"))

    def test_meta_evening_005_seed_1(self):
        self.check_meta(Scenario.get("meta-2024-04-03", "0.05", 1))

    def test_meta_evening_005_seed_2(self):
        self.check_meta(Scenario.get("meta-2024-04-03", "0.05", 2))

    def test_meta_evening_02_own_seed(self):
        sc = Scenario.get("meta-2024-04-03", "0.2")
        self.check_meta(sc)
        self.assertLessEqual(sc.score["median_delay_s"], 60, sc.label)

    def test_meta_evening_02_seed_1(self):
        sc = Scenario.get("meta-2024-04-03", "0.2", 1)
        self.check_meta(sc)
        self.assertLessEqual(sc.score["median_delay_s"], 60, sc.label)

    def test_quiet_week_02_own_seed(self):
        self.check_quiet(Scenario.get("quiet-week", "0.2"))

    def test_noisy_week_02_own_seed(self):
        self.check_quiet(Scenario.get("noisy-week", "0.2"))

    def test_quiet_week_005_own_seed(self):
        self.check_quiet(Scenario.get("quiet-week", "0.05"))

    def test_quiet_week_005_seed_1(self):
        self.check_quiet(Scenario.get("quiet-week", "0.05", 1))

    def test_noisy_week_005_own_seed(self):
        self.check_quiet(Scenario.get("noisy-week", "0.05"))

    def test_noisy_week_005_seed_1(self):
        self.check_quiet(Scenario.get("noisy-week", "0.05", 1))

    def test_cloud_cascade_005_own_seed(self):
        self.check_cascade(Scenario.get("cloud-cascade", "0.05"))

    def test_cloud_cascade_005_seed_1(self):
        self.check_cascade(Scenario.get("cloud-cascade", "0.05", 1))


def format_time(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShiftedBrigadeTest(unittest.TestCase):
    """The generators start brigades on a minute boundary; a brigade that
    starts anywhere else in the minute must not open an incident either."""

    def test_the_quiet_weeks_brigade_opens_nothing_at_any_second(self):
        out = os.path.join(Scenario.tmp, "shifted-brigade")
        simulate(out, "quiet-week", "0.05")
        with open(os.path.join(out, "quiet-week.truth.json")) as f:
            brigade = [b for b in json.load(f)["non_incidents"] if b["kind"] == "brigade"][0]
        start, end = (scoring.parse_time(brigade[k]) for k in ("start", "end"))
        # The brigade's service alone: nothing else can open there, and no
        # other incident's cascade bonus applies.
        with open(os.path.join(out, "quiet-week.ndjson")) as f:
            reports = [json.loads(l) for l in f if '"%s"' % brigade["service"] in l]
        reports = [r for r in reports if r["service"] == brigade["service"]]
        inside = lambda r: (r.get("country") in brigade["countries"] and
                            start <= scoring.parse_time(r["ts"]) < end)
        per_client = {}
        for r in reports:
            if inside(r):
                per_client[r.get("client")] = per_client.get(r.get("client"), 0) + 1
        brigaders = {c for c, n in per_client.items() if n >= 5}
        self.assertGreaterEqual(len(brigaders), 10, "no brigade found in the trace")
        for shift in (-40, -20, 10, 30, 50):
            moved = []
            for r in reports:
                if inside(r) and r.get("client") in brigaders:
                    r = dict(r, ts=format_time(scoring.parse_time(r["ts"]) + shift))
                moved.append(r)
            moved.sort(key=lambda r: r["ts"])
            trace = os.path.join(out, "shift%d.ndjson" % shift)
            with open(trace, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in moved)
            found = detect(trace, trace + ".detected")
            self.assertEqual(found, [], "brigade moved by %d s opened %s" % (shift, found))


@unittest.skipUnless(os.path.exists(GENERATOR) and os.path.exists(SHARED_SCORER),
                     "../shared/scenarios is not here")
class SharedScenarioDetectTest(AcceptanceMixin, unittest.TestCase):
    def check_shared_meta(self, sc):
        s = sc.shared
        self.assertEqual((s["recall"], s["fp"], s["grouping"]), ("5/5", "0", "4/4"), sc.label)
        self.assertGreaterEqual(float(s["country_jaccard"]), 0.8, sc.label)
        self.check_meta(sc)

    def test_shared_meta_evening_005(self):
        self.check_shared_meta(Scenario.get("meta-2024-04-03", "0.05", shared=True))

    def test_shared_meta_evening_005_seed_2(self):
        self.check_shared_meta(Scenario.get("meta-2024-04-03", "0.05", 2, shared=True))

    # Seed 1 at 0.05: the jio outage (about 1 extra report a minute, 8x its
    # baseline, in one country, two days into the trace) is found 35
    # minutes in (it peaked at 7.6 against 8 while a young profile's doubt
    # was counted on top of the residuals that measure it).
    def test_shared_meta_evening_005_seed_1(self):
        self.check_shared_meta(Scenario.get("meta-2024-04-03", "0.05", 1, shared=True))

    def test_shared_meta_evening_02(self):
        sc = Scenario.get("meta-2024-04-03", "0.2", shared=True)
        self.check_shared_meta(sc)
        self.assertLessEqual(float(sc.shared["median_delay_s"]), 60, sc.label)

    def test_shared_quiet_week_005(self):
        sc = Scenario.get("quiet-week", "0.05", shared=True)
        self.assertEqual(sc.shared["fp"], "0", sc.label)
        self.check_quiet(sc)

    def test_shared_quiet_week_02(self):
        sc = Scenario.get("quiet-week", "0.2", shared=True)
        self.assertEqual(sc.shared["fp"], "0", sc.label)
        self.check_quiet(sc)


if __name__ == "__main__":
    unittest.main()
