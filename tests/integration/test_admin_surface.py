"""The admin surface over real HTTP: every operation the OpenAPI document
marks as needing the admin token (a required Authorization header: every
write but the public report intake, and the notification resources)
refuses a missing, a wrong, a replay and a malformed token with the same
401, so an answer never says which part was wrong; with the token it gets
one of the answers the document lists for it; and no token ever reaches the
log."""
import json
import os
import unittest

from harness import ADMIN, ROOT, TOKEN, Server

OPENAPI = os.path.join(ROOT, "src", "api", "openapi.json")
WRITES = ("post", "put", "patch", "delete")
METHODS = ("get", "head", "options") + WRITES  # a path item's other keys are no operations


def needs_admin(op):
    return any(p["in"] == "header" and p["name"] == "Authorization" and p["required"]
               for p in op.get("parameters", []))


def admin_operations():
    """(method, path, documented statuses) of every operation that needs the
    admin token, ids filled in."""
    with open(OPENAPI) as f:
        paths = json.load(f)["paths"]
    out = []
    for path, ops in paths.items():
        for method, op in ops.items():
            if method in METHODS and needs_admin(op):
                out.append((method.upper(), "/api/v1" + path.replace("{id}", "whatsapp-x"),
                            set(op["responses"])))
    return out


class AdminSurfaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--log_level", "debug").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_every_write_but_the_intake_needs_the_admin_token(self):
        with open(OPENAPI) as f:
            paths = json.load(f)["paths"]
        for path, ops in paths.items():
            for method, op in ops.items():
                if method in WRITES and path != "/reports":
                    self.assertTrue(needs_admin(op), (method, path))
        listed = [(m, p) for m, p, _ in admin_operations()]
        self.assertIn(("POST", "/api/v1/incidents/whatsapp-x/updates"), listed)
        self.assertIn(("GET", "/api/v1/events"), listed)

    def test_every_admin_operation_refuses_all_but_the_admin_token_alike(self):
        body = json.dumps({"text": "we know"})
        for method, path, statuses in admin_operations():
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
            # With the token, the request gets past authentication (to the
            # unknown incident, a refused body...), to an answer it documents.
            r = self.srv.request(method, path, body, {"Content-Type": "application/json",
                                                      "Authorization": "Bearer " + ADMIN})
            self.assertNotEqual(r.status, 401, (method, path, r))
            self.assertIn(str(r.status), statuses, (method, path, r))

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
