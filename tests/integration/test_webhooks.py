"""Webhooks end to end, with a real receiver on loopback (receiver.py): the
simulated evening of 3 April 2024 (and the Jio outage days before) is
replayed into a real `downwatch serve` with event times, and the receiver
must get exactly one "opened" and one "resolved" per incident on each
matching subscription and nothing on the others; every delivery is signed
(a tampered body fails the check); a receiver that fails its first tries
gets the message after retries with growing pauses; one that always fails
ends in the dead letters, which can be sent again; a silence and a
maintenance window hold messages back but not the incidents, which the
events explain; and every answer matches openapi.json."""
import json
import os
import signal
import tempfile
import time
import unittest

import promtext
from harness import ADMIN, ROOT, Server, replay_whole, run
from receiver import Receiver, verify
from schema import conforms, errors

SECRET = "test-webhook-secret-0123456789"
META = ["facebook", "instagram", "messenger", "whatsapp"]
AUTH = {"Authorization": "Bearer " + ADMIN}


def document():
    with open(os.path.join(ROOT, "src", "api", "openapi.json")) as f:
        return json.load(f)


def simulate(directory):
    """The scenario at scale 0.05 and the incidents `downwatch detect` finds
    in it (the server's must be the same)."""
    p = run(["simulate", "--scenario", "meta-2024-04-03", "--scale", "0.05", "--out", directory])
    assert p.returncode == 0, p.stderr
    trace = os.path.join(directory, "meta-2024-04-03.ndjson")
    p = run(["detect", trace])
    assert p.returncode == 0, p.stderr
    return trace, [json.loads(line) for line in p.stdout.splitlines()]


def webhooks_file(directory, receiver, lines):
    """A webhooks file of `name path options` lines, all with SECRET."""
    path = os.path.join(directory, "webhooks.conf")
    with open(path, "w") as f:
        f.write("# subscriptions for the test\n")
        for name, where, options in lines:
            f.write("%s url=%s secret=%s %s\n" % (name, receiver.url(where), SECRET, options))
    return path


def admin(srv, method, path, body=None):
    headers = dict(AUTH)
    if body is not None:
        headers["Content-Type"] = "application/json"
    return srv.request(method, "/api/v1" + path, body, headers)


def messages(requests):
    """(incident id, event) of each request answered 2xx, in order."""
    out = []
    for r in requests:
        if 200 <= r.status < 300:
            payload = json.loads(r.body)
            out.append((payload["incident"]["id"], payload["event"]))
    return out


def deliveries_when(test, srv, query, done, timeout=30):
    """GET /deliveries?query once done(deliveries) holds (the server records
    an outcome just after the receiver answered), at most timeout seconds."""
    deadline = time.time() + timeout
    while True:
        r = admin(srv, "GET", "/deliveries?" + query)
        if done(r.json()["deliveries"]):
            return r
        test.assertLess(time.time(), deadline, r.json())
        time.sleep(0.1)


def wait_for_incidents(test, srv, want):
    deadline = time.time() + 60
    while True:
        got = srv.get("/api/v1/incidents?limit=1000").json()["incidents"]
        if sorted(i["id"] for i in got) == sorted(i["id"] for i in want) and \
                all(i["end"] for i in got):
            return {i["id"]: i for i in got}
        test.assertLess(time.time(), deadline, got)
        time.sleep(0.2)


class WebhookReplayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.trace, cls.truth = simulate(cls.tmp.name)
        cls.by_service = {i["service"]: i for i in cls.truth}
        cls.receiver = Receiver().__enter__()
        cls.addClassCleanup(cls.receiver.__exit__)
        cls.receiver.fail("/flaky", times=3)
        cls.receiver.fail("/down")
        conf = webhooks_file(cls.tmp.name, cls.receiver, [
            ("meta", "/meta", "owners=Meta"),
            ("everyone", "/all", "description=every%20incident"),
            ("chat", "/chat", "services=whatsapp format=slack events=opened,resolved"),
            ("flaky", "/flaky", "services=whatsapp events=opened"),
            ("down", "/down", "services=instagram events=opened"),
        ])
        cls.srv = Server("--webhooks", conf, "--webhook_retry_base", "0.2",
                         "--webhook_retry_max", "5", "--webhook_attempts", "4").start()
        cls.addClassCleanup(cls.srv.cleanup)
        cls.doc = document()
        checks = unittest.TestCase()
        cls.telegram = admin(cls.srv, "POST", "/subscriptions", {
            "url": cls.receiver.url("/telegram"), "services": ["telegram"]}).json()
        cls.japan = admin(cls.srv, "POST", "/subscriptions", {
            "url": cls.receiver.url("/japan"), "countries": ["JP"], "secret": SECRET}).json()
        cls.silence = admin(cls.srv, "POST", "/silences", {
            "service": "jio", "starts_at": "2024-03-29T00:00:00Z", "duration": "12h",
            "creator": "test", "reason": "known telecom issue"}).json()["silence"]
        cls.window = admin(cls.srv, "POST", "/silences", {
            "kind": "maintenance", "service": "messenger", "starts_at": "2024-04-03T16:00:00Z",
            "ends_at": "2024-04-03T20:00:00Z", "creator": "test",
            "reason": "planned messenger work"}).json()["silence"]
        replay_whole(checks, cls.srv, cls.trace, "--parallel", "1")
        cls.incidents = wait_for_incidents(checks, cls.srv, cls.truth)
        cls.notified = [i for i in cls.truth if i["service"] not in ("jio", "messenger")]
        want = 2 * len(cls.notified)
        cls.receiver.wait_until(
            lambda reqs: len(messages(r for r in reqs if r.path == "/all")) >= want and
            any(r.status == 200 for r in reqs if r.path == "/flaky") and
            len([r for r in reqs if r.path == "/down"]) >= 4, 60)
        deliveries_when(checks, cls.srv, "state=pending", lambda rows: rows == [], 60)

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, cls.srv.log()[-3000:]

    def conforms(self, r, path, method="get", status=200):
        conforms(self, self.doc, r, path, method, status)

    def test_the_server_found_the_offline_incidents(self):
        self.assertEqual(sorted(self.incidents), sorted(i["id"] for i in self.truth))
        self.assertGreaterEqual(len(self.notified), 3)

    def test_each_matching_subscription_hears_opened_and_resolved_once_per_incident(self):
        everyone = messages(self.receiver.received("/all"))
        self.assertEqual(sorted(everyone), sorted([(i["id"], e) for i in self.notified
                                                   for e in ("opened", "resolved")] +
                                                  [m for m in everyone if m[1] == "updated"]))
        for incident in self.notified:
            events = [e for i, e in everyone if i == incident["id"]]
            self.assertEqual(events[0], "opened")
            self.assertEqual(events[-1], "resolved")
            self.assertEqual((events.count("opened"), events.count("resolved")), (1, 1))
        meta = messages(self.receiver.received("/meta"))
        self.assertEqual(sorted((i, e) for i, e in meta if e != "updated"),
                         sorted((i["id"], e) for i in self.notified if i["service"] in META
                                for e in ("opened", "resolved")))

    def test_the_metrics_count_each_attempt_by_outcome(self):
        deadline = time.time() + 10
        while True:  # an attempt is answered before the server counts it
            fams = promtext.parse(self.srv.get("/metrics").body)
            counted = {l["outcome"]: v for _, l, v in
                       fams["downwatch_webhook_deliveries_total"].samples}
            answered = [r.status for r in self.receiver.received()]
            ok = answered.count(200)
            if (counted["delivered"], counted["retried"] + counted["failed"]) == \
                    (ok, len(answered) - ok) or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(counted["delivered"], ok)
        self.assertEqual(counted["retried"] + counted["failed"], len(answered) - ok)
        self.assertGreaterEqual(counted["failed"], 1)  # /down gave up

    def test_subscriptions_that_match_nothing_hear_nothing(self):
        self.assertEqual(self.receiver.received("/telegram"), [])
        self.assertEqual(self.receiver.received("/japan"), [])

    def test_updates_are_rate_limited_and_say_what_changed(self):
        # At most one per update_interval (600 s) of event time, but for a
        # worse severity. The replay runs hours of event time in seconds, so
        # most are still waiting when a newer one or the resolution
        # supersedes them (an update storm ends as one message).
        for incident in self.notified:
            rows = admin(self.srv, "GET", "/deliveries?subscription=everyone&incident=" +
                         incident["id"]).json()["deliveries"]
            updates = [d for d in rows if d["event"] == "updated"]
            minutes = (time.mktime(time.strptime(incident["end"], "%Y-%m-%dT%H:%M:%SZ")) -
                       time.mktime(time.strptime(incident["start"], "%Y-%m-%dT%H:%M:%SZ"))) / 60
            self.assertTrue(updates, incident["id"])
            self.assertLessEqual(len(updates), minutes / 10 + 3, incident["id"])
            self.assertLessEqual({d["state"] for d in updates}, {"superseded", "delivered"})
            for d in updates:
                changes = d["payload"]["changes"]
                self.assertTrue(changes["countries_added"] or changes["countries_removed"] or
                                changes["severity_before"] != d["payload"]["severity"], d)

    def test_every_delivery_is_signed_and_a_tampered_body_fails(self):
        requests = [r for r in self.receiver.received() if r.path != "/telegram"]
        self.assertTrue(requests)
        for r in requests:
            header = r.headers["downwatch-signature"]
            self.assertRegex(header, r"^t=\d+,v1=[0-9a-f]{64}$")
            self.assertTrue(verify(SECRET, header, r.body), r)
            tampered = r.body[:-1] + b" " + r.body[-1:]
            self.assertFalse(verify(SECRET, header, tampered))
            self.assertFalse(verify(SECRET + "x", header, r.body))
            self.assertFalse(verify(SECRET, header, r.body, now=time.time() + 3600))
            self.assertEqual(r.headers["content-type"], "application/json")
            self.assertEqual(r.headers["downwatch-event"], json.loads(r.body).get(
                "event", r.headers["downwatch-event"]))
            self.assertRegex(r.headers["downwatch-delivery"], r"^\d+$")

    def test_the_json_payload_is_the_documented_one(self):
        schema = self.doc["components"]["schemas"]["WebhookPayload"]
        for r in self.receiver.received("/meta"):
            payload = json.loads(r.body)
            self.assertEqual(errors(self.doc, schema, payload), [], payload)
            self.assertEqual(payload["version"], 1)
            self.assertEqual(payload["service"]["owner"], "Meta")
            self.assertFalse(payload["incident"]["maintenance"])
        whatsapp = [json.loads(r.body) for r in self.receiver.received("/meta")
                    if json.loads(r.body)["service"]["id"] == "whatsapp"]
        self.assertIn("critical", [w["severity"] for w in whatsapp])  # soon in many countries
        self.assertEqual(whatsapp[-1]["incident"], self.incidents[whatsapp[-1]["incident"]["id"]])

    def test_the_chat_format_has_text_and_blocks(self):
        chat = self.receiver.received("/chat")
        self.assertEqual(len(chat), 2, chat)  # events=opened,resolved
        for r in chat:
            body = json.loads(r.body)
            self.assertIn("WhatsApp", body["text"])
            self.assertEqual([b["type"] for b in body["blocks"]], ["header", "section", "context"])
        self.assertIn("outage", json.loads(chat[0].body)["text"])
        self.assertIn("resolved", json.loads(chat[1].body)["text"])

    def test_a_failing_receiver_gets_the_message_after_retries_with_growing_pauses(self):
        tries = self.receiver.received("/flaky")
        self.assertEqual([r.status for r in tries], [500, 500, 500, 200])
        self.assertEqual(len({r.headers["downwatch-delivery"] for r in tries}), 1)
        self.assertEqual(len({r.body for r in tries}), 1)  # the same message, signed anew
        pauses = [b.at - a.at for a, b in zip(tries, tries[1:])]
        self.assertGreaterEqual(pauses[0], 0.09)  # base 0.2 s, half of it jitter
        self.assertGreaterEqual(pauses[1], pauses[0] * 0.95)
        self.assertGreater(pauses[2], pauses[0] * 1.5)
        delivery = tries[0].headers["downwatch-delivery"]
        r = deliveries_when(self, self.srv, "subscription=flaky",
                            lambda rows: any(d["state"] == "delivered" for d in rows))
        self.conforms(r, "/deliveries")
        row = [d for d in r.json()["deliveries"] if str(d["id"]) == delivery][0]
        self.assertEqual((row["state"], row["attempts"], row["last_status"]), ("delivered", 4, 200))
        kinds = [e["kind"] for e in admin(self.srv, "GET", "/events?subscription=flaky")
                 .json()["events"] if str(e["delivery"]) == delivery]
        self.assertEqual(kinds, ["notification_sent"] + ["notification_failed"] * 3)

    def test_a_receiver_that_keeps_failing_ends_in_the_dead_letters_and_can_be_retried(self):
        r = deliveries_when(self, self.srv, "state=dead",
                            lambda rows: any(d["subscription"] == "down" for d in rows))
        self.conforms(r, "/deliveries")
        dead = [d for d in r.json()["deliveries"] if d["subscription"] == "down"]
        self.assertEqual(len(dead), 1, r.json())
        self.assertEqual((dead[0]["attempts"], dead[0]["last_status"], dead[0]["event"]),
                         (4, 500, "opened"))
        self.assertEqual(dead[0]["payload"]["service"]["id"], "instagram")
        self.assertEqual(len(self.receiver.received("/down")), 4)
        self.receiver.heal("/down")
        r = admin(self.srv, "POST", "/deliveries/%d/retry" % dead[0]["id"], {})
        self.conforms(r, "/deliveries/{id}/retry", "post")
        self.assertTrue(self.receiver.wait_until(
            lambda reqs: any(q.path == "/down" and q.status == 200 for q in reqs), 30))
        again = admin(self.srv, "POST", "/deliveries/%d/retry" % dead[0]["id"], {})
        self.assertEqual((again.status, again.json()["error"]), (409, "not_dead"))
        self.assertEqual(admin(self.srv, "POST", "/deliveries/999999/retry", {}).status, 404)

    def test_a_silence_holds_messages_back_but_not_the_incident(self):
        jio = self.by_service["jio"]["id"]
        self.assertIn(jio, self.incidents)  # detected and recorded all the same
        self.assertFalse(self.incidents[jio]["maintenance"])
        for r in self.receiver.received():
            self.assertNotIn(b'"jio"', r.body)
        r = admin(self.srv, "GET", "/deliveries?incident=" + jio)
        rows = r.json()["deliveries"]
        self.assertEqual({d["subscription"] for d in rows}, {"everyone"})
        self.assertEqual({(d["state"], d["reason"]) for d in rows},
                         {("suppressed", "silence %d" % self.silence["id"])})
        events = admin(self.srv, "GET", "/events?incident=" + jio).json()["events"]
        self.assertEqual([e["kind"] for e in events][::-1][:2],
                         ["incident_opened", "notification_suppressed"])
        self.assertEqual(self.silence["state"], "expired")  # its 2024 window is past by the clock
        deadline = time.time() + 10
        while not admin(self.srv, "GET", "/events?kind=silence_expired").json()["events"]:
            self.assertLess(time.time(), deadline)
            time.sleep(0.2)
        expired = admin(self.srv, "GET", "/events?kind=silence_expired").json()["events"]
        self.assertEqual({e["silence"] for e in expired}, {self.silence["id"], self.window["id"]})

    def test_a_maintenance_window_marks_the_incident_and_holds_its_messages(self):
        messenger = self.incidents[self.by_service["messenger"]["id"]]
        self.assertTrue(messenger["maintenance"])
        one = self.srv.get("/api/v1/incidents/" + messenger["id"]).json()
        self.assertTrue(one["incident"]["maintenance"])
        for r in self.receiver.received():
            self.assertNotIn(messenger["id"].encode(), r.body)
        rows = admin(self.srv, "GET", "/deliveries?state=suppressed&incident=" +
                     messenger["id"]).json()["deliveries"]
        self.assertEqual({d["subscription"] for d in rows}, {"meta", "everyone"})
        self.assertEqual({d["reason"] for d in rows}, {"maintenance %d" % self.window["id"]})

    def test_the_events_say_why_and_page(self):
        whatsapp = self.by_service["whatsapp"]["id"]
        r = admin(self.srv, "GET", "/events?incident=" + whatsapp)
        self.conforms(r, "/events")
        kinds = [e["kind"] for e in r.json()["events"]]
        self.assertIn("incident_opened", kinds)
        self.assertIn("incident_resolved", kinds)
        self.assertIn("notification_sent", kinds)
        first = admin(self.srv, "GET", "/events?limit=3").json()
        self.assertEqual(len(first["events"]), 3)
        second = admin(self.srv, "GET", "/events?limit=3&before=%d" % first["next_before"]).json()
        ids = [e["id"] for e in first["events"] + second["events"]]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(len(set(ids)), 6)
        created = admin(self.srv, "GET", "/events?kind=silence_created").json()["events"]
        self.assertEqual({e["silence"] for e in created}, {self.silence["id"], self.window["id"]})
        for query, code in (("kind=nosuch", "invalid_kind"), ("limit=0", "invalid_limit"),
                            ("before=x", "invalid_before")):
            bad = admin(self.srv, "GET", "/events?" + query)
            self.assertEqual((bad.status, bad.json()["error"]), (400, code), query)

    def test_subscriptions_are_listed_without_secrets(self):
        r = admin(self.srv, "GET", "/subscriptions")
        self.conforms(r, "/subscriptions")
        subs = {s["id"]: s for s in r.json()["subscriptions"]}
        self.assertEqual(subs["meta"]["source"], "file")
        self.assertEqual(subs["everyone"]["description"], "every incident")
        self.assertEqual(subs[self.telegram["subscription"]["id"]]["source"], "api")
        self.assertNotIn(SECRET, r.body)
        self.assertTrue(self.telegram["subscription"]["secret"].startswith("whsec_"))
        self.assertNotIn(self.telegram["subscription"]["secret"], r.body)
        one = admin(self.srv, "GET", "/subscriptions/meta")
        self.conforms(one, "/subscriptions/{id}")
        self.assertEqual(admin(self.srv, "DELETE", "/subscriptions/meta").status, 409)
        self.assertEqual(admin(self.srv, "GET", "/subscriptions/nosuch").status, 404)

    def test_maintenance_is_public_and_on_the_service(self):
        self.assertEqual(self.srv.get("/api/v1/maintenance").json()["maintenance"], [])
        everything = self.srv.get("/api/v1/maintenance?all=true")
        self.conforms(everything, "/maintenance")
        listed = everything.json()["maintenance"]
        self.assertEqual([m["id"] for m in listed], [self.window["id"]])
        self.assertNotIn("creator", listed[0])
        self.assertEqual(self.srv.get("/api/v1/services/messenger").json()["maintenance"], [])


