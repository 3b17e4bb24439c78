"""Durability over real HTTP and real crashes: restart recovery, kill -9 at
random moments (reports and incidents), a full write queue, a full disk,
and refusals of unusable data dirs (read-only, corrupt, shared)."""
import contextlib
import json
import os
import random
import shutil
import socket
import sqlite3
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Server, report, run, TOKEN


def stored_clients(data_dir):
    db = sqlite3.connect(os.path.join(data_dir, "downwatch.db"))
    try:
        return {row[0] for row in db.execute("SELECT client FROM reports")}
    finally:
        db.close()


def total(srv, service, frm, to):
    r = srv.get("/api/v1/services/%s/series?from=%s&to=%s&step=1h" % (service, frm, to))
    assert r.status == 200, r
    return sum(p["reports"] for p in r.json()["points"]), sum(p["clients"] for p in r.json()["points"])


class RestartTest(unittest.TestCase):
    def test_counts_are_rebuilt_from_disk_after_a_restart(self):
        data = tempfile.mkdtemp(prefix="dw-restart-")
        try:
            lines = [report(service="youtube", client="y%d" % (i % 40), country="DE",
                            ts="2024-04-03T16:%02d:00Z" % (i % 60)) for i in range(300)]
            with Server(data_dir=data) as srv:
                r = srv.post_ndjson(lines, token=TOKEN)
                self.assertEqual(r.json()["accepted"], 300)
                before = total(srv, "youtube", "2024-04-03T16:00:00Z", "2024-04-03T17:00:00Z")
            with Server(data_dir=data) as srv:
                after = total(srv, "youtube", "2024-04-03T16:00:00Z", "2024-04-03T17:00:00Z")
                self.assertEqual(before, after)
                self.assertEqual(after[0], 300)
                # Votes survive too: y1's last counted vote was at 16:41, so
                # 16:45 is inside its 10-minute window.
                r = srv.post_json(report(service="youtube", client="y1", country="DE",
                                         ts="2024-04-03T16:45:00Z"), token=TOKEN)
                self.assertFalse(r.json()["report"]["counted"])
        finally:
            shutil.rmtree(data, ignore_errors=True)


class KillTest(unittest.TestCase):
    def test_no_acknowledged_report_is_lost_to_kill_9(self):
        data = tempfile.mkdtemp(prefix="dw-kill-")
        acked = set()
        lock = threading.Lock()
        rng = random.Random(7)
        seq = [0]

        def next_ids(n):
            with lock:
                first = seq[0]
                seq[0] += n
            return ["k%08d" % (first + i) for i in range(n)]

        def client(srv, stop):
            while not stop.is_set():
                try:
                    if rng.random() < 0.5:
                        ids = next_ids(1)
                        r = srv.post_json(report(client=ids[0]), token=TOKEN)
                    else:
                        ids = next_ids(rng.randint(2, 400))
                        r = srv.post_ndjson([report(client=i) for i in ids], token=TOKEN)
                except OSError:
                    continue  # the server died under us: not acknowledged
                if r.status == 202:
                    with lock:
                        acked.update(ids)

        try:
            for round_ in range(5):
                srv = Server(data_dir=data).start()
                stop = threading.Event()
                workers = [threading.Thread(target=client, args=(srv, stop)) for _ in range(4)]
                for w in workers:
                    w.start()
                time.sleep(rng.uniform(0.3, 1.2))
                srv.kill()
                stop.set()
                for w in workers:
                    w.join()
            self.assertGreater(len(acked), 1000, "too few acknowledged reports to mean anything")
            with Server(data_dir=data) as srv:
                stored = stored_clients(data)
                missing = acked - stored
                self.assertEqual(missing, set(), "%d acknowledged reports lost" % len(missing))
                health = srv.get("/api/v1/health").json()
                db = sqlite3.connect(os.path.join(data, "downwatch.db"))
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                rows = db.execute("SELECT count(*) FROM reports").fetchone()[0]
                db.close()
                now = time.time()
                counted = total(srv, "whatsapp", int(now - 7200), int(now + 3600))[0]
                self.assertEqual(counted, rows, "counts rebuilt from disk disagree with the rows")
        finally:
            shutil.rmtree(data, ignore_errors=True)


