"""The read side of the API over real HTTP: catalog, series, health."""
import unittest

from harness import Server, report, TOKEN


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--rate_limit", "0").start()
        lines = []
        for minute in range(30):
            for i in range(minute + 1):  # a rising series: minute m has m+1 reports
                cc = "BR" if i % 2 else "GB"
                lines.append(report(service="whatsapp", country=cc,
                                    problem="messages" if i % 3 else "login",
                                    client="c%d-%d" % (minute, i),
                                    ts="2024-04-03T16:%02d:%02dZ" % (minute, i % 60)))
        r = cls.srv.post_ndjson(lines, token=TOKEN)
        assert r.status == 202 and r.json()["accepted"] == len(lines), r

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0
        cls.srv.cleanup()

    def test_the_catalog_lists_about_fifty_services_with_owners(self):
        r = self.srv.get("/api/v1/services")
        self.assertEqual(r.status, 200)
        services = {s["id"]: s for s in r.json()["services"]}
        self.assertGreaterEqual(len(services), 45)
        for sid in ["whatsapp", "instagram", "facebook", "messenger"]:
            self.assertEqual(services[sid]["owner"], "Meta")
        self.assertIn("messages", services["whatsapp"]["problems"])
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")

    def test_one_service_and_its_countries(self):
        r = self.srv.get("/api/v1/services/whatsapp")
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["service"]["name"], "WhatsApp")
        self.assertEqual(sorted(body["countries_with_reports"]), ["BR", "GB"])

    def test_an_unknown_service_is_404(self):
        r = self.srv.get("/api/v1/services/nosuch")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"], "unknown_service")
        r = self.srv.get("/api/v1/services/nosuch/series")
        self.assertEqual(r.status, 404)

    def test_minute_series_follow_the_reports(self):
        r = self.srv.get("/api/v1/services/whatsapp/series?from=2024-04-03T16:00:00Z"
                         "&to=2024-04-03T16:30:00Z&step=60")
        self.assertEqual(r.status, 200, r)
        pts = r.json()["points"]
        self.assertEqual(len(pts), 30)
        self.assertEqual([p["reports"] for p in pts], list(range(1, 31)))
        self.assertEqual(pts[0]["t"], "2024-04-03T16:00:00Z")
        self.assertEqual(pts[29]["clients"], 30)
        self.assertEqual(sum(pts[29]["problems"].values()), 30)

    def test_coarser_steps_and_a_country_filter(self):
        r = self.srv.get("/api/v1/services/whatsapp/series?from=2024-04-03T16:00:00Z"
                         "&to=2024-04-03T16:30:00Z&step=15m")
        pts = r.json()["points"]
        self.assertEqual([p["reports"] for p in pts], [sum(range(1, 16)), sum(range(16, 31))])
        r = self.srv.get("/api/v1/services/whatsapp/series?from=1712160000&to=1712163600"
                         "&step=1h&country=BR")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["country"], "BR")
        self.assertEqual(sum(p["reports"] for p in r.json()["points"]),
                         sum((m + 1) // 2 for m in range(30)))

    def test_bad_series_queries_are_400(self):
        base = "/api/v1/services/whatsapp/series?"
        for q, code in [("step=90", "invalid_step"), ("step=abc", "invalid_step"),
                        ("from=yesterday", "invalid_time"), ("country=XX", "invalid_country"),
                        ("from=2024-04-03T17:00:00Z&to=2024-04-03T16:00:00Z", "invalid_range"),
                        ("from=0&to=2000000000&step=60", "range_too_large")]:
            with self.subTest(q=q):
                r = self.srv.get(base + q)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json()["error"], code)

    def test_the_series_is_read_only(self):
        r = self.srv.request("POST", "/api/v1/services/whatsapp/series", "{}")
        self.assertEqual(r.status, 405)

    def test_health_reports_the_store(self):
        r = self.srv.get("/api/v1/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["status"], "ok")
        self.assertGreaterEqual(r.json()["store"]["reports"], 465)


if __name__ == "__main__":
    unittest.main()
