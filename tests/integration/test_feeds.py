"""The Atom feeds over real HTTP. A catalog file adds a service whose name
holds <, &, quotes and "]]>", and 54 plain ones; a trace (made here) gives
the odd one an outage that resolved and one still going, and each plain one
an outage of its own. Then both feeds are held to RFC 4287's rules
(required elements, one self link, unique entry ids, RFC 3339 times,
text constructs) and to downwatch's promises: tag: ids made of the incident
id and no clock, the same after a restart and whoever asks; entries bounded
to the 50 newest; the name escaped and read back intact; a link to the
incident's page; the summary's countries, problems and times; ETag and
Last-Modified with 304; CORS; public_url for links and ids."""
import json
import os
import re
import shutil
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from harness import ROOT, Server, replay_whole, run

ATOM = "{http://www.w3.org/2005/Atom}"
NAME = 'Tom & Jerry\'s <"Chat"> ]]>'
PLAIN = ["plain%02d" % i for i in range(54)]
T0 = 1712145600  # 2024-04-03T12:00:00Z
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
TAG = re.compile(r"tag:[a-z0-9.-]+,\d{4}(-\d\d(-\d\d)?)?:[\w.~!$&'()*+,;=:@/?-]+$")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write_trace(path):
    """Three quiet hours for every service, then an outage of each plain
    service at 15:00, and two of evil.chat: 15:00-15:10 (it resolves) and
    one from 15:50 (open at the end of the trace)."""
    rows, n = [], 0

    def add(t, service, country="IN", problem="login"):
        nonlocal n
        n += 1
        rows.append((t, {"service": service, "country": country, "problem": problem,
                         "client": "%016x" % n, "ts": iso(t)}))

    for service in ["evil.chat"] + PLAIN:
        for m in range(0, 180, 2):
            add(T0 + m * 60 + 7, service)
    for m in range(180, 190):
        for k in range(60):
            add(T0 + m * 60 + k, "evil.chat", ["IN", "GB", "BR"][k % 3], ["login", "app"][k % 2])
        for i, service in enumerate(PLAIN):
            for k in range(0, 60, 3):
                add(T0 + m * 60 + k, service, "US", "app")
    for m in range(190, 230, 2):
        add(T0 + m * 60 + 7, "evil.chat")
    for m in range(230, 236):
        for k in range(60):
            add(T0 + m * 60 + k, "evil.chat", "US", "app")
    rows.sort(key=lambda r: r[0])
    with open(path, "w") as f:
        for _, r in rows:
            f.write(json.dumps(r) + "\n")


def text(el, tag):
    found = el.findall(ATOM + tag)
    assert len(found) == 1, "%d <%s> in <%s>" % (len(found), tag, el.tag)
    return found[0].text or ""


def validate(case, body, url):
    """RFC 4287's rules for a feed and its entries; returns the root."""
    root = ET.fromstring(body.encode())
    case.assertEqual(root.tag, ATOM + "feed")
    case.assertRegex(text(root, "id"), TAG)
    case.assertTrue(text(root, "title"))
    case.assertRegex(text(root, "updated"), RFC3339)
    authors = root.findall(ATOM + "author")
    case.assertEqual(len(authors), 1)
    case.assertTrue(text(authors[0], "name"))
    links = root.findall(ATOM + "link")
    selfs = [l for l in links if l.get("rel") == "self"]
    case.assertEqual(len(selfs), 1)
    case.assertEqual((selfs[0].get("href"), selfs[0].get("type")), (url, "application/atom+xml"))
    alternates = [(l.get("type"), l.get("hreflang")) for l in links if l.get("rel") == "alternate"]
    case.assertEqual(len(alternates), len(set(alternates)))
    ids = set()
    newest = ""
    for e in root.findall(ATOM + "entry"):
        entry_id = text(e, "id")
        case.assertRegex(entry_id, TAG)
        case.assertNotIn(entry_id, ids)
        ids.add(entry_id)
        case.assertTrue(text(e, "title"))
        case.assertEqual(e.find(ATOM + "title").get("type", "text"), "text")
        case.assertRegex(text(e, "updated"), RFC3339)
        newest = max(newest, text(e, "updated"))
        case.assertLessEqual(len(e.findall(ATOM + "published")), 1)
        for p in e.findall(ATOM + "published"):
            case.assertRegex(p.text, RFC3339)
        alternate = [l for l in e.findall(ATOM + "link") if l.get("rel") == "alternate"]
        case.assertEqual(len(alternate), 1)  # no <content>: the link is required
        summary = e.find(ATOM + "summary")
        case.assertEqual(summary.get("type"), "text")
        case.assertEqual(list(summary), [])  # text: no markup inside
    if ids:
        case.assertEqual(text(root, "updated"), newest)
    return root


