"""receiver.py - a webhook receiver for the notification tests: a real
HTTP/1.1 server on a free loopback port, started by the test, that records
every request (arrival time, path, headers, body, the status it answered)
and answers 200, or, where the test says so, fails a path's first N
requests (or all of them) with a status. verify() checks a
Downwatch-Signature header the way a receiver should (README: Alerting)."""
import hashlib
import hmac
import http.server
import threading
import time


def verify(secret, header, body, now=None, tolerance=300):
    """True when header ("t=...,v1=...") signs body (bytes) with secret and
    t is within tolerance seconds of now."""
    now = time.time() if now is None else now
    try:
        items = dict(item.split("=", 1) for item in header.split(","))
        t = int(items["t"])
    except (ValueError, KeyError):
        return False
    mac = hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, items.get("v1", "")) and abs(now - t) <= tolerance


class Request:
    def __init__(self, at, path, headers, body, status):
        self.at = at
        self.path = path
        self.headers = headers  # lower-case names
        self.body = body
        self.status = status

    def __repr__(self):
        return "<%s %s %d %r>" % (self.path, self.headers.get("downwatch-event"), self.status,
                                  self.body[:120])


class Receiver:
    """Use as a context manager; url(path) is where to point a subscription."""

    def __init__(self):
        self.requests = []
        self.failures = {}  # path -> [remaining (None: always), status]
        self.cond = threading.Condition()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as libcurl reuses connections

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = owner._answer(self.path)
                # Recorded before the answer: the sender's next request may
                # come on another connection as soon as it has the answer.
                with owner.cond:
                    owner.requests.append(Request(time.time(), self.path,
                                                  {k.lower(): v for k, v in self.headers.items()},
                                                  body, status))
                    owner.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _answer(self, path):
        with self.cond:
            rule = self.failures.get(path)
            if not rule or rule[0] == 0:
                return 200
            if rule[0] is not None:
                rule[0] -= 1
            return rule[1]

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], path)

    def fail(self, path, times=None, status=500):
        """Answer the next `times` requests to path with status (None: all)."""
        with self.cond:
            self.failures[path] = [times, status]

    def heal(self, path):
        with self.cond:
            self.failures.pop(path, None)

    def received(self, path=None):
        with self.cond:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_until(self, predicate, timeout):
        """Wait (at most timeout seconds) until predicate(requests) is true;
        returns whether it became true."""
        deadline = time.time() + timeout
        with self.cond:
            while not predicate(list(self.requests)):
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
