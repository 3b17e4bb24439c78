"""The detector inside the server: a trace replayed into `downwatch serve`
(with the replay token, so event time is honoured) gives the incidents that
`downwatch detect` gives on the same trace; they are in SQLite and survive a
restart; the service shows its status and open incident; the incidents API
filters and answers errors clearly."""
import json
import os
import tempfile
import time
import unittest

from harness import Server, run, replay_whole

KEYS = ("id", "service", "start", "detected_at", "end", "countries", "group", "peak_per_min")


def essentials(incidents):
    return sorted((tuple(json.dumps(i[k]) for k in KEYS) for i in incidents))


class LiveDetectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        p = run(["simulate", "--scenario", "meta-2024-04-03", "--scale", "0.1",
                 "--out", cls.tmp.name])
        assert p.returncode == 0, p.stderr
        cls.trace = os.path.join(cls.tmp.name, "meta-2024-04-03.ndjson")
        p = run(["detect", cls.trace])
        assert p.returncode == 0, p.stderr
        cls.offline = [json.loads(line) for line in p.stdout.splitlines()]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def incidents(self, srv):
        """The server's incidents once they match the offline ones (the
        ticker stores what the detector publishes once a second), or after
        30 s, whatever they are then."""
        deadline = time.time() + 30
        while True:
            r = srv.get("/api/v1/incidents?limit=1000")
            self.assertEqual(r.status, 200, r.body)
            got = r.json()["incidents"]
            if essentials(got) == essentials(self.offline) or time.time() > deadline:
                return got
            time.sleep(0.2)

    def test_a_replayed_trace_gives_the_offline_incidents_and_they_survive_a_restart(self):
        self.assertGreaterEqual(len(self.offline), 5)
        with tempfile.TemporaryDirectory() as data:
            with Server(data_dir=data) as srv:
                # One request at a time: the order of the trace is the order fed.
                replay_whole(self, srv, self.trace, "--parallel", "1")
                live = self.incidents(srv)
                self.assertEqual(essentials(live), essentials(self.offline))
                whatsapp = [i for i in live if i["service"] == "whatsapp"][0]
                r = srv.get("/api/v1/incidents/" + whatsapp["id"])
                self.assertEqual(r.status, 200)
                body = r.json()
                self.assertEqual(body["incident"]["id"], whatsapp["id"])
                events = [step["event"] for step in body["timeline"]]
                self.assertEqual(events[0], "opened")
                self.assertIn("resolved", events)
                self.assertEqual(body["timeline"][-1]["incident"]["end"], whatsapp["end"])
                group = srv.get("/api/v1/incidents?group=" + whatsapp["group"]).json()
                self.assertEqual(sorted(i["service"] for i in group["incidents"]),
                                 ["facebook", "instagram", "messenger", "whatsapp"])
            with Server(data_dir=data) as srv:
                self.assertEqual(essentials(self.incidents(srv)), essentials(self.offline))

    def test_filters_and_errors(self):
        with Server() as srv:
            replay_whole(self, srv, self.trace, "--parallel", "1")
            self.incidents(srv)
            only = srv.get("/api/v1/incidents?service=jio").json()["incidents"]
            self.assertTrue(only and all(i["service"] == "jio" for i in only))
            # The trace ends hours after every recovery: nothing is open.
            self.assertEqual(srv.get("/api/v1/incidents?open=true").json()["incidents"], [])
            late = srv.get("/api/v1/incidents?since=2024-04-01T00:00:00Z").json()["incidents"]
            self.assertTrue(late and all(i["end"] >= "2024-04-01" for i in late))
            self.assertEqual(len(srv.get("/api/v1/incidents?limit=2").json()["incidents"]), 2)
            for query, error in (("service=nosuch", "unknown_service"),
                                 ("open=maybe", "invalid_open"),
                                 ("since=yesterday", "invalid_since"),
                                 ("limit=0", "invalid_limit")):
                r = srv.get("/api/v1/incidents?" + query)
                self.assertEqual(r.json()["error"], error, query)
            r = srv.get("/api/v1/incidents/nosuch-20240101T000000Z")
            self.assertEqual((r.status, r.json()["error"]), (404, "unknown_incident"))
            r = srv.request("POST", "/api/v1/incidents", body=b"{}")
            self.assertEqual(r.status, 405)
            self.assertEqual(srv.get("/api/v1/").json()["api"]["incidents"], "/api/v1/incidents")
            status = srv.get("/api/v1/services/whatsapp").json()
            self.assertIn(status["status"], ("ok", "degraded"))
            self.assertIsNone(status["incident"])


if __name__ == "__main__":
    unittest.main()
