"""Extra check when ../shared is present (our machines and CI, not a fresh
clone): the shared traffic generator's 3 April 2024 trace replays into a
real server with every line accepted, and the counts show the outage."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from harness import Server, replay_whole, ROOT

GENERATOR = os.path.join(os.path.dirname(ROOT), "shared", "scenarios", "gen_trace.py")


@unittest.skipUnless(os.path.exists(GENERATOR), "../shared/scenarios is not here")
class SharedScenarioTest(unittest.TestCase):
    def test_the_meta_evening_replays_whole_and_shows_the_outage(self):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, GENERATOR, "--scenario", "meta-2024-04-03",
                            "--scale", "0.05", "--out", tmp], check=True,
                           stdout=subprocess.DEVNULL)
            with Server() as srv:
                replay_whole(self, srv, os.path.join(tmp, "meta-2024-04-03.ndjson"))
                r = srv.get("/api/v1/services/whatsapp/series?from=2024-04-03T15:30:00Z"
                            "&to=2024-04-03T17:30:00Z&step=15m")
                clients = [pt["clients"] for pt in r.json()["points"]]
                before, during = max(clients[:4]), max(clients[4:])
                self.assertGreater(during, 5 * max(before, 1),
                                   "no outage spike in the counts: %s" % clients)


if __name__ == "__main__":
    unittest.main()
