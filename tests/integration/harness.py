"""harness.py - start the real `downwatch serve` for black-box tests.

Each Server gets a fresh data directory and a free loopback port (it is
started with --listen 127.0.0.1:0 and the bound port is read from its
"listening" log line). Requests go over real HTTP with http.client. The
binary comes from $DW_BINARY (set by ctest) or build/downwatch.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.environ.get("DW_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BINARY = os.environ.get("DW_BINARY") or os.path.join(ROOT, "build", "downwatch")
TOKEN = "test-replay-token-0123456789"
ADMIN = "test-admin-token-9876543210"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


class Server:
    """A downwatch serve process; use as a context manager."""

    def __init__(self, *flags, data_dir=None, env=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="dw-test-")
        self.flags = list(flags)
        self.env = env or {}
        self.proc = None
        self.port = None
        self.log_lines = []

    def start(self, timeout=30):
        args = [BINARY, "serve", "--listen", "127.0.0.1:0", "--data_dir", self.data_dir,
                "--replay_token", TOKEN, "--admin_token", ADMIN] + self.flags
        env = dict(os.environ)
        env.update(self.env)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, text=True, errors="replace")
        ready = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.log_lines.append(line)
                m = re.search(r'msg="listening" addr=[^ ]*:(\d+)', line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=pump, daemon=True)
        self.reader.start()
        if not ready.wait(timeout) or self.port is None:
            self.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.log_lines))
        return self

    def log(self):
        return "".join(self.log_lines)

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def post_json(self, obj, token=None, headers=None, timeout=30):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        return self.request("POST", "/api/v1/reports", obj, h, timeout=timeout)

    def post_ndjson(self, lines, token=None, headers=None, timeout=30):
        h = {"Content-Type": "application/x-ndjson"}
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        body = "".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines)
        return self.request("POST", "/api/v1/reports", body, h, timeout=timeout)

    def raw(self, data, timeout=10):
        """Send bytes as they are on a new connection; return all bytes read
        until the server closes it (send Connection: close)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            received = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return received
                received += chunk
        finally:
            s.close()

    def get(self, path):
        return self.request("GET", path)

    def stop(self, timeout=30):
        """SIGTERM, wait; returns the exit status."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("server did not stop on SIGTERM")
        self.reader.join(5)
        self.proc.stdout.close()
        return self.proc.returncode

    def kill(self):
        """SIGKILL: the crash that durability promises must survive."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.reader.join(5)
            self.proc.stdout.close()

    def cleanup(self):
        self.kill()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            rc = self.stop()
            if rc != 0 and exc_type is None:
                raise AssertionError("server exited %s on SIGTERM (sanitizer report?):\n%s"
                                     % (rc, self.log()[-4000:]))
        finally:
            self.cleanup()


def report(service="whatsapp", country="IN", problem="login", client=None, ts=None):
    r = {"service": service, "country": country, "problem": problem}
    if client is not None:
        r["client"] = client
    if ts is not None:
        r["ts"] = ts
    return r


def run(cmd, **kw):
    """Run a downwatch command line; returns CompletedProcess with text."""
    return subprocess.run([BINARY] + cmd, capture_output=True, text=True, timeout=120, **kw)


def replay_whole(test, srv, trace, *options):
    """Replay a trace file into srv with the replay token (and any further
    replay options) and assert that every line was accepted."""
    with open(trace) as f:
        lines = sum(1 for _ in f)
    p = run(["replay", trace, "--url", "http://127.0.0.1:%d" % srv.port, "--token", TOKEN]
            + list(options))
    test.assertEqual(p.returncode, 0, p.stderr)
    test.assertIn("%d accepted" % lines, p.stdout)
    test.assertIn(" 0 rejected", p.stdout)
