"""Hostile clients over real sockets: a thousand connections dripping their
headers a byte at a time and others that never read their answers, while a
normal client keeps posting (it must stay fast, and the slow ones must be
cut off by the timeouts); and requests framed ambiguously, the way request
smuggling starts, which must be refused with the right status and never
let a second request hide in a body. Every loop is bounded in time."""
import resource
import socket
import time
import unittest

from harness import Server, report

BODY = b'{"service":"whatsapp","problem":"login"}'
POST = (b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\n")


def exchange(port, raw, timeout=5):
    """Send raw on a new connection; every status line read until the
    server closes it (or timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        s.sendall(raw)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    finally:
        s.close()
    return [int(line.split(b" ")[1]) for line in data.split(b"\r\n")
            if line.startswith(b"HTTP/1.1 ")]


class SmugglingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def refused(self, raw, statuses):
        """Answered only with one of statuses (MHD may repeat its status
        line for one error) or closed unanswered: nothing inside is served."""
        got = exchange(self.srv.port, raw)
        self.assertTrue(set(got) <= set(statuses), "%r answered %r" % (raw[:120], got))

    def test_two_content_lengths_are_refused(self):
        self.refused(POST + b"Content-Length: %d\r\nContent-Length: 5\r\n\r\n" % len(BODY) + BODY,
                     [400])
        self.refused(POST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\n{}{}{", [400])

    def test_content_length_with_transfer_encoding_hides_no_second_request(self):
        self.refused(POST + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                     b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", [400])

    def test_invalid_chunk_sizes_are_refused(self):
        for size in [b"zz", b"-5", b"5 5", b"0x5", b""]:
            self.refused(POST + b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\nabcde\r\n"
                         b"0\r\n\r\n", [400])
        self.refused(POST + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabcde\r\n"
                     b"0\r\n\r\n", [400, 413])

    def test_obfuscated_transfer_encodings_are_refused(self):
        self.refused(POST + b"Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
                     [400])
        self.refused(POST + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", [400, 501])
        self.refused(POST + b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", [400, 501])
        self.refused(POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
                     b"0\r\n\r\n", [400])

    def test_malformed_lengths_and_versions_are_refused(self):
        self.refused(POST + b"Content-Length: +40\r\n\r\n" + BODY, [400])
        self.refused(POST + b"Content-Length: 4 0\r\n\r\n" + BODY, [400])
        self.refused(b"GET /api/v1/health HTTP/2.0\r\nHost: x\r\n\r\n", [505])
        self.refused(b"GET /api/v1/health HTTP/1.1\r\n\r\n", [400])  # no Host

    def test_the_server_still_answers_after_all_of_it(self):
        self.assertEqual(self.srv.post_json(report(client="after")).status, 202)


def raise_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class SlowClientsTest(unittest.TestCase):
    HEADER_TIMEOUT = 3

    def test_slow_and_greedy_connections_neither_slow_nor_stop_a_normal_client(self):
        limit = raise_fd_limit(4096)
        drippers_wanted = min(1000, limit - 200)
        with Server("--header_timeout", str(self.HEADER_TIMEOUT), "--idle_timeout", "4",
                    "--max_connections", "3000", "--max_connections_per_ip", "0",
                    "--rate_limit", "0", "--network_rate_limit", "0") as srv:
            drippers = []
            for _ in range(drippers_wanted):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                s.setblocking(False)
                drippers.append(s)
            request = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
            # Greedy clients pipeline many requests for a long answer and
            # never read: their socket buffers fill, the server must not wait.
            greedy = []
            for _ in range(20):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", srv.port))
                s.setblocking(False)
                try:
                    s.send(b"GET /api/v1/services HTTP/1.1\r\nHost: x\r\n\r\n" * 2000)
                except BlockingIOError:
                    pass
                greedy.append(s)

            latencies, statuses = [], []
            start = time.time()
            step = 0
            open_drippers = list(drippers)
            while time.time() - start < self.HEADER_TIMEOUT + 4:
                for s in open_drippers:  # one more byte each
                    try:
                        s.send(request[step % len(request):step % len(request) + 1])
                    except (BlockingIOError, BrokenPipeError, ConnectionResetError, OSError):
                        pass
                step += 1
                t0 = time.time()
                statuses.append(srv.post_json(report(client="n%d" % step), timeout=10).status)
                latencies.append(time.time() - t0)
                time.sleep(0.05)

            # Every dripping connection has been closed by the server.
            still_open = 0
            deadline = time.time() + 5
            for s in drippers:
                closed = False
                s.settimeout(max(0.01, min(0.2, deadline - time.time())))
                while not closed:
                    try:
                        closed = s.recv(65536) == b""
                    except socket.timeout:
                        break
                    except OSError:  # reset
                        closed = True
                still_open += not closed
                s.close()
            # The greedy ones were cut off before getting all they asked for.
            for s in greedy:
                got = b""
                s.settimeout(0.5)
                while time.time() < deadline + 5:
                    try:
                        chunk = s.recv(1 << 20)
                    except OSError:  # a timeout or a reset
                        break
                    if not chunk:
                        break
                    got += chunk
                self.assertLess(got.count(b"HTTP/1.1 200"), 2000)
                s.close()

            self.assertEqual(set(statuses), {202}, statuses)
            latencies.sort()
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            median = latencies[len(latencies) // 2]
            self.assertLess(median, 0.1, "median %.3f s" % median)
            self.assertLess(p99, 0.5, "p99 %.3f s" % p99)
            self.assertEqual(still_open, 0, "%d of %d dripping connections still open"
                             % (still_open, len(drippers)))
            self.assertEqual(srv.get("/api/v1/health").status, 200)


if __name__ == "__main__":
    unittest.main()
