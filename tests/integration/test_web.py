"""The status page as served by `downwatch serve`: pages at /, /s/{id} and
/i/{id}, hashed assets under /assets/, the headers a browser and a cache
rely on (Content-Type, ETag and 304, Cache-Control, the gzip variant and
Vary, the Content-Security-Policy), errors for anything else, and the JSON
index moved to /api/v1/."""
import gzip
import re
import unittest

from harness import Server


class WebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def get(self, path, **headers):
        return self.srv.request("GET", path, headers=headers)

    def test_pages_are_html_with_a_strict_policy_and_revalidated(self):
        for path in ("/", "/s/whatsapp", "/i/whatsapp-20240403T163030Z", "/s/no-such-service"):
            r = self.get(path)
            self.assertEqual(r.status, 200, path)
            self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
            self.assertEqual(r.header("Cache-Control"), "no-cache")
            self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
            csp = r.header("Content-Security-Policy")
            self.assertIn("script-src 'self'", csp)
            self.assertNotIn("unsafe-inline", csp)
            self.assertIn("<!doctype html>", r.body)
        self.assertIn("/assets/js/home.", self.get("/").body)
        self.assertIn("/assets/js/service.", self.get("/s/whatsapp").body)
        self.assertIn("/assets/js/incident.", self.get("/i/x").body)

    def test_pages_have_no_inline_script_or_style(self):
        for path in ("/", "/s/whatsapp", "/i/x"):
            body = self.get(path).body
            for m in re.finditer(r"<script([^>]*)>(.*?)</script>", body, re.S):
                self.assertIn("src=", m.group(1))
                self.assertEqual(m.group(2).strip(), "")
            self.assertNotIn("<style", body)
            self.assertNotIn("style=", body)

    def test_every_referenced_asset_is_served_immutable_with_its_type(self):
        refs = set()
        for path in ("/", "/s/whatsapp", "/i/x"):
            refs |= set(re.findall(r'(/assets/[^"]+)"', self.get(path).body))
        self.assertTrue(any(r.endswith(".css") for r in refs))
        types = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
        for ref in refs:
            r = self.get(ref)
            self.assertEqual(r.status, 200, ref)
            self.assertEqual(r.header("Cache-Control"), "public, max-age=31536000, immutable")
            self.assertTrue(r.header("Content-Type").startswith(types[ref[ref.rindex("."):]]), ref)
            self.assertIsNone(r.header("Content-Security-Policy"))

    def test_a_matching_etag_gets_304_and_a_stale_one_200(self):
        r = self.get("/")
        etag = r.header("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')
        again = self.get("/", **{"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, "")
        self.assertEqual(again.header("ETag"), etag)
        self.assertEqual(self.get("/", **{"If-None-Match": 'W/' + etag}).status, 304)
        self.assertEqual(self.get("/", **{"If-None-Match": '"0000000000000000"'}).status, 200)

    def test_gzip_is_sent_to_who_accepts_it_with_its_own_etag(self):
        plain = self.srv.request("GET", "/")
        conn_headers = {"Accept-Encoding": "gzip, deflate"}
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        c.request("GET", "/", headers=conn_headers)
        r = c.getresponse()
        raw = r.read()
        self.assertEqual(r.getheader("Content-Encoding"), "gzip")
        self.assertEqual(r.getheader("Vary"), "Accept-Encoding")
        self.assertEqual(gzip.decompress(raw).decode(), plain.body)
        self.assertNotEqual(r.getheader("ETag"), plain.header("ETag"))
        self.assertLess(len(raw), len(plain.body))
        c.close()
        self.assertIsNone(self.get("/", **{"Accept-Encoding": "gzip;q=0"}).header("Content-Encoding"))

    def test_head_has_the_headers_and_no_body(self):
        r = self.srv.request("HEAD", "/s/whatsapp")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, "")
        self.assertEqual(r.header("ETag"), self.get("/s/whatsapp").header("ETag"))

    def test_unknown_paths_are_404_and_other_methods_405(self):
        for path in ("/nope", "/s/", "/s/a/b", "/assets/app.js", "/index.html", "/favicon.ico"):
            self.assertEqual(self.get(path).status, 404, path)
        r = self.srv.request("POST", "/", body=b"{}")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD")

    def test_the_json_index_lives_under_api_v1(self):
        for path in ("/api/v1/", "/api/v1"):
            r = self.get(path)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["api"]["services"], "/api/v1/services")
        self.assertEqual(self.get("/api/nothing").json()["error"], "not_found")


if __name__ == "__main__":
    unittest.main()
