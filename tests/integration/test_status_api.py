"""The status pages' API over real HTTP: a simulated 3 April 2024 trace,
cut twenty minutes into the Meta outage, is replayed with event times, so
the server's "now" is 16:50 that evening and four incidents are open and
grouped. Then: the services list (status, sparkline, above_normal), one
service (problems, countries' excess), series with the normal band,
groups, official updates (auth, validation, persistence across a
restart), incident timelines, and the OpenAPI document, against which
every answer here is checked."""
import json
import os
import tempfile
import time
import unittest

from harness import ADMIN, TOKEN, Server, replay_whole, run
from schema import errors, response_schema

CUT = "2024-04-03T16:50:00Z"
META = ["facebook", "instagram", "messenger", "whatsapp"]


def cut_trace(directory):
    """The meta scenario at scale 0.1, up to CUT (the trace is in ts order)."""
    p = run(["simulate", "--scenario", "meta-2024-04-03", "--scale", "0.1", "--out", directory])
    assert p.returncode == 0, p.stderr
    whole = os.path.join(directory, "meta-2024-04-03.ndjson")
    cut = os.path.join(directory, "cut.ndjson")
    with open(whole) as src, open(cut, "w") as out:
        for line in src:
            if json.loads(line)["ts"] >= CUT:
                break
            out.write(line)
    return cut


def open_incidents(test, srv):
    """The open incidents once the four Meta ones are stored and grouped."""
    deadline = time.time() + 30
    while True:
        got = srv.get("/api/v1/incidents?open=true").json()["incidents"]
        groups = {i["group"] for i in got if i["service"] in META}
        if sorted(i["service"] for i in got if i["service"] in META) == META and \
                len(groups) == 1 and None not in groups:
            return {i["service"]: i for i in got}
        test.assertLess(time.time(), deadline, got)
        time.sleep(0.2)


def post_update(srv, incident, body, token=ADMIN, ctype="application/json"):
    headers = {"Content-Type": ctype}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    return srv.request("POST", "/api/v1/incidents/%s/updates" % incident, body, headers)


class StatusApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.trace = cut_trace(cls.tmp.name)
        cls.srv = Server().start()
        cls.addClassCleanup(cls.srv.cleanup)  # also when the replay below fails
        checks = unittest.TestCase()  # assertions outside a test
        replay_whole(checks, cls.srv, cls.trace, "--parallel", "1")
        cls.open = open_incidents(checks, cls.srv)
        with open(os.path.join(os.environ.get("DW_SOURCE_DIR", "."), "src/api/openapi.json")) as f:
            cls.doc = json.load(f)

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, cls.srv.log()[-3000:]

    def conforms(self, r, path, method="get", status=200):
        self.assertEqual(r.status, status, r)
        found = errors(self.doc, response_schema(self.doc, path, method, status), r.json())
        self.assertEqual(found, [], "%s %s answered outside its schema" % (method, path))

    def now(self):
        return self.srv.get("/api/v1/services").json()["now"]

    def test_now_is_the_detectors_event_time_not_the_clock(self):
        now = self.now()
        self.assertTrue("2024-04-03T16:49:00Z" <= now < CUT, now)
        self.assertEqual(self.srv.get("/api/v1/services/whatsapp").json()["now"], now)
        self.assertEqual(self.srv.get("/api/v1/groups").json()["now"], now)

    def test_the_list_gives_every_service_its_status_and_last_day(self):
        r = self.srv.get("/api/v1/services")
        self.conforms(r, "/services")
        services = {s["id"]: s for s in r.json()["services"]}
        for s in services.values():
            self.assertEqual(len(s["sparkline"]), 24, s["id"])
            self.assertEqual(sum(s["sparkline"]), s["reports_24h"], s["id"])
        for sid in META:
            s = services[sid]
            self.assertEqual((s["status"], s["incident"]), ("outage", self.open[sid]["id"]))
            self.assertEqual(s["group"], self.open[sid]["group"])
        whatsapp = services["whatsapp"]
        self.assertGreater(whatsapp["above_normal"], 10)  # the outage: far above its normal
        self.assertGreater(whatsapp["sparkline"][-1], 10 * whatsapp["sparkline"][0])
        self.assertLess(services["telegram"]["above_normal"], 3)  # a quiet evening there
        self.assertEqual(services["telegram"]["status"], "ok")
        self.assertIsNone(services["telegram"]["incident"])
        silent = services["signal"]  # no report in the trace at all
        self.assertEqual((silent["reports_24h"], silent["above_normal"]), (0, None))

    def test_the_last_hour_of_the_sparkline_ends_at_now(self):
        services = {s["id"]: s for s in self.srv.get("/api/v1/services").json()["services"]}
        now = self.now()
        minute_end = int(time.mktime(time.strptime(now, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone)
        minute_end += 60 - minute_end % 60
        r = self.srv.get("/api/v1/services/whatsapp/series?from=%d&to=%d&step=60"
                         % (minute_end - 3600, minute_end))
        self.assertEqual(sum(p["reports"] for p in r.json()["points"]),
                         services["whatsapp"]["sparkline"][-1])

    def test_one_service_shows_problems_and_the_countries_above_normal(self):
        r = self.srv.get("/api/v1/services/whatsapp")
        self.conforms(r, "/services/{id}")
        body = r.json()
        self.assertEqual(body["incident"]["id"], self.open["whatsapp"]["id"])
        self.assertEqual(body["status"], "outage")
        self.assertEqual(body["service"]["incident"], self.open["whatsapp"]["id"])
        self.assertIn("BR", body["countries_with_reports"])
        self.assertAlmostEqual(sum(body["problems"].values()), 1, delta=0.01)
        self.assertEqual(max(body["problems"], key=body["problems"].get), "messages")
        countries = body["countries"]
        excesses = [c["excess"] for c in countries]
        self.assertEqual(excesses, sorted(excesses, reverse=True))
        for c in countries:
            self.assertAlmostEqual(c["excess"], c["reports"] - c["expected"], delta=0.011)
        anomalous = {c["country"] for c in countries if c["anomalous"]}
        self.assertTrue({"BR", "GB", "IN"} <= anomalous, anomalous)
        self.assertEqual(anomalous, set(body["incident"]["countries"]))
        top = countries[0]
        self.assertGreater(top["reports"], 5 * top["expected"])

    def test_a_quiet_service_counts_its_countries_over_the_last_hour(self):
        body = self.srv.get("/api/v1/services/telegram").json()
        self.assertIsNone(body["incident"])
        self.assertTrue(body["countries"])
        self.assertFalse(any(c["anomalous"] for c in body["countries"]))
        hour = sum(c["reports"] for c in body["countries"])
        day = sum(self.srv.get("/api/v1/services/telegram/series?step=1h")
                  .json()["points"][i]["clients"] for i in range(-1, -3, -1))
        self.assertLessEqual(hour, day)  # an hour's votes fit in the last two clock hours
        for sid in ("signal",):
            self.assertEqual(self.srv.get("/api/v1/services/" + sid).json()["problems"], {})

    def test_series_points_carry_the_normal_band_and_the_outage_breaks_it(self):
        r = self.srv.get("/api/v1/services/whatsapp/series?step=5m")
        self.conforms(r, "/services/{id}/series")
        body = r.json()
        self.assertEqual(body["now"], self.now())
        self.assertTrue(body["to"] > body["now"] and body["to"] <= CUT, body["to"])
        points = body["points"]
        self.assertEqual(len(points), 24 * 12)
        for p in points:
            self.assertGreaterEqual(p["upper"], p["expected"])
        before = [p for p in points if p["t"] < "2024-04-03T16:30:00Z"]
        during = [p for p in points if "2024-04-03T16:35:00Z" <= p["t"] < "2024-04-03T16:45:00Z"]
        self.assertTrue(all(p["expected"] > 0 for p in before))
        # A normal day stays inside its band nearly always; the outage never does.
        inside = sum(p["clients"] <= p["upper"] for p in before)
        self.assertGreaterEqual(inside, 0.9 * len(before))
        for p in during:
            self.assertGreater(p["reports"], p["upper"])
            self.assertGreater(p["clients"], 10 * p["expected"])

    def test_a_country_series_has_its_own_band(self):
        br = self.srv.get("/api/v1/services/whatsapp/series?step=1h&country=BR").json()
        total = self.srv.get("/api/v1/services/whatsapp/series?step=1h").json()
        self.assertEqual(br["country"], "BR")
        for p, q in zip(br["points"], total["points"]):
            self.assertGreater(p["expected"], 0)
            self.assertLess(p["expected"], q["expected"])
        nowhere = self.srv.get("/api/v1/services/whatsapp/series?step=1h&country=IS").json()
        self.assertTrue(all(p["expected"] == 0 == p["upper"] for p in nowhere["points"]))

    def test_groups_gather_the_meta_outage(self):
        r = self.srv.get("/api/v1/groups")
        self.conforms(r, "/groups")
        groups = r.json()["groups"]
        meta = [g for g in groups if g["id"] == self.open["whatsapp"]["group"]]
        self.assertEqual(len(meta), 1, groups)
        g = meta[0]
        self.assertEqual(sorted(g["services"]), META)
        self.assertEqual(sorted(g["incidents"]), sorted(self.open[s]["id"] for s in META))
        self.assertTrue(g["open"])
        self.assertIsNone(g["end"])
        self.assertEqual(g["start"], min(self.open[s]["start"] for s in META))
        self.assertTrue(all(len(x["incidents"]) >= 2 for x in groups))
        opened = self.srv.get("/api/v1/groups?open=1").json()["groups"]
        self.assertEqual([x["id"] for x in opened], [g["id"]])
        every = self.srv.get("/api/v1/groups?all=1").json()["groups"]
        alone = [x for x in every if len(x["incidents"]) == 1]
        self.assertTrue(alone, "the Indian telecom's morning outage is a group of one")
        self.assertEqual(alone[0]["id"], alone[0]["incidents"][0])
        starts = [x["start"] for x in every]
        self.assertEqual(starts, sorted(starts, reverse=True))

    def test_one_group_and_group_errors(self):
        gid = self.open["whatsapp"]["group"]
        r = self.srv.get("/api/v1/groups/" + gid)
        self.conforms(r, "/groups/{id}")
        self.assertEqual(r.json()["group"]["id"], gid)
        r = self.srv.get("/api/v1/groups/nosuch-20240101T000000Z")
        self.conforms(r, "/groups/{id}", status=404)
        self.assertEqual(r.json()["error"], "unknown_group")
        for query, code in (("open=maybe", "invalid_open"), ("all=2", "invalid_all"),
                            ("limit=0", "invalid_limit")):
            r = self.srv.get("/api/v1/groups?" + query)
            self.assertEqual((r.status, r.json()["error"]), (400, code), query)
        self.assertEqual(self.srv.request("POST", "/api/v1/groups", "{}").status, 405)

    def test_the_timeline_says_which_countries_joined_and_left(self):
        r = self.srv.get("/api/v1/incidents/" + self.open["whatsapp"]["id"])
        self.conforms(r, "/incidents/{id}")
        timeline = r.json()["timeline"]
        self.assertEqual(timeline[0]["event"], "opened")
        self.assertEqual(timeline[0]["countries_added"], timeline[0]["incident"]["countries"])
        self.assertEqual(timeline[0]["countries_removed"], [])
        joined = set()
        for before, entry in zip(timeline, timeline[1:]):
            was, now = set(before["incident"]["countries"]), set(entry["incident"]["countries"])
            self.assertEqual(set(entry["countries_added"]), now - was)
            self.assertEqual(set(entry["countries_removed"]), was - now)
            joined |= set(entry["countries_added"])
        self.assertTrue(joined, "countries join as the outage spreads")

    def test_official_updates_need_the_admin_token(self):
        incident = self.open["instagram"]["id"]
        body = {"text": "We know some people are having issues"}
        answers = [post_update(self.srv, incident, body, token=t)
                   for t in (None, "wrong-token", TOKEN, "")]
        for r in answers:
            self.conforms(r, "/incidents/{id}/updates", "post", 401)
        self.assertEqual({r.body for r in answers}, {answers[0].body})  # one answer for all
        with Server("--admin_token", "") as unconfigured:
            r = post_update(unconfigured, incident, body, token="")
            self.assertEqual((r.status, r.json()["error"]), (401, "unauthorized"))
        self.assertEqual(self.updates_of(incident), [])

    def updates_of(self, incident):
        return self.srv.get("/api/v1/incidents/" + incident).json()["official_updates"]

    def test_bad_updates_are_refused_and_change_nothing(self):
        incident = self.open["messenger"]["id"]
        cases = [
            ({"text": ""}, "invalid_text"),
            ({"text": " \n\t "}, "invalid_text"),
            ({"text": "x" * 2001}, "invalid_text"),
            ({"text": "tab\there"}, "invalid_text"),
            ({"text": "nul\u0000"}, "invalid_text"),
            ({"text": "c1\u0085"}, "invalid_text"),
            ({"text": 5}, "invalid_type"),
            ({"text": "ok", "status": "fixed"}, "invalid_status"),
            ({"text": "ok", "state": "resolved"}, "unknown_field"),
            ({"status": "resolved"}, "missing_field"),
            ('{"text":"a","text":"b"}', "duplicate_field"),
            ('["text"]', "not_an_object"),
            ('{"text":"a",}', "invalid_json"),
            (b'{"text":"\xff"}', "invalid_utf8"),
        ]
        for body, code in cases:
            r = post_update(self.srv, incident, body)
            self.conforms(r, "/incidents/{id}/updates", "post", 400)
            self.assertEqual(r.json()["error"], code, body)
        r = post_update(self.srv, incident, {"text": "ok"}, ctype="text/plain")
        self.conforms(r, "/incidents/{id}/updates", "post", 415)
        r = post_update(self.srv, "nosuch-20240101T000000Z", {"text": "ok"})
        self.conforms(r, "/incidents/{id}/updates", "post", 404)
        self.assertEqual(r.json()["error"], "unknown_incident")
        self.assertEqual(self.updates_of(incident), [])
        r = self.srv.request("GET", "/api/v1/incidents/%s/updates" % incident)
        self.assertEqual(r.status, 405)

    def test_an_update_is_stored_and_shown_with_its_incident(self):
        incident = self.open["facebook"]["id"]
        long_text = "é" * 1000  # 2000 bytes: the most there may be
        first = post_update(self.srv, incident, {"text": "  We are investigating.\n"})
        self.conforms(first, "/incidents/{id}/updates", "post", 201)
        second = post_update(self.srv, incident, {"text": long_text, "status": "identified"})
        self.assertEqual(second.status, 201, second)
        one, two = first.json()["update"], second.json()["update"]
        self.assertEqual((one["incident"], one["text"], one["status"]),
                         (incident, "We are investigating.", None))
        self.assertEqual((two["text"], two["status"]), (long_text, "identified"))
        self.assertGreater(two["id"], one["id"])
        self.assertGreater(one["at"], "2025")  # the server's clock, not the trace's time
        self.assertEqual(self.updates_of(incident), [one, two])

    def test_the_openapi_document_is_cached_and_revalidated(self):
        r = self.srv.get("/api/v1/openapi.json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["openapi"], "3.0.3")
        self.assertEqual(r.json(), self.doc)  # what is served is the file in the repo
        self.assertEqual(r.header("Cache-Control"), "public, max-age=300")
        etag = r.header("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')
        again = self.srv.request("GET", "/api/v1/openapi.json", headers={"If-None-Match": etag})
        self.assertEqual((again.status, again.body), (304, ""))
        weak = self.srv.request("GET", "/api/v1/openapi.json",
                                headers={"If-None-Match": '"other", W/' + etag})
        self.assertEqual(weak.status, 304)
        stale = self.srv.request("GET", "/api/v1/openapi.json",
                                 headers={"If-None-Match": '"0000000000000000"'})
        self.assertEqual(stale.status, 200)

    def test_the_document_describes_every_route_and_the_other_answers(self):
        for path in ("/reports", "/services", "/services/{id}", "/services/{id}/series",
                     "/incidents", "/incidents/{id}", "/incidents/{id}/updates", "/groups",
                     "/groups/{id}", "/health", "/openapi.json"):
            self.assertIn(path, self.doc["paths"])
        self.conforms(self.srv.get("/api/v1/incidents?limit=5"), "/incidents")
        self.conforms(self.srv.get("/api/v1/health"), "/health")
        self.conforms(self.srv.get("/api/v1/services/nosuch"), "/services/{id}", status=404)
        self.conforms(self.srv.get("/api/v1/services/whatsapp/series?step=7"),
                      "/services/{id}/series", status=400)
        # Within the trace's time: a report of today would move "now" to today.
        r = self.srv.post_json({"service": "discord", "country": "DE", "problem": "login",
                                "ts": "2024-04-03T16:49:30Z"}, token=TOKEN)
        self.conforms(r, "/reports", "post", 202)
        r = self.srv.post_json({"service": "discord", "problem": "nosuch"})
        self.conforms(r, "/reports", "post", 400)


class OfficialUpdatePersistenceTest(unittest.TestCase):
    def test_updates_survive_a_restart(self):
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as data:
            trace = cut_trace(tmp)
            with Server(data_dir=data) as srv:
                replay_whole(self, srv, trace, "--parallel", "1")
                incident = open_incidents(self, srv)["whatsapp"]["id"]
                r = post_update(srv, incident, {"text": "Fixed.", "status": "resolved"})
                self.assertEqual(r.status, 201, r)
                update = r.json()["update"]
            with Server(data_dir=data) as srv:
                body = srv.get("/api/v1/incidents/" + incident).json()
                self.assertEqual(body["official_updates"], [update])


if __name__ == "__main__":
    unittest.main()
