"""Everything that comes from outside is shown as text, in real Chromium:
a catalog file names a service with script and markup in its name and
owner, it has an outage (a replayed trace), and an official update with a
script tag is posted through the admin API. escaping.mjs opens the home,
service and incident pages and checks that the markup shows up literally,
that no injected element exists and that no injected script ran."""
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import ADMIN, ROOT, Server, replay_whole  # noqa: E402

CHROMIUM = os.environ.get("DW_CHROMIUM", "/usr/bin/chromium")
NAME = '<script>window.__pwned = "name"</script>Evil & "Co"'
OWNER = '<img src=x onerror="window.__pwned = \'owner\'">'
UPDATE = '<script>window.__pwned = "update"</script><b>bold?</b> & more'


def outage_trace(path):
    """Two quiet days of one report every few minutes, then a surge."""
    start = 1712102400  # 2024-04-03T00:00:00Z
    lines = []
    for m in range(0, 2 * 1440, 4):
        lines.append((start - 2 * 86400 + m * 60, "q%d" % m))
    for i in range(300):
        lines.append((start + 600 + i, "s%d" % i))
    with open(path, "w") as f:
        for ts, client in lines:
            f.write(json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)),
                                "service": "evil", "country": "IN", "problem": "login",
                                "client": client}) + "\n")


class EscapingTest(unittest.TestCase):
    def test_outside_text_is_shown_as_text(self):
        self.assertTrue(os.access(CHROMIUM, os.X_OK), CHROMIUM + " is missing")
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            catalog = os.path.join(tmp, "catalog.txt")
            with open(catalog, "w") as f:
                f.write("evil | %s | %s | social | login,app\n" % (NAME, OWNER))
            trace = os.path.join(tmp, "evil.ndjson")
            outage_trace(trace)
            srv = stack.enter_context(Server("--catalog", catalog))
            replay_whole(self, srv, trace, "--parallel", "1")
            incident = None
            deadline = time.time() + 30
            while incident is None and time.time() < deadline:
                found = srv.get("/api/v1/incidents?service=evil").json()["incidents"]
                incident = found[0]["id"] if found else None
                time.sleep(0.2)
            self.assertIsNotNone(incident, "the surge opened no incident")
            r = srv.request("POST", "/api/v1/incidents/%s/updates" % incident,
                            json.dumps({"text": UPDATE}),
                            {"Content-Type": "application/json",
                             "Authorization": "Bearer " + ADMIN})
            self.assertEqual(r.status, 201, r)
            env = dict(os.environ, DW_SOURCE_DIR=ROOT, DW_URL="http://127.0.0.1:%d" % srv.port,
                       DW_INCIDENT=incident, DW_NAME=NAME, DW_OWNER=OWNER, DW_UPDATE=UPDATE,
                       DW_CHROMIUM=CHROMIUM)
            p = subprocess.run(["node", os.path.join(HERE, "escaping.mjs")], env=env,
                               capture_output=True, text=True, timeout=120)
            print(p.stdout, p.stderr, sep="\n")
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])


if __name__ == "__main__":
    unittest.main()
