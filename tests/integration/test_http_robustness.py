"""A property of the whole HTTP surface: random methods, paths, query
strings, content types and bodies (seeded, so a failure replays) never get
a 5xx or a dropped connection, and the server stays up and exits cleanly."""
import random
import unittest

from harness import Server

PATHS = ["/api/v1/services", "/api/v1/services/whatsapp", "/api/v1/services/whatsapp/series",
         "/api/v1/reports", "/api/v1/health", "/", "/api/v1/services/%2F",
         "/api/v1/services/%ff%fe", "/api/v1/services/whatsapp/series/x", "/api/v1//services",
         "/%00", "/api/v1/services/" + "a" * 300, "/api/v1/../v1/health", "/api/v1/",
         "/s/whatsapp", "/i/x", "/assets/", "/assets/js/../css/x.css", "/s/%ff"]
QUERIES = ["from=", "to=", "step=", "country=", "from=-1", "step=0", "step=1d",
           "step=99999999999999999999m", "country=%00", "from=2024-02-30T00:00:00Z",
           "to=253402300799", "from=0", "step=60s", "country=zz", "step=-5m", "from=1e9",
           "to=%ff%fe", "country=BR&country=IN"]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "FOO"]
TYPES = ["application/json", "application/x-ndjson", "text/plain", "application/json; x=\xff", ""]


class HttpRobustnessTest(unittest.TestCase):
    def test_random_requests_never_get_a_server_error(self):
        rng = random.Random(20240403)
        with Server("--rate_limit", "0") as srv:
            for _ in range(1500):
                path = rng.choice(PATHS)
                if rng.random() < 0.7:
                    path += "?" + "&".join(rng.choice(QUERIES) for _ in range(rng.randint(1, 4)))
                body = rng.choice([b"", b"{}", b'{"service":"whatsapp","problem":"login"}',
                                   bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))])
                ctype = rng.choice(TYPES)
                raw = ("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       % (rng.choice(METHODS), path)).encode("latin-1", "replace")
                if ctype:
                    raw += b"Content-Type: " + ctype.encode("latin-1", "replace") + b"\r\n"
                raw += b"Content-Length: %d\r\n\r\n" % len(body) + body
                data = srv.raw(raw)
                self.assertTrue(data.startswith(b"HTTP/1.1 "), (raw[:200], data[:200]))
                status = int(data.split(b" ")[1])
                self.assertLess(status, 500, (raw[:200], data[:300]))
            self.assertIsNone(srv.proc.poll(), "the server died")


if __name__ == "__main__":
    unittest.main()
