"""The admin surface over real HTTP: every write the OpenAPI document lists,
other than the public report intake, needs the admin token; a missing, a
wrong, a replay and a malformed token all get the same 401, so an answer
never says which part was wrong; and no token ever reaches the log."""
import json
import os
import unittest

from harness import ADMIN, ROOT, TOKEN, Server

OPENAPI = os.path.join(ROOT, "src", "api", "openapi.json")
WRITES = ("post", "put", "patch", "delete")


def admin_writes():
    """(method, path) of every write but the report intake, ids filled in."""
    with open(OPENAPI) as f:
        paths = json.load(f)["paths"]
    out = []
    for path, ops in paths.items():
        for method in ops:
            if method in WRITES and path != "/reports":
                out.append((method.upper(), "/api/v1" + path.replace("{id}", "whatsapp-x")))
    return out


class AdminSurfaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--log_level", "debug").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_the_document_lists_admin_writes(self):
        self.assertIn(("POST", "/api/v1/incidents/whatsapp-x/updates"), admin_writes())

    def test_every_admin_write_refuses_all_but_the_admin_token_alike(self):
        body = json.dumps({"text": "we know"})
        for method, path in admin_writes():
            answers = set()
            for auth in [None, "Bearer wrong", "Bearer " + TOKEN, "Bearer " + ADMIN[:-1],
                         "Bearer " + ADMIN + "x", "Basic " + ADMIN, "Bearer ", ADMIN]:
                headers = {"Content-Type": "application/json"}
                if auth is not None:
                    headers["Authorization"] = auth
                r = self.srv.request(method, path, body, headers)
                self.assertEqual(r.status, 401, (method, path, auth, r))
                self.assertIsNotNone(r.header("WWW-Authenticate"), (method, path, auth))
                answers.add(r.body)
            self.assertEqual(len(answers), 1, "401 bodies differ: %s" % answers)
            # With the token, the request gets past authentication (here to
            # the unknown incident).
            r = self.srv.request(method, path, body, {"Content-Type": "application/json",
                                                      "Authorization": "Bearer " + ADMIN})
            self.assertEqual(r.status, 404, r)

    def test_tokens_never_reach_the_log(self):
        for auth in ["Bearer " + ADMIN, "Bearer " + TOKEN, "Bearer secret-guess-123"]:
            self.srv.request("POST", "/api/v1/incidents/none/updates", "{}",
                             {"Content-Type": "application/json", "Authorization": auth})
            self.srv.request("POST", "/api/v1/reports", '{"service":"whatsapp","problem":"app"}',
                             {"Content-Type": "application/json", "Authorization": auth})
        self.srv.get("/api/v1/health")
        log = "".join(self.srv.log_lines)
        self.assertTrue(log)
        for secret in [ADMIN, TOKEN, "secret-guess-123"]:
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
