"""`downwatch simulate` end to end: --help and usage errors, byte-identical
output for the same arguments, every line a valid report in ts order, the
truth file's shape, the scorer (scoring.py) on a perfect and on an empty
detection, and a simulated trace that a real server accepts whole. Scales
are small (0.02-0.05) so the suite stays quick under ASan."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scoring  # noqa: E402
from harness import Server, replay_whole, run  # noqa: E402

SCENARIOS = ["meta-2024-04-03", "quiet-week", "regional-telecom", "cloud-cascade",
             "slow-rise", "noisy-week"]
PROBLEMS = {"login", "messages", "calls", "app", "website", "feed", "connection", "other"}
LINE = re.compile(r'^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","service":"[a-z0-9]+",'
                  r'"country":"[A-Z]{2}","problem":"[a-z]+","client":"[0-9a-f]{16}"\}$')


def simulate(out, scenario="meta-2024-04-03", scale="0.05", *extra):
    p = run(["simulate", "--scenario", scenario, "--scale", scale, "--out", out] + list(extra))
    if p.returncode != 0:
        raise AssertionError("simulate failed (%d): %s" % (p.returncode, p.stderr))
    return p


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


class SimulateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dw-sim-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def test_help_documents_every_option_and_lists_the_scenarios(self):
        p = run(["simulate", "--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("usage: downwatch simulate", p.stdout)
        for word in ["--scenario", "--scale", "--seed", "--out", '"all"'] + SCENARIOS:
            self.assertIn(word, p.stdout)
        self.assertIn("simulate", run(["--help"]).stdout)

    def test_bad_arguments_are_usage_errors_that_say_what_is_wrong(self):
        out = self.path("x")
        cases = [([], "--scenario is required"),
                 (["--scenario", "meta-2024-04-03"], "--out is required"),
                 (["--scenario", "nope", "--out", out], 'unknown scenario "nope"'),
                 (["--scenario", "quiet-week", "--out", out, "--scale", "0"], "--scale"),
                 (["--scenario", "quiet-week", "--out", out, "--scale", "1e9"], "--scale"),
                 (["--scenario", "quiet-week", "--out", out, "--scale", "big"], "--scale"),
                 (["--scenario", "quiet-week", "--out", out, "--seed", "-1"], "--seed"),
                 (["--scenario", "quiet-week", "--out", out, "--seed", "99999999999999999999"],
                  "--seed"),
                 (["--scenario", "quiet-week", "--out"], "--out needs a value"),
                 (["--scenario", "quiet-week", "--out", out, "extra"], 'unexpected argument "extra"')]
        for args, needle in cases:
            with self.subTest(args=args):
                p = run(["simulate"] + args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(needle, p.stderr)
                self.assertEqual(p.stdout, "")
        self.assertFalse(os.path.exists(out))

    def test_an_output_directory_that_cannot_be_made_is_an_error(self):
        blocker = self.path("file")
        open(blocker, "w").close()
        p = run(["simulate", "--scenario", "quiet-week", "--out", os.path.join(blocker, "d")])
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot create directory", p.stderr)

    def test_the_same_arguments_give_byte_identical_files(self):
        simulate(self.path("a"))
        simulate(self.path("b"))
        simulate(self.path("c"), "meta-2024-04-03", "0.05", "--seed", "1")
        for name in ["meta-2024-04-03.ndjson", "meta-2024-04-03.truth.json"]:
            self.assertEqual(read(self.path("a", name), "rb"), read(self.path("b", name), "rb"))
        self.assertNotEqual(read(self.path("a", "meta-2024-04-03.ndjson"), "rb"),
                            read(self.path("c", "meta-2024-04-03.ndjson"), "rb"))
        self.assertEqual(sorted(os.listdir(self.path("a"))),
                         ["meta-2024-04-03.ndjson", "meta-2024-04-03.truth.json"])

    def test_every_line_is_a_report_in_ts_order_inside_the_window(self):
        simulate(self.tmp)
        truth = json.loads(read(self.path("meta-2024-04-03.truth.json")))
        text = read(self.path("meta-2024-04-03.ndjson"))
        last, services, lines = truth["start"], set(), text.splitlines()
        for line in lines:
            self.assertRegex(line, LINE)
            r = json.loads(line)
            self.assertEqual(line, json.dumps(r, separators=(",", ":")))
            self.assertIn(r["problem"], PROBLEMS)
            self.assertGreaterEqual(r["ts"], last)
            last = r["ts"]
            services.add(r["service"])
        self.assertGreaterEqual(len(lines), 80000)  # ~410k at the default scale 0.2
        self.assertLess(last, truth["end"])
        self.assertEqual(len(services), 12)

    def test_the_outage_and_the_brigade_are_in_the_trace(self):
        simulate(self.tmp)
        before = during = 0
        brigade = {}
        for line in read(self.path("meta-2024-04-03.ndjson")).splitlines():
            r = json.loads(line)
            if r["service"] == "whatsapp" and r["ts"].startswith("2024-04-03T1"):
                if "2024-04-03T14:30" <= r["ts"] < "2024-04-03T16:30":
                    before += 1
                elif "2024-04-03T16:30" <= r["ts"] < "2024-04-03T18:30":
                    during += 1
            if (r["service"], r["country"]) == ("telegram", "DE") and \
                    r["ts"].startswith("2024-03-30T12:"):
                brigade[r["client"]] = brigade.get(r["client"], 0) + 1
        self.assertGreater(during, 10 * before)
        heavy = [c for c, n in brigade.items() if n >= 50]
        self.assertEqual(len(heavy), 20)  # brigades are not scaled
        self.assertGreater(sum(brigade[c] for c in heavy), 2700)

    def test_truth_has_the_shared_shape(self):
        simulate(self.tmp, "cloud-cascade", "0.05")
        t = json.loads(read(self.path("cloud-cascade.truth.json")))
        self.assertEqual(set(t), {"trace", "start", "end", "scale", "seed", "incidents",
                                  "non_incidents"})
        self.assertEqual((t["trace"], t["scale"], t["seed"]), ("cloud-cascade", 0.05, 715))
        for inc in t["incidents"]:
            self.assertEqual(set(inc), {"service", "start", "end", "countries", "problems",
                                        "group", "expected_extra_reports",
                                        "generated_extra_reports"})
            self.assertLess(inc["start"], inc["end"])
            self.assertTrue(1 <= len(inc["problems"]) <= 3)
            self.assertTrue(set(inc["problems"]) <= PROBLEMS)
            self.assertIsInstance(inc["expected_extra_reports"], int)
        groups = [inc["group"] for inc in t["incidents"]]
        self.assertEqual(groups.count("cdn-2024-07-15"), 4)
        self.assertEqual(groups.count(None), 1)
        kinds = [w["kind"] for w in t["non_incidents"]]
        self.assertEqual(kinds.count("brigade"), 1)
        self.assertGreater(kinds.count("blip"), 0)
        for w in t["non_incidents"]:
            self.assertEqual(set(w), {"service", "countries", "start", "end", "kind", "why"})
        self.assertEqual([w["start"] for w in t["non_incidents"]],
                         sorted(w["start"] for w in t["non_incidents"]))

    def test_all_writes_every_scenario(self):
        p = simulate(self.tmp, "all", "0.02")
        self.assertEqual(len(p.stdout.splitlines()), len(SCENARIOS))
        self.assertEqual(sorted(os.listdir(self.tmp)),
                         sorted(n + ext for n in SCENARIOS for ext in [".ndjson", ".truth.json"]))
        quiet = json.loads(read(self.path("quiet-week.truth.json")))
        self.assertEqual(quiet["incidents"], [])


class ScoringTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dw-score-")
        simulate(cls.tmp, "meta-2024-04-03", "0.05")
        cls.truth_path = os.path.join(cls.tmp, "meta-2024-04-03.truth.json")
        cls.truth = scoring.load_truth(cls.truth_path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def perfect(self):
        return [{"service": i["service"], "start": i["start"], "detected_at": i["start"],
                 "end": i["end"], "countries": i["countries"],
                 "problems": {p: 1.0 / (k + 1) for k, p in enumerate(i["problems"])},
                 "group": i["group"], "id": "d%d" % n}
                for n, i in enumerate(self.truth["incidents"])]

    def test_a_perfect_detection_scores_full_marks(self):
        r = scoring.score(self.truth, self.perfect())
        total = len(self.truth["incidents"])
        self.assertEqual((r["recall"], r["total"], r["fp"]), (total, total, 0))
        self.assertEqual((r["median_delay_s"], r["max_delay_s"]), (0, 0))
        self.assertEqual(r["country_jaccard"], 1.0)
        self.assertEqual((r["grouped"], r["groupable"]), (4, 4))
        self.assertEqual(r["problem_top1"], total)
        self.assertEqual(r["score_line"],
                         "SCORE recall=%d/%d fp=0 median_delay_s=0 max_delay_s=0 "
                         "country_jaccard=1.00 grouping=4/4 delay_from=detected_at"
                         % (total, total))

    def test_an_empty_detection_recalls_nothing(self):
        r = scoring.score(self.truth, [])
        self.assertEqual(r["recall"], 0)
        self.assertEqual(r["fp"], 0)
        self.assertIsNone(r["median_delay_s"])
        self.assertIn("median_delay_s=NA", r["score_line"])

    def test_late_partial_and_false_detections_are_counted(self):
        dets = self.perfect()[:2]
        dets[0]["detected_at"] = dets[0]["start"][:-3] + "50Z"  # 50 s late
        dets[1]["countries"] = dets[1]["countries"][:1]
        brigade = next(w for w in self.truth["non_incidents"] if w["kind"] == "brigade")
        dets.append({"service": brigade["service"], "start": brigade["start"],
                     "end": brigade["end"], "countries": brigade["countries"]})
        r = scoring.score(self.truth, dets)
        self.assertEqual((r["recall"], r["fp"]), (2, 1))
        self.assertEqual(r["max_delay_s"], 50)
        self.assertIs(r["false_positives"][0]["non_incident"], brigade)
        self.assertLess(r["country_jaccard"], 1.0)
        self.assertEqual(r["grouped"], 2)  # the label is carried by two incidents

    def test_only_the_last_line_of_an_id_counts_and_bad_lines_are_skipped(self):
        first = dict(self.perfect()[0], end="2024-03-27T00:10:00Z",
                     start="2024-03-27T00:00:00Z")
        path = os.path.join(self.tmp, "det.ndjson")
        with open(path, "w") as f:
            f.write(json.dumps(first) + "\n" + json.dumps(self.perfect()[0]) + "\n")
            f.write('{"start":"2024-04-03T16:30:00Z"}\n\n')
        notes = []
        dets = scoring.load_detections(path, notes)
        self.assertEqual(len(dets), 1)
        self.assertEqual(len(notes), 1)
        self.assertEqual(scoring.score(self.truth, dets)["fp"], 0)

    def test_the_command_line_prints_the_score_last_and_fails_on_bad_json(self):
        path = os.path.join(self.tmp, "perfect.ndjson")
        with open(path, "w") as f:
            f.writelines(json.dumps(d) + "\n" for d in self.perfect())
        p = subprocess.run([sys.executable, scoring.__file__, self.truth_path, path],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.splitlines()[-1].startswith("SCORE recall=5/5 fp=0 "))
        with open(path, "w") as f:
            f.write("{not json\n")
        p = subprocess.run([sys.executable, scoring.__file__, self.truth_path, path],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)


class ReplayTest(unittest.TestCase):
    def test_a_simulated_trace_replays_whole_into_a_server(self):
        with tempfile.TemporaryDirectory() as tmp:
            simulate(tmp, "regional-telecom", "0.01")
            with Server() as srv:
                replay_whole(self, srv, os.path.join(tmp, "regional-telecom.ndjson"))


if __name__ == "__main__":
    unittest.main()