def entries(root):
    """(id, updated, title) of each entry, in order."""
    return [(text(e, "id"), text(e, "updated"), text(e, "title"))
            for e in root.findall(ATOM + "entry")]


class FeedsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dw-feeds-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.catalog = os.path.join(cls.tmp, "catalog.txt")
        with open(cls.catalog, "w") as f:
            f.write("evil.chat | %s | ACME & Sons | messaging | login, app\n" % NAME)
            for s in PLAIN:
                f.write("%s | Plain %s | Plain Ltd | messaging | app\n" % (s, s[-2:]))
        cls.trace = os.path.join(cls.tmp, "trace.ndjson")
        write_trace(cls.trace)
        cls.data = os.path.join(cls.tmp, "data")
        cls.srv = Server("--catalog", cls.catalog, data_dir=cls.data).start()
        cls.addClassCleanup(cls.srv.cleanup)
        replay_whole(unittest.TestCase(), cls.srv, cls.trace, "--parallel", "1")
        cls.incidents = cls.wait_for_incidents(cls.srv)

    @staticmethod
    def wait_for_incidents(srv):
        deadline = time.time() + 30
        while True:
            got = srv.get("/api/v1/incidents?limit=1000").json()["incidents"]
            evil = [i for i in got if i["service"] == "evil.chat"]
            if len(got) == 56 and len(evil) == 2 and sum(i["end"] is None for i in evil) == 1:
                return got
            assert time.time() < deadline, [(i["id"], i["end"]) for i in got]
            time.sleep(0.2)

    def feed(self, path, srv=None, headers=None):
        srv = srv or self.srv
        r = srv.request("GET", path, headers=headers)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/atom+xml; charset=utf-8")
        return r, validate(self, r.body, "http://127.0.0.1:%d%s" % (srv.port, path))

    def test_the_service_feed_has_its_two_incidents_with_the_name_intact(self):
        _, root = self.feed("/feeds/services/evil.chat.atom")
        self.assertEqual(text(root, "id"), "tag:localhost,2024:feeds/services/evil.chat")
        self.assertEqual(text(root, "title"), "downwatch: %s incidents" % NAME)
        alternate = [l.get("href") for l in root.findall(ATOM + "link")
                     if l.get("rel") == "alternate"]
        self.assertEqual(alternate, ["http://127.0.0.1:%d/s/evil.chat" % self.srv.port])
        evil = [i for i in self.incidents if i["service"] == "evil.chat"]
        got = root.findall(ATOM + "entry")
        self.assertEqual([text(e, "id") for e in got],
                         ["tag:localhost,2024:incident/" + i["id"] for i in evil])
        ongoing, resolved = got
        self.assertEqual(text(ongoing, "title"),
                         "%s outage, ongoing since 2024-04-03 15:50 UTC" % NAME)
        self.assertEqual(text(resolved, "title"),
                         "%s outage, 2024-04-03 15:00 to %s UTC (resolved)"
                         % (NAME, evil[1]["end"][11:16]))
        self.assertEqual(text(ongoing, "published"), evil[0]["detected_at"])
        link = [l.get("href") for l in ongoing.findall(ATOM + "link")]
        self.assertEqual(link, ["http://127.0.0.1:%d/i/%s" % (self.srv.port, evil[0]["id"])])
        category = ongoing.find(ATOM + "category")
        self.assertEqual((category.get("term"), category.get("label")), ("evil.chat", NAME))
        summary = text(resolved, "summary")
        self.assertIn("Reports of problems with %s rose far above normal from 2024-04-03 "
                      "15:00 UTC" % NAME, summary)
        self.assertIn("resolved at 2024-04-03 %s UTC." % evil[1]["end"][11:16], summary)
        self.assertIn("India (IN)", summary)
        self.assertIn("United Kingdom (GB)", summary)
        self.assertRegex(summary, r"Problems: (app|login) \d+%, (app|login) \d+%\.")
        self.assertIn("Peak: 60 reports a minute.", summary)
        self.assertIn("still ongoing.", text(ongoing, "summary"))
        self.assertIn("United States (US)", text(ongoing, "summary"))

    def test_the_overall_feed_holds_the_fifty_newest_incidents(self):
        _, root = self.feed("/feeds/incidents.atom")
        self.assertEqual(text(root, "id"), "tag:localhost,2024:feeds/incidents")
        got = root.findall(ATOM + "entry")
        self.assertEqual(len(got), 50)
        self.assertEqual([text(e, "id") for e in got],
                         ["tag:localhost,2024:incident/" + i["id"] for i in self.incidents[:50]])
        self.assertEqual(text(root, "updated"), max(text(e, "updated") for e in got))

    def test_an_unchanged_feed_is_304_by_etag_or_date(self):
        r, _ = self.feed("/feeds/services/evil.chat.atom")
        etag, modified = r.header("ETag"), r.header("Last-Modified")
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')
        updated = validate(self, r.body, "http://127.0.0.1:%d/feeds/services/evil.chat.atom"
                           % self.srv.port).find(ATOM + "updated").text
        self.assertEqual(modified, time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                 time.strptime(updated, "%Y-%m-%dT%H:%M:%SZ")))
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")
        for headers in [{"If-None-Match": etag}, {"If-None-Match": '"x", W/' + etag},
                        {"If-Modified-Since": modified}]:
            again = self.srv.request("GET", "/feeds/services/evil.chat.atom", headers=headers)
            self.assertEqual((again.status, again.body), (304, ""), headers)
            self.assertEqual(again.header("ETag"), etag)
        for headers in [{"If-None-Match": '"0000000000000000"'},
                        {"If-None-Match": '"0000000000000000"', "If-Modified-Since": modified},
                        {"If-Modified-Since": "Wed, 03 Apr 2024 15:00:00 GMT"}]:
            again = self.srv.request("GET", "/feeds/services/evil.chat.atom", headers=headers)
            self.assertEqual(again.status, 200, headers)

    def test_wrong_paths_services_and_methods_are_refused(self):
        for path, status, error in [("/feeds/services/nosuch.atom", 404, "unknown_service"),
                                    ("/feeds/services/.atom", 404, "not_found"),
                                    ("/feeds/services/evil.chat", 404, "not_found"),
                                    ("/feeds/nothing.atom", 404, "not_found")]:
            r = self.srv.get(path)
            self.assertEqual((r.status, r.json()["error"]), (status, error), path)
        r = self.srv.request("POST", "/feeds/incidents.atom", "x", {"Content-Type": "text/xml"})
        self.assertEqual(r.status, 405)
        r = self.srv.request("HEAD", "/feeds/incidents.atom")
        self.assertEqual((r.status, r.body), (200, ""))

    def test_ids_stay_the_same_after_a_restart_and_for_any_host(self):
        path = "/feeds/services/evil.chat.atom"
        _, before = self.feed(path)
        _, everything = self.feed("/feeds/incidents.atom")
        r = self.srv.request("GET", path, headers={"Host": "status.example.org:8080"})
        as_other = ET.fromstring(r.body.encode())
        self.assertEqual(entries(as_other), entries(before))
        self.assertEqual(text(as_other, "id"), text(before, "id"))
        self.assertEqual([l.get("href") for l in as_other.findall(ATOM + "link")],
                         ["http://status.example.org:8080" + path,
                          "http://status.example.org:8080/s/evil.chat"])
        self.srv.stop()
        with Server("--catalog", self.catalog, data_dir=self.data) as again:
            self.wait_for_incidents(again)
            _, after = self.feed(path, srv=again)
            _, everything_after = self.feed("/feeds/incidents.atom", srv=again)
        self.srv.start()
        self.assertEqual(entries(after), entries(before))
        self.assertEqual(entries(everything_after), entries(everything))
        self.assertEqual(text(after, "id"), text(before, "id"))


