"""GET /metrics over real HTTP: after a known mix of traffic (reports stored,
repeated, rejected line by line, rate-limited; reads of several routes; a
415 and a 404), the page parses with a strict reader of the Prometheus text
format (promtext.py, which also holds it to the naming conventions), and
its figures are exactly that traffic: reports received = accepted +
rejected, rejections by reason, requests by route and code with a latency
histogram each, the store's commits, queue and WAL, open incidents per
catalog service, webhook deliveries at 0, process figures. With
metrics_token set, the page needs that bearer token. A flood of reports is
checkpointed by the checkpoint thread."""
import json
import os
import time
import unittest

import promtext
from harness import ADMIN, ROOT, Server, report, run

ROUTES = {"reports", "services", "service", "series", "incidents", "incident", "updates",
          "groups", "group", "openapi", "health", "index", "feeds", "metrics", "pages",
          "other"}
CODES = {"200", "201", "202", "204", "304", "400", "401", "403", "404", "405", "408", "413",
         "415", "429", "431", "500", "503", "1xx", "2xx", "3xx", "4xx", "5xx"}
REASONS = {"invalid_json", "not_an_object", "invalid_utf8", "unknown_field", "duplicate_field",
           "invalid_type", "missing_field", "invalid_service", "invalid_country",
           "invalid_problem", "invalid_client", "invalid_ts", "unknown_service", "rate_limited",
           "overloaded", "shutting_down", "storage_unavailable", "other"}


def scrape(srv, headers=None):
    r = srv.request("GET", "/metrics", headers=headers)
    assert r.status == 200, r
    return r, promtext.parse(r.body)