class IncidentKillTest(unittest.TestCase):
    def test_incidents_survive_kill_9_neither_lost_nor_duplicated(self):
        """An outage replayed in batches while the server is killed at random
        moments: every incident it showed survives each crash, none is
        stored twice, and the file stays sound."""
        work = tempfile.mkdtemp(prefix="dw-kill-inc-")
        data = os.path.join(work, "data")
        try:
            p = run(["simulate", "--scenario", "meta-2024-04-03", "--scale", "0.05",
                     "--out", work])
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(work, "meta-2024-04-03.ndjson")) as f:
                lines = [l for l in f if l[7:23] < "2024-04-03T17:30"]
            batches = [lines[i:i + 1000] for i in range(0, len(lines), 1000)]
            rng = random.Random(11)
            seen, sent, crashes = {}, 0, 0
            while sent < len(batches):
                srv = Server(data_dir=data).start()
                for inc in srv.get("/api/v1/incidents?limit=1000").json()["incidents"]:
                    seen.setdefault(inc["id"], inc["service"])
                killer = threading.Timer(rng.uniform(0.05, 0.3), srv.kill)
                killer.start()
                try:
                    while sent < len(batches):
                        r = srv.post_ndjson([l.rstrip("\n") for l in batches[sent]],
                                            token=TOKEN, timeout=60)
                        self.assertEqual(r.status, 202, r)
                        sent += 1  # acknowledged; an unacknowledged batch is sent again
                        for inc in srv.get("/api/v1/incidents?limit=1000").json()["incidents"]:
                            seen.setdefault(inc["id"], inc["service"])
                except OSError:
                    crashes += 1  # killed mid-request
                killer.cancel()
                srv.kill()
            with Server(data_dir=data) as srv:
                after = srv.get("/api/v1/incidents?limit=1000").json()["incidents"]
            self.assertGreaterEqual(crashes, 3, "too few crashes to mean anything")
            self.assertTrue(seen, "no incident was shown before the last crash")
            ids = [inc["id"] for inc in after]
            self.assertEqual(len(ids), len(set(ids)), "an incident is stored twice")
            self.assertEqual(set(seen) - set(ids), set(), "incidents lost to a crash")
            self.assertIn("whatsapp", {inc["service"] for inc in after})
            by_service = {}
            for inc in after:
                by_service.setdefault(inc["service"], []).append(inc)
            for service, incs in by_service.items():
                open_ = [inc for inc in incs if inc["end"] is None]
                self.assertLessEqual(len(open_), 1, "%s has two open incidents" % service)
            db = sqlite3.connect(os.path.join(data, "downwatch.db"))
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            db.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)


class DrainTest(unittest.TestCase):
    def test_sigterm_drains_in_flight_requests_and_exits_0(self):
        data = tempfile.mkdtemp(prefix="dw-drain-")
        acked, lock, seq = set(), threading.Lock(), [0]

        def client(srv, stop):
            while not stop.is_set():
                with lock:
                    first = seq[0]
                    seq[0] += 200
                ids = ["d%08d" % (first + i) for i in range(200)]
                try:
                    r = srv.post_ndjson([report(client=i) for i in ids], token=TOKEN)
                except OSError:
                    return  # the server has gone: nothing more is acknowledged
                if r.status == 202:
                    with lock:
                        acked.update(ids)
                else:
                    self.assertEqual(r.status, 503, r)  # shutting down

        try:
            srv = Server(data_dir=data).start()
            stop = threading.Event()
            workers = [threading.Thread(target=client, args=(srv, stop)) for _ in range(4)]
            for w in workers:
                w.start()
            time.sleep(0.8)
            self.assertEqual(srv.stop(), 0, srv.log())
            stop.set()
            for w in workers:
                w.join()
            self.assertIn('msg="stopped"', srv.log())
            self.assertGreater(len(acked), 0)
            self.assertEqual(acked - stored_clients(data), set())
        finally:
            shutil.rmtree(data, ignore_errors=True)


class OverloadTest(unittest.TestCase):
    def test_a_full_write_queue_answers_503_and_loses_nothing_it_acknowledged(self):
        data = tempfile.mkdtemp(prefix="dw-busy-")
        try:
            with Server("--queue_max", "5", "--rate_limit", "0", "--network_rate_limit", "0",
                        "--address_votes", "0", "--network_votes", "0", data_dir=data) as srv:
                self.assertEqual(srv.post_json(report(client="warm")).status, 202)
                # Another process takes the database's write lock: commits stall.
                db = sqlite3.connect(os.path.join(data, "downwatch.db"), timeout=1)
                db.execute("BEGIN IMMEDIATE")
                results = []

                def post(i):
                    results.append((i, srv.post_json(report(client="q%d" % i), timeout=60)))

                threads = [threading.Thread(target=post, args=(i,)) for i in range(30)]
                for t in threads:
                    t.start()
                deadline = time.time() + 20
                while time.time() < deadline and not any(r.status == 503 for _, r in results):
                    time.sleep(0.05)
                refused = [r for _, r in results if r.status == 503]
                self.assertTrue(refused, "no 503 while the queue was full")
                self.assertEqual(refused[0].json()["error"], "overloaded")
                self.assertTrue(refused[0].header("Retry-After"))
                db.rollback()
                db.close()
                for t in threads:
                    t.join()
                statuses = sorted({r.status for _, r in results})
                self.assertEqual(statuses, [202, 503])
                acked = {"q%d" % i for i, r in results if r.status == 202}
                self.assertTrue(acked <= stored_clients(data))
        finally:
            shutil.rmtree(data, ignore_errors=True)


    def test_clients_hanging_up_while_their_commit_waits_for_a_lock_break_nothing(self):
        """Requests whose commit found the database locked wait for the
        writer; their clients reset the connection meanwhile. The server
        must neither crash nor hang, and serves on once the lock goes."""
        data = tempfile.mkdtemp(prefix="dw-hangup-")
        try:
            with Server("--rate_limit", "0", "--network_rate_limit", "0",
                        "--address_votes", "0", "--network_votes", "0", data_dir=data) as srv:
                self.assertEqual(srv.post_json(report(client="warm")).status, 202)
                body = json.dumps(report(client="gone")).encode()
                request = (b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                           % (len(body), body))
                for _ in range(5):
                    db = sqlite3.connect(os.path.join(data, "downwatch.db"), timeout=1)
                    db.execute("BEGIN IMMEDIATE")
                    socks = []
                    for i in range(40):
                        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                        s.sendall(request)
                        socks.append(s)
                        if i % 4 == 3:
                            time.sleep(0.002)  # let some reach the waiting state first
                    for s in socks:  # reset, not a clean close
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        s.close()
                    time.sleep(0.2)
                    db.rollback()
                    db.close()
                    r = srv.post_json(report(client="after"), timeout=10)
                    self.assertEqual(r.status, 202)
        finally:
            shutil.rmtree(data, ignore_errors=True)

