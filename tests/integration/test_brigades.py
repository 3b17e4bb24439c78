"""Brigades against a live server: after two quiet weeks (`downwatch
simulate --scenario quiet-week`, replayed with the token, so the detector
has learned normal), groups of 5, 20 and 50 clients hammer one service
from their own addresses, and one address rotates 300 invented client ids,
all at server time through a trusted proxy. No incident may open, and the
counts the public sees are distinct voters, never the reports sent."""
import os
import shutil
import tempfile
import threading
import time
import unittest

from harness import Server, replay_whole, run

SERVICE = "telegram"


class BrigadeTest(unittest.TestCase):
    def test_brigades_open_nothing_and_inflate_no_public_count(self):
        work = tempfile.mkdtemp(prefix="dw-brigade-")
        try:
            p = run(["simulate", "--scenario", "quiet-week", "--scale", "0.05", "--out", work])
            self.assertEqual(p.returncode, 0, p.stderr)
            with Server("--trusted_proxies", "127.0.0.1") as srv:
                replay_whole(self, srv, os.path.join(work, "quiet-week.ndjson"), "--parallel", "1")
                before = self.incidents(srv)
                started = time.time()

                def brigade(clients, reports_each, network):
                    for i in range(reports_each):
                        for c in range(clients):
                            status = self.post(srv, "81.%d.%d.1" % (network, c),
                                               "brigade-%d-%d" % (network, c))
                            self.assertEqual(status, 202)

                groups = [threading.Thread(target=brigade, args=args)
                          for args in [(5, 60, 5), (20, 30, 20), (50, 20, 50)]]
                for g in groups:
                    g.start()
                rotating = [self.post(srv, "81.99.0.1", "rotating-%03d" % i)  # one address
                            for i in range(300)]
                self.assertEqual(set(rotating) - {202, 429}, set())  # it may be rate limited
                for g in groups:
                    g.join()
                sent = 5 * 60 + 20 * 30 + 50 * 20 + rotating.count(202)

                # Let the server close the minutes the brigades fell in.
                time.sleep(max(0.0, 63 - (time.time() - started) % 60))
                self.assertEqual(self.incidents(srv), before)
                service = srv.get("/api/v1/services/" + SERVICE).json()
                self.assertNotEqual(service["status"], "outage", service)
                r = srv.get("/api/v1/services/%s/series?step=1m&from=%d&to=%d"
                            % (SERVICE, int(started) - 120, int(time.time()) + 60))
                points = r.json()["points"]
                reports = sum(p["reports"] for p in points)
                voters = sum(p["clients"] for p in points)
                self.assertGreaterEqual(reports, sent)
                # 75 brigade clients once each, the rotating address its share of 4.
                self.assertLessEqual(voters, 75 + 4, points)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def post(srv, address, client):
        return srv.post_json({"service": SERVICE, "problem": "app", "client": client},
                             headers={"X-Forwarded-For": address}).status

    @staticmethod
    def incidents(srv):
        return [i["id"] for i in srv.get("/api/v1/incidents?limit=1000").json()["incidents"]]


if __name__ == "__main__":
    unittest.main()
