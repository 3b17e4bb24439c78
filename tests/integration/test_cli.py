"""The command line: --help everywhere, configuration sources and checks,
and `downwatch replay` against a real server."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

from harness import Server, run, ROOT, TOKEN


class HelpTest(unittest.TestCase):
    def test_every_command_has_help(self):
        for cmd in [["--help"], ["serve", "--help"], ["replay", "--help"]]:
            with self.subTest(cmd=cmd):
                p = run(cmd)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("usage: downwatch", p.stdout)

    def test_version_is_printed(self):
        p = run(["--version"])
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^downwatch \d+\.\d+\.\d+\n$")

    def test_an_unknown_command_is_a_usage_error(self):
        p = run(["frobnicate"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown command", p.stderr)


class ConfigTest(unittest.TestCase):
    def test_check_config_prints_the_defaults(self):
        p = run(["serve", "--check-config"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('listen = "127.0.0.1:8080"', p.stdout)
        self.assertIn('data_dir = "./data"', p.stdout)

    def test_flags_beat_environment_beat_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("# a comment\nvote_window = 120\nrate_limit = 7\nidle_timeout = 30\n")
            f.flush()
            env = dict(os.environ, DOWNWATCH_RATE_LIMIT="9", DOWNWATCH_IDLE_TIMEOUT="40")
            p = run(["serve", "--config", f.name, "--idle_timeout=50", "--check-config"], env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("vote_window = 120", p.stdout)
            self.assertIn("rate_limit = 9", p.stdout)
            self.assertIn("idle_timeout = 50", p.stdout)

    def test_bad_values_name_the_option_and_where_it_came_from(self):
        cases = [(["--idle_timeout", "0"], "idle_timeout"),
                 (["--sync", "sometimes"], "sync"),
                 (["--max_body", "12x"], "max_body"),
                 (["--no_such_option", "1"], "no_such_option"),
                 (["--listen", "127.0.0.1"], "port"),
                 (["--trusted_proxies", "10.0.0.0/99"], "10.0.0.0/99"),
                 (["--catalog", "/nonexistent/catalog"], "/nonexistent/catalog")]
        for args, needle in cases:
            with self.subTest(args=args):
                p = run(["serve"] + args + ["--check-config"])
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(needle, p.stderr)

    def test_tokens_are_not_printed(self):
        p = run(["serve", "--admin_token", "s3cret-token", "--check-config"])
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("s3cret-token", p.stdout)


class ReplayTest(unittest.TestCase):
    def test_replay_sends_a_trace_and_prints_what_was_accepted(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = run(["simulate", "--scenario", "meta-2024-04-03", "--scale", "0.02",
                     "--out", tmp])
            self.assertEqual(p.returncode, 0, p.stderr)
            trace = os.path.join(tmp, "meta-2024-04-03.ndjson")
            with open(trace, "a") as f:
                f.write('{"service":"whatsapp","problem":"nonsense"}\n')
            with open(trace) as f:
                lines = sum(1 for _ in f)
            with Server() as srv:
                p = run(["replay", trace, "--url", "http://127.0.0.1:%d" % srv.port,
                         "--token", TOKEN, "--batch", "500"])
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("replayed %d lines" % lines, p.stdout)
                self.assertIn("%d accepted" % (lines - 1), p.stdout)
                self.assertIn("1 rejected", p.stdout)
                self.assertIn("invalid_problem", p.stderr + p.stdout)
                health = srv.get("/api/v1/health").json()
                self.assertEqual(health["store"]["reports"], lines - 1)

    def test_replay_follows_the_trace_clock_at_the_given_speed(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson") as f:
            for sec in range(0, 40, 2):  # 38 s of trace time
                f.write('{"ts":"2024-04-03T16:30:%02dZ","service":"x","problem":"feed",'
                        '"client":"s%d"}\n' % (sec, sec))
            f.flush()
            with Server() as srv:
                start = time.time()
                p = run(["replay", f.name, "--url", "http://127.0.0.1:%d" % srv.port,
                         "--token", TOKEN, "--speed", "20"])
                took = time.time() - start
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("20 accepted", p.stdout)
                self.assertGreater(took, 1.5)  # 38 s / 20
                self.assertLess(took, 10)

    def test_replay_to_a_dead_server_fails_clearly(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson") as f:
            f.write('{"service":"whatsapp","problem":"login"}\n')
            f.flush()
            p = run(["replay", f.name, "--url", "http://127.0.0.1:9"])
            self.assertEqual(p.returncode, 1)
            self.assertIn("stopped", p.stderr)


if __name__ == "__main__":
    unittest.main()
