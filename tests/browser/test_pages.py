"""The status page in real Chromium (Debian's, driven by playwright-core
from web/node_modules): a fresh `downwatch serve` is fed the simulated
3 April 2024 evening up to 17:30 UTC, moved to the present (scenario.py),
so WhatsApp and the other Meta services are down when the pages load; an
official update is posted through the admin API. A second server gets the
whole trace as it is, in 2024, so its pages show that evening after the
fact: resolved incidents, and the last 24 hours of the trace's own clock.
Then pages.mjs checks the home, service and incident pages in English and
Bengali, at desktop and phone width, presses the report button, and saves
screenshots into $DW_SCREENSHOTS (build/screenshots under ctest)."""
import os
import shutil
import contextlib
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import ADMIN, ROOT, Server, replay_whole  # noqa: E402
import scenario  # noqa: E402

CHROMIUM = os.environ.get("DW_CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("DW_SCREENSHOTS") or os.path.join(ROOT, "build", "screenshots")
UPDATE = ("We're aware that some people are having trouble accessing our apps and "
          "products right now. We're working to get things back to normal as quickly as possible.")


class BrowserTest(unittest.TestCase):
    def test_the_pages_in_chromium(self):
        self.assertTrue(os.access(CHROMIUM, os.X_OK), CHROMIUM + " is missing: make deps installs chromium")
        self.assertTrue(os.path.isdir(os.path.join(ROOT, "web", "node_modules", "playwright-core")),
                        "web/node_modules is missing: make build runs npm ci")
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            srv = stack.enter_context(Server())
            after = stack.enter_context(Server())
            trace, _ = scenario.prepare(tmp)
            replay_whole(self, srv, trace, "--parallel", "1")
            replay_whole(self, after, os.path.join(tmp, scenario.SCENARIO + ".ndjson"), "--parallel", "1")
            incident = self.stored_incident(srv, open_=True)
            resolved = self.stored_incident(after, open_=False)
            r = srv.request("POST", "/api/v1/incidents/%s/updates" % incident,
                            {"text": UPDATE, "status": "investigating"},
                            {"Content-Type": "application/json", "Authorization": "Bearer " + ADMIN})
            self.assertEqual(r.status, 201, r.body)
            env = dict(os.environ, DW_SOURCE_DIR=ROOT, DW_URL="http://127.0.0.1:%d" % srv.port,
                       DW_SHOTS=SHOTS, DW_INCIDENT=incident, DW_UPDATE=UPDATE[:40],
                       DW_URL_AFTER="http://127.0.0.1:%d" % after.port, DW_RESOLVED=resolved,
                       DW_CHROMIUM=CHROMIUM)
            p = subprocess.run(["node", os.path.join(HERE, "pages.mjs")], env=env,
                               capture_output=True, text=True, timeout=240)
            print(p.stdout, p.stderr, sep="\n")
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])

    def stored_incident(self, srv, open_):
        """WhatsApp's incident, open or resolved, once the API has it
        (the detector's incidents reach the database once a second)."""
        deadline = time.time() + 30
        while time.time() < deadline:
            found = srv.get("/api/v1/incidents?service=whatsapp").json()["incidents"]
            for inc in found:
                if (inc["end"] is None) == open_ and \
                        srv.get("/api/v1/incidents/" + inc["id"]).status == 200:
                    if open_ or srv.get("/api/v1/services/whatsapp").json()["status"] == "ok":
                        return inc["id"]
            time.sleep(0.2)
        self.fail("no %s WhatsApp incident after the replay" % ("open" if open_ else "resolved"))


if __name__ == "__main__":
    unittest.main()