class PublicUrlTest(unittest.TestCase):
    def test_public_url_gives_the_links_and_the_ids_their_host(self):
        with Server("--public_url", "https://Status.Example.com/dw/") as srv:
            r = srv.get("/feeds/incidents.atom")
            root = validate(self, r.body, "https://Status.Example.com/dw/feeds/incidents.atom")
            self.assertEqual(text(root, "id"), "tag:status.example.com,2024:feeds/incidents")
            self.assertEqual(root.findall(ATOM + "entry"), [])
            self.assertEqual(text(root, "updated"), "1970-01-01T00:00:00Z")  # never changed
            alternate = [l.get("href") for l in root.findall(ATOM + "link")
                         if l.get("rel") == "alternate"]
            self.assertEqual(alternate, ["https://Status.Example.com/dw/"])

    def test_a_public_url_that_is_not_one_is_refused_at_start(self):
        for bad in ["status.example.com", "ftp://x", "https://", 'https://x/"><script>']:
            p = run(["serve", "--check-config", "--public_url", bad])
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn("public_url", p.stderr)


class DocumentedTest(unittest.TestCase):
    def test_the_openapi_document_lists_the_feeds_at_the_root(self):
        with open(os.path.join(ROOT, "src", "api", "openapi.json")) as f:
            paths = json.load(f)["paths"]
        for path in ("/feeds/incidents.atom", "/feeds/services/{id}.atom"):
            self.assertEqual(paths[path]["servers"][0]["url"], "/")
            self.assertIn("application/atom+xml", paths[path]["get"]["responses"]["200"]["content"])


if __name__ == "__main__":
    unittest.main()