class SubscriptionApiTest(unittest.TestCase):
    """Creating, checking and deleting subscriptions and silences over HTTP,
    with every refusal a clear error that changes nothing."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.addClassCleanup(cls.srv.cleanup)
        cls.doc = document()

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, cls.srv.log()[-3000:]

    def conforms(self, r, path, method="get", status=200):
        conforms(self, self.doc, r, path, method, status)

    def count(self, path, key):
        return len(admin(self.srv, "GET", path).json()[key])

    def test_a_subscription_is_created_listed_and_deleted(self):
        r = admin(self.srv, "POST", "/subscriptions", {
            "url": "https://hooks.example.com/x", "owners": ["Meta"], "countries": ["IN", "BR"],
            "min_severity": "major", "events": ["opened", "resolved"], "format": "slack"})
        self.conforms(r, "/subscriptions", "post", 201)
        sub = r.json()["subscription"]
        self.assertRegex(sub["id"], r"^sub_[0-9a-f]{16}$")
        self.assertEqual((sub["min_severity"], sub["format"]), ("major", "slack"))
        self.assertEqual(admin(self.srv, "GET", "/subscriptions/" + sub["id"]).json()
                         ["subscription"]["countries"], ["IN", "BR"])
        r = admin(self.srv, "DELETE", "/subscriptions/" + sub["id"])
        self.conforms(r, "/subscriptions/{id}", "delete")
        self.assertEqual(admin(self.srv, "DELETE", "/subscriptions/" + sub["id"]).status, 404)
        deleted = admin(self.srv, "GET", "/events?kind=subscription_deleted").json()["events"]
        self.assertEqual(deleted[0]["subscription"], sub["id"])

    def test_bad_subscriptions_are_refused_clearly_and_change_nothing(self):
        before = self.count("/subscriptions", "subscriptions")
        for body, code in (
                ({"url": "ftp://example.com/x"}, "invalid_url"),
                ({"url": "http://"}, "invalid_url"),
                ({}, "missing_field"),
                ({"url": "http://example.com", "services": ["nosuch"]}, "invalid_services"),
                ({"url": "http://example.com", "services": "whatsapp"}, "invalid_services"),
                ({"url": "http://example.com", "owners": ["Nobody Inc."]}, "invalid_owners"),
                ({"url": "http://example.com", "countries": ["XX"]}, "invalid_countries"),
                ({"url": "http://example.com", "min_severity": "huge"}, "invalid_min_severity"),
                ({"url": "http://example.com", "events": []}, "invalid_events"),
                ({"url": "http://example.com", "events": ["paged"]}, "invalid_events"),
                ({"url": "http://example.com", "secret": "short"}, "invalid_secret"),
                ({"url": "http://example.com", "format": "xml"}, "invalid_format"),
                ({"url": "http://example.com", "colour": "red"}, "unknown_field"),
                ("[1]", "not_an_object"), ("{", "invalid_json")):
            r = admin(self.srv, "POST", "/subscriptions", body)
            self.conforms(r, "/subscriptions", "post", 400)
            self.assertEqual(r.json()["error"], code, body)
        r = self.srv.request("POST", "/api/v1/subscriptions", "{}",
                             {"Content-Type": "text/plain", **AUTH})
        self.assertEqual(r.status, 415)
        self.assertEqual(self.count("/subscriptions", "subscriptions"), before)

    def test_a_weekly_maintenance_is_shown_with_its_next_window(self):
        start = int(time.time()) + 86400
        r = admin(self.srv, "POST", "/silences", {
            "kind": "maintenance", "owner": "Google", "starts_at": str(start),
            "duration": "2h", "every": "weekly",
            "until": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 30 * 86400)),
            "creator": "ops", "reason": "weekly database upgrade"})
        self.conforms(r, "/silences", "post", 201)
        window = r.json()["silence"]
        self.assertEqual((window["every"], window["state"]), ("weekly", "scheduled"))
        self.assertEqual(window["next_window"]["starts_at"],
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)))
        listed = self.srv.get("/api/v1/maintenance").json()["maintenance"]
        self.assertIn(window["id"], [m["id"] for m in listed])
        youtube = self.srv.get("/api/v1/services/youtube")
        self.conforms(youtube, "/services/{id}")
        self.assertEqual([m["id"] for m in youtube.json()["maintenance"]], [window["id"]])
        self.assertEqual(self.srv.get("/api/v1/services/netflix").json()["maintenance"], [])
        r = admin(self.srv, "DELETE", "/silences/%d" % window["id"])
        self.conforms(r, "/silences/{id}", "delete")
        self.assertEqual(r.json()["silence"]["state"], "cancelled")
        self.assertEqual(admin(self.srv, "DELETE", "/silences/%d" % window["id"]).status, 409)
        self.assertNotIn(window["id"], [m["id"] for m in
                                        self.srv.get("/api/v1/maintenance").json()["maintenance"]])
        r = admin(self.srv, "GET", "/silences?state=cancelled")
        self.conforms(r, "/silences")
        self.assertIn(window["id"], [s["id"] for s in r.json()["silences"]])

    def test_bad_silences_are_refused_clearly_and_change_nothing(self):
        before = self.count("/silences", "silences")
        ok = {"service": "whatsapp", "duration": "1h", "creator": "me", "reason": "testing"}
        for change, code in (
                ({"service": None}, "missing_field"),
                ({"duration": None}, "missing_field"),
                ({"duration": "9d"}, "invalid_window"),  # silence_max is 7 days
                ({"ends_at": "2030-01-01T00:00:00Z"}, "invalid_window"),  # both given
                ({"service": "nosuch"}, "unknown_service"),
                ({"owner": "Nobody"}, "unknown_owner"),
                ({"creator": ""}, "invalid_creator"),
                ({"reason": None}, "missing_field"),
                ({"every": "weekly", "until": "2030-01-01T00:00:00Z"}, "invalid_window"),
                ({"kind": "nap"}, "invalid_kind"),
                ({"starts_at": "soon"}, "invalid_time"),
                ({"duration": 3600}, "invalid_type")):
            body = {k: v for k, v in {**ok, **change}.items() if v is not None}
            r = admin(self.srv, "POST", "/silences", body)
            self.conforms(r, "/silences", "post", 400)
            self.assertEqual(r.json()["error"], code, body)
        self.assertEqual(self.count("/silences", "silences"), before)
        self.assertEqual(admin(self.srv, "GET", "/silences/99999").status, 404)
        self.assertEqual(admin(self.srv, "GET", "/silences?state=sleepy").status, 400)

    def test_notification_resources_need_the_admin_token_but_maintenance_is_public(self):
        for path in ("/subscriptions", "/silences", "/deliveries", "/events",
                     "/subscriptions/x", "/silences/1"):
            r = self.srv.get("/api/v1" + path)
            self.assertEqual(r.status, 401, path)
        self.assertEqual(self.srv.get("/api/v1/maintenance").status, 200)


class WebhooksFileTest(unittest.TestCase):
    """The webhooks file: read at start (a bad one stops the server with the
    line at fault, and --check-config says the same), re-read on SIGHUP
    (a bad one then keeps the subscriptions in force), each reload an event."""

    def ids(self, srv):
        return [s["id"] for s in admin(srv, "GET", "/subscriptions").json()["subscriptions"]]

    def events(self, srv, kind):
        return admin(srv, "GET", "/events?kind=" + kind).json()["events"]

    def until(self, check):
        deadline = time.time() + 10
        while not check():
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)

    def test_sighup_rereads_the_file_and_a_bad_one_changes_nothing(self):
        with tempfile.TemporaryDirectory() as tmp, Receiver() as receiver:
            conf = webhooks_file(tmp, receiver, [("first", "/a", "")])
            with Server("--webhooks", conf) as srv:
                self.assertEqual(self.ids(srv), ["first"])
                webhooks_file(tmp, receiver, [("second", "/b", "owners=Meta"),
                                              ("third", "/c", "format=slack")])
                srv.proc.send_signal(signal.SIGHUP)
                self.until(lambda: self.ids(srv) == ["second", "third"])
                self.assertEqual(self.events(srv, "config_reloaded")[0]["detail"],
                                 {"file": conf, "subscriptions": 2})
                with open(conf, "a") as f:
                    f.write("fourth url=http://127.0.0.1:1/x secret=short\n")
                srv.proc.send_signal(signal.SIGHUP)
                self.until(lambda: self.events(srv, "config_reload_failed"))
                failed = self.events(srv, "config_reload_failed")[0]["detail"]["error"]
                self.assertIn("line 4: secret must be", failed)
                self.assertEqual(self.ids(srv), ["second", "third"])

    def test_a_bad_file_stops_the_start_and_check_config_names_the_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "webhooks.conf")
            with open(conf, "w") as f:
                f.write("ok url=http://127.0.0.1:1/x secret=%s\nok url=http://127.0.0.1:1/y "
                        "secret=%s\n" % (SECRET, SECRET))
            p = run(["serve", "--webhooks", conf, "--check-config"])
            self.assertEqual(p.returncode, 2)
            self.assertIn("webhooks file %s: line 2: the name ok is used twice" % conf, p.stderr)
            p = run(["serve", "--webhooks", conf, "--data_dir", os.path.join(tmp, "d"),
                     "--listen", "127.0.0.1:0"])
            self.assertEqual(p.returncode, 1)
            self.assertIn("line 2: the name ok is used twice", p.stderr)


class DurableOutboxTest(unittest.TestCase):
    """kill -9 with a message not yet delivered (its receiver failing): after
    the restart it arrives exactly once, and nothing that was delivered
    before is sent again, although the restart detects every incident anew."""

    def test_a_delivery_survives_kill_9_and_arrives_exactly_once(self):
        with tempfile.TemporaryDirectory() as tmp, Receiver() as receiver:
            trace, truth = simulate(tmp)
            meta = [i for i in truth if i["service"] in META]
            whatsapp = [i["id"] for i in meta if i["service"] == "whatsapp"][0]
            receiver.fail("/late")
            conf = webhooks_file(tmp, receiver, [("ok", "/ok", "owners=Meta events=opened,resolved"),
                                                 ("late", "/late", "services=whatsapp "
                                                  "events=opened,resolved")])
            flags = ("--webhooks", conf, "--webhook_retry_base", "0.2", "--webhook_retry_max", "1",
                     "--webhook_attempts", "100")
            data = os.path.join(tmp, "data")
            srv = Server(*flags, data_dir=data).start()
            try:
                replay_whole(self, srv, trace, "--parallel", "1")
                deliveries_when(self, srv, "subscription=ok&state=delivered",
                                lambda rows: len(rows) == 2 * len(meta), 60)
                self.assertTrue(receiver.wait_until(
                    lambda reqs: len([r for r in reqs if r.path == "/late"]) >= 2, 30))
                pending = admin(srv, "GET", "/deliveries?subscription=late&state=pending")
                self.assertEqual([d["event"] for d in pending.json()["deliveries"]],
                                 ["resolved", "opened"])
            finally:
                srv.kill()
            receiver.heal("/late")
            with Server(*flags, data_dir=data) as again:
                self.assertTrue(receiver.wait_until(
                    lambda reqs: len(messages(r for r in reqs if r.path == "/late")) >= 2, 60))
                time.sleep(3)  # the restart's rebuild has long been decided: nothing more comes
                late = messages(receiver.received("/late"))
                self.assertEqual(late, [(whatsapp, "opened"), (whatsapp, "resolved")])
                ok = messages(receiver.received("/ok"))
                self.assertEqual(sorted(ok), sorted((i["id"], e) for i in meta
                                                    for e in ("opened", "resolved")))
                deliveries_when(self, again, "subscription=late",
                                lambda rows: {d["state"] for d in rows} == {"delivered"})


if __name__ == "__main__":
    unittest.main()