class CheckpointTest(unittest.TestCase):
    """Reports past a thousand WAL pages: the checkpoint thread copies them
    into the database file, not the HTTP loop that commits, and the WAL
    restarts once the flood has stopped."""

    def test_a_flood_is_checkpointed_by_the_checkpoint_thread(self):
        srv = Server("--rate_limit", "0", "--network_rate_limit", "0")
        srv.start()
        try:
            for b in range(60):  # ~1400 WAL pages
                r = srv.post_ndjson([report(client="%d-%d" % (b, i)) for i in range(2000)])
                self.assertEqual(r.status, 202, r.body[:300])
            deadline = time.time() + 10
            while True:
                f = scrape(srv)[1]
                done = f["downwatch_store_checkpoints_total"].value(by="checkpoint_thread")
                if done >= 1 or time.time() > deadline:
                    break
                time.sleep(0.1)
            self.assertGreaterEqual(done, 1)
            self.assertEqual(f["downwatch_store_checkpoints_total"].value(by="committer"), 0)
            # After a quiet spell the WAL is caught up, and a commit starts
            # it again from its beginning (one that finds a reader inside
            # the WAL leaves that to the next, so give it a few).
            deadline = time.time() + 10
            for k in range(1000):
                time.sleep(0.3)
                self.assertEqual(srv.post_json(report(client="after-%d" % k)).status, 202)
                pages = scrape(srv)[1]["downwatch_store_wal_pages"].value()
                if pages < 1000 or time.time() > deadline:
                    break
            self.assertLess(pages, 1000)
        finally:
            self.assertEqual(srv.stop(), 0, srv.log()[-3000:])
            srv.cleanup()


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--rate_limit", "1", "--rate_burst", "3", "--queue_max", "5000")
        cls.srv.start()
        s = cls.srv
        cls.answers = [
            s.post_json(report(client="c1")),  # stored, counted
            s.post_json(report(client="c1")),  # stored, a repeat
            s.post_ndjson([report(client="c2"),
                           report(country="QQ"),
                           report(service="nosuch"),
                           "not json",
                           dict(report(), contry="IN")]),  # 1 stored, 4 rejected
            s.post_ndjson([report(client="c%d" % i) for i in range(3, 8)]),  # over the burst
            s.request("POST", "/api/v1/reports", "x", {"Content-Type": "text/plain"}),
            s.get("/api/v1/no/such/thing"),
            s.get("/api/v1/services/whatsapp"),
            s.get("/api/v1/services/whatsapp/series"),
            s.get("/api/v1/incidents/whatsapp-nothing"),
            s.get("/api/v1/groups"),
            s.get("/"),
        ]
        cls.first, cls.fams = scrape(s)

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, cls.srv.log()[-3000:]
        cls.srv.cleanup()

    def test_the_traffic_got_the_answers_it_is_counted_by(self):
        self.assertEqual([a.status for a in self.answers],
                         [202, 202, 202, 429, 415, 404, 200, 200, 404, 200, 200], self.answers)

    def test_the_page_is_the_prometheus_text_format(self):
        self.assertEqual(self.first.header("Content-Type"),
                         "text/plain; version=0.0.4; charset=utf-8")
        self.assertEqual(self.first.header("Cache-Control"), "no-store")
        for name in self.fams:
            self.assertTrue(name.startswith(("downwatch_", "process_")), name)

    def test_reports_received_are_accepted_or_rejected_by_reason(self):
        f = self.fams
        received = f["downwatch_reports_received_total"].value()
        accepted = f["downwatch_reports_accepted_total"].value()
        rejected = f["downwatch_reports_rejected_total"]
        self.assertEqual({l["reason"] for _, l, _ in rejected.samples}, REASONS)
        by_reason = {l["reason"]: v for _, l, v in rejected.samples if v}
        self.assertEqual(by_reason, {"invalid_country": 1, "unknown_service": 1,
                                     "invalid_json": 1, "unknown_field": 1, "rate_limited": 5})
        self.assertEqual((received, accepted), (12, 3))
        self.assertEqual(received, accepted + sum(by_reason.values()))
        self.assertEqual(f["downwatch_reports_counted_total"].value(), 2)

    def test_requests_are_counted_by_route_and_code_with_their_latency(self):
        requests = self.fams["downwatch_http_requests_total"]
        seen = {(l["route"], l["code"]): v for _, l, v in requests.samples}
        self.assertLessEqual({r for r, _ in seen}, ROUTES)
        self.assertLessEqual({c for _, c in seen}, CODES)
        self.assertEqual(seen, {("reports", "202"): 3, ("reports", "429"): 1,
                                ("reports", "415"): 1, ("other", "404"): 1,
                                ("service", "200"): 1, ("series", "200"): 1,
                                ("incident", "404"): 1, ("groups", "200"): 1,
                                ("pages", "200"): 1})
        latency = self.fams["downwatch_http_request_duration_seconds"]
        self.assertEqual(latency.type, "histogram")
        for route in {r for r, _ in seen}:
            count = latency.value("downwatch_http_request_duration_seconds_count", route=route)
            self.assertEqual(count, sum(v for (r, _), v in seen.items() if r == route))
            self.assertGreater(latency.value("downwatch_http_request_duration_seconds_sum",
                                             route=route), 0)
        # The scrape itself is counted once it is answered.
        _, again = scrape(self.srv)
        self.assertEqual(again["downwatch_http_requests_total"].value(route="metrics",
                                                                      code="200"), 1)

    def test_the_store_the_series_and_the_detector_are_shown(self):
        f = self.fams
        commits = f["downwatch_store_commit_duration_seconds"]
        self.assertGreaterEqual(commits.value("downwatch_store_commit_duration_seconds_count"), 3)
        self.assertEqual(f["downwatch_store_queue_reports"].value(), 0)
        self.assertEqual(f["downwatch_store_queue_limit_reports"].value(), 5000)
        self.assertEqual(f["downwatch_store_commit_failures_total"].value(), 0)
        self.assertEqual(f["downwatch_series_active"].value(), 1)  # whatsapp in IN
        self.assertEqual(f["downwatch_detector_tick_duration_seconds"].type, "histogram")
        watermark = f["downwatch_detector_watermark_seconds"].value()
        self.assertLess(abs(watermark - time.time()), 120)

        # A few commits leave a short WAL, which nobody had to checkpoint.
        self.assertGreater(f["downwatch_store_wal_pages"].value(), 0)
        checkpoints = f["downwatch_store_checkpoints_total"]
        self.assertEqual(checkpoints.value(by="checkpoint_thread"), 0)
        self.assertEqual(checkpoints.value(by="committer"), 0)

    def test_every_catalog_service_has_its_open_incidents_gauge(self):
        services = {s["id"] for s in self.srv.get("/api/v1/services").json()["services"]}
        gauge = self.fams["downwatch_open_incidents"]
        self.assertEqual(gauge.type, "gauge")
        self.assertEqual({l["service"] for _, l, _ in gauge.samples}, services)
        self.assertEqual({v for _, _, v in gauge.samples}, {0})

    def test_webhook_deliveries_are_there_at_zero_for_each_outcome(self):
        deliveries = self.fams["downwatch_webhook_deliveries_total"]
        self.assertEqual(deliveries.type, "counter")
        self.assertEqual({l["outcome"]: v for _, l, v in deliveries.samples},
                         {"delivered": 0, "retried": 0, "failed": 0})

    def test_process_figures_have_the_standard_names_and_plausible_values(self):
        f = self.fams
        self.assertGreater(f["process_resident_memory_bytes"].value(), 1 << 20)
        self.assertGreaterEqual(f["process_virtual_memory_bytes"].value(),
                                f["process_resident_memory_bytes"].value())
        self.assertGreater(f["process_open_fds"].value(), 3)
        self.assertLessEqual(f["process_open_fds"].value(), f["process_max_fds"].value())
        # whole clock ticks (10 ms): a young, idle server may not have one yet
        self.assertGreaterEqual(f["process_cpu_seconds_total"].value(), 0)
        self.assertEqual(f["process_cpu_seconds_total"].type, "counter")
        self.assertLess(abs(f["process_start_time_seconds"].value() - time.time()), 600)

    def test_the_openapi_document_lists_the_page_at_the_root(self):
        with open(os.path.join(ROOT, "src", "api", "openapi.json")) as f:
            doc = json.load(f)["paths"]["/metrics"]
        self.assertEqual(doc["servers"][0]["url"], "/")
        self.assertIn(self.first.header("Content-Type"), doc["get"]["responses"]["200"]["content"])

    def test_the_page_is_read_only_and_alone(self):
        r = self.srv.request("POST", "/metrics", "x", {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 405)
        self.assertEqual(self.srv.request("HEAD", "/metrics").status, 200)
        self.assertEqual(self.srv.get("/metrics/more").status, 404)  # the pages' 404


class MetricsTokenTest(unittest.TestCase):
    TOKEN = "metrics-token-5551212"

    def test_with_metrics_token_the_page_needs_it(self):
        with Server("--metrics_token", self.TOKEN) as srv:
            for auth in [None, "Bearer wrong", "Bearer " + ADMIN, self.TOKEN]:
                r = srv.request("GET", "/metrics", headers={"Authorization": auth} if auth else {})
                self.assertEqual(r.status, 401, auth)
                self.assertEqual(r.header("WWW-Authenticate"), 'Bearer realm="downwatch"')
            r, fams = scrape(srv, {"Authorization": "Bearer " + self.TOKEN})
            self.assertIn("downwatch_http_requests_total", fams)
            self.assertEqual(fams["downwatch_http_requests_total"].value(route="metrics",
                                                                         code="401"), 4)
            self.assertNotIn(self.TOKEN, srv.log())

    def test_check_config_masks_the_token(self):
        p = run(["serve", "--check-config", "--metrics_token", self.TOKEN])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("metrics_token", p.stdout)
        self.assertNotIn(self.TOKEN, p.stdout)


class ReaderTest(unittest.TestCase):
    """The reader refuses what Prometheus refuses, so a pass means something."""

    GOOD = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 3\n"

    def test_a_good_page_is_read(self):
        fams = promtext.parse(self.GOOD)
        self.assertEqual(fams["a_total"].value(x="1"), 3)

    def test_malformed_pages_are_refused(self):
        hist = "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
        bad = [
            self.GOOD[:-1],                                          # no final line feed
            self.GOOD + 'a_total{x="1"} 4\n',                        # a sample twice
            self.GOOD.replace('x="1"', 'x="1\\t"'),                  # a bad escape
            self.GOOD.replace('x="1"', 'x=1'),                       # an unquoted value
            self.GOOD.replace(" 3\n", " three\n"),                   # not a number
            self.GOOD.replace("# TYPE a_total counter\n", ""),       # no TYPE
            self.GOOD.replace("a_total", "a"),                       # a counter without _total
            "# HELP g_total G.\n# TYPE g_total gauge\ng_total 1\n",  # _total on a gauge
            self.GOOD + "# HELP b_total B.\n# TYPE b_total counter\nb_total 1\na_total 2\n",
            hist + 'h_seconds_bucket{le="1"} 2\nh_seconds_sum 1\nh_seconds_count 2\n',
            hist + 'h_seconds_bucket{le="1"} 3\nh_seconds_bucket{le="+Inf"} 2\n'
                   'h_seconds_sum 1\nh_seconds_count 2\n',
            hist + 'h_seconds_bucket{le="+Inf"} 2\nh_seconds_sum 1\nh_seconds_count 3\n',
        ]
        for text in bad:
            with self.assertRaises(ValueError, msg=text):
                promtext.parse(text)


if __name__ == "__main__":
    unittest.main()