@contextlib.contextmanager
def tmpfs(test, size):
    """A small tmpfs mounted for the block (needs root; skips the test
    where that is not allowed), unmounted and removed after."""
    mnt = tempfile.mkdtemp(prefix="dw-tmpfs-")
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", mnt],
        capture_output=True).returncode == 0
    if not mounted:
        os.rmdir(mnt)
        test.skipTest("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)


class DiskFullTest(unittest.TestCase):
    def test_a_full_disk_refuses_reports_clearly_and_recovers_when_space_returns(self):
        with tmpfs(self, "4m") as mnt:
            filler = os.path.join(mnt, "filler")
            with open(filler, "wb") as f:
                f.write(b"\0" * (1536 * 1024))
            data = os.path.join(mnt, "data")
            with Server("--rate_limit", "0", "--network_rate_limit", "0",
                        "--address_votes", "0", "--network_votes", "0", data_dir=data) as srv:
                acked, refused, n = set(), None, 0
                while refused is None and n < 400:
                    ids = ["f%06d-%03d" % (n, i) for i in range(500)]
                    n += 1
                    r = srv.post_ndjson([report(client=i) for i in ids])
                    if r.status == 202:
                        acked.update(ids)
                    else:
                        refused, refused_ids = r, ids
                self.assertIsNotNone(refused, "the disk never filled up")
                self.assertEqual(refused.status, 503, refused)
                self.assertEqual(refused.json()["error"], "storage_unavailable")
                self.assertIn("nothing was kept", refused.json()["detail"])
                self.assertTrue(refused.header("Retry-After"))
                self.assertEqual(srv.get("/api/v1/health").status, 200)
                # Space comes back: reports are taken again, without a restart.
                os.remove(filler)
                r = srv.post_ndjson([report(client="after-%d" % i) for i in range(50)])
                self.assertEqual(r.status, 202, r)
                acked.update("after-%d" % i for i in range(50))
                # The refused reports' votes were taken back: a retry counts.
                r = srv.post_json(report(client=refused_ids[0]))
                self.assertTrue(r.json()["report"]["counted"], r)
                acked.add(refused_ids[0])
            self.assertEqual(acked - stored_clients(data), set())


class DataDirTest(unittest.TestCase):
    def test_a_data_dir_that_cannot_be_created_is_a_clear_error(self):
        with tempfile.NamedTemporaryFile() as f:
            p = run(["serve", "--listen", "127.0.0.1:0", "--data_dir", f.name + "/sub"])
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn(f.name, p.stderr)

    def test_a_corrupt_database_is_refused_and_left_alone(self):
        data = tempfile.mkdtemp(prefix="dw-corrupt-")
        try:
            path = os.path.join(data, "downwatch.db")
            with open(path, "wb") as f:
                f.write(b"this is not a database" * 1000)
            p = run(["serve", "--listen", "127.0.0.1:0", "--data_dir", data])
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("downwatch.db", p.stderr)
            with open(path, "rb") as f:
                self.assertTrue(f.read().startswith(b"this is not a database"))
        finally:
            shutil.rmtree(data, ignore_errors=True)

    def test_a_read_only_data_dir_is_a_clear_error(self):
        with tmpfs(self, "8m") as mnt:
            data = os.path.join(mnt, "data")
            with Server(data_dir=data) as srv:
                self.assertEqual(srv.post_json(report(client="ro")).status, 202)
            subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
            for where in [data, os.path.join(mnt, "new")]:
                p = run(["serve", "--listen", "127.0.0.1:0", "--data_dir", where])
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(where, p.stderr)
                self.assertIn("Read-only file system", p.stderr)

    def test_two_servers_cannot_share_a_data_dir(self):
        with Server() as srv:
            p = run(["serve", "--listen", "127.0.0.1:0", "--data_dir", srv.data_dir])
            self.assertEqual(p.returncode, 1, p.stderr)


if __name__ == "__main__":
    unittest.main()
