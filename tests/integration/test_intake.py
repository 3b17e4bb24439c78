"""POST /api/v1/reports over real HTTP: status codes, validation, batches."""
import socket
import time
import unittest

from harness import Server, report, TOKEN


class IntakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--rate_limit", "0", "--network_rate_limit", "0",
                         "--address_votes", "0", "--network_votes", "0").start()

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, "server did not exit 0 on SIGTERM"
        cls.srv.cleanup()

    def test_a_valid_report_is_accepted_and_counted(self):
        r = self.srv.post_json(report(client="a1"))
        self.assertEqual(r.status, 202, r)
        body = r.json()
        self.assertEqual(body["accepted"], 1)
        self.assertEqual(body["counted"], 1)
        self.assertEqual(body["rejected"], 0)
        self.assertEqual(body["report"]["service"], "whatsapp")
        self.assertEqual(body["report"]["country"], "IN")

    def test_unknown_service_is_404_with_json_error(self):
        r = self.srv.post_json(report(service="nosuchservice"))
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"], "unknown_service")
        self.assertIn("nosuchservice", r.json()["detail"])

    def test_bad_fields_are_400_with_a_clear_error(self):
        cases = [
            ({"service": "whatsapp", "country": "XX", "problem": "login"}, "invalid_country"),
            ({"service": "whatsapp", "country": "IN", "problem": "sadness"}, "invalid_problem"),
            ({"service": "whatsapp", "problem": 5}, "invalid_type"),
            ({"service": "whatsapp"}, "missing_field"),
            ({"service": "whatsapp", "problem": "login", "contry": "IN"}, "unknown_field"),
            ({"service": "whatsapp", "problem": "login", "ts": "yesterday"}, "invalid_ts"),
            ({"service": "WhatsApp", "problem": "login"}, "invalid_service"),
            ([1, 2], "not_an_object"),
        ]
        for body, code in cases:
            with self.subTest(code=code):
                r = self.srv.post_json(body)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json()["error"], code)
                self.assertTrue(r.json()["detail"])

    def test_malformed_and_truncated_json_are_400(self):
        for raw in ['{"service":"whatsapp","problem":"login"', '{"service":}', 'not json',
                    '{"service":"whatsapp","problem":"login"} {}', '{"service":"whatsapp",,}']:
            with self.subTest(raw=raw):
                r = self.srv.request("POST", "/api/v1/reports", raw,
                                     {"Content-Type": "application/json"})
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json()["error"], "invalid_json")

    def test_non_utf8_is_400(self):
        raw = b'{"service":"whatsapp","problem":"login","client":"\xff\xfe"}'
        r = self.srv.request("POST", "/api/v1/reports", raw, {"Content-Type": "application/json"})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"], "invalid_utf8")

    def test_other_content_types_are_415(self):
        for ctype in ["text/plain", "application/x-www-form-urlencoded", None]:
            with self.subTest(ctype=ctype):
                headers = {"Content-Type": ctype} if ctype else {}
                r = self.srv.request("POST", "/api/v1/reports", '{"service":"x"}', headers)
                self.assertEqual(r.status, 415, r)
                self.assertEqual(r.json()["error"], "unsupported_media_type")

    def test_content_type_with_charset_is_accepted(self):
        r = self.srv.post_json(report(client="cs1"),
                               headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(r.status, 202, r)

    def test_empty_body_is_400(self):
        r = self.srv.request("POST", "/api/v1/reports", "", {"Content-Type": "application/json"})
        self.assertEqual(r.status, 400, r)

    def test_wrong_method_is_405_with_allow(self):
        r = self.srv.get("/api/v1/reports")
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.header("Allow"), "POST")

    def test_wrong_token_is_401(self):
        r = self.srv.post_json(report(), token="not-the-token")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error"], "unauthorized")

    def test_batch_mixing_good_and_bad_lines_keeps_the_good_ones(self):
        lines = [report(service="telegram", client="b1"), '{"service":"telegram"',
                 report(service="telegram", country="QQ"), "",
                 report(service="nosuch"), report(service="telegram", client="b2")]
        r = self.srv.post_ndjson(lines)
        self.assertEqual(r.status, 202, r)
        body = r.json()
        self.assertEqual(body["accepted"], 2)
        self.assertEqual(body["rejected"], 3)
        errors = {e["line"]: e["error"] for e in body["errors"]}
        self.assertEqual(errors, {2: "invalid_json", 3: "invalid_country", 5: "unknown_service"})

    def test_batch_of_only_bad_lines_is_400_with_line_errors(self):
        r = self.srv.post_ndjson(['{"a":1}', "nope"])
        self.assertEqual(r.status, 400, r)
        body = r.json()
        self.assertEqual(body["error"], "no_valid_reports")
        self.assertEqual([e["line"] for e in body["errors"]], [1, 2])

    def test_large_batch_is_accepted_whole(self):
        lines = [report(service="discord", client="big%05d" % i) for i in range(20000)]
        r = self.srv.post_ndjson(lines)
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json()["accepted"], 20000)
        self.assertEqual(r.json()["counted"], 20000)

    def test_oversized_content_length_is_413_before_the_body_is_read(self):
        # Announce 100 MB, send nothing: the answer must come without the body.
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000000\r\n\r\n")
        data = s.recv(4096).decode()
        s.close()
        self.assertIn(" 413 ", data.split("\r\n")[0])
        self.assertIn("body_too_large", data)

    def test_oversized_chunked_body_gets_its_connection_closed(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        try:
            for _ in range(200):  # 13 MB > 8 MiB limit
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        s.close()
        self.assertNotIn(b" 202 ", data)
        self.assertEqual(data, b"", "expected the connection to be closed without an answer")

    def test_content_length_with_transfer_encoding_is_refused(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        data = s.recv(4096).decode()
        s.close()
        self.assertIn(" 400 ", data.split("\r\n")[0])

    def test_huge_headers_are_refused(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
        data = s.recv(4096).decode(errors="replace")
        s.close()
        status = int(data.split(" ")[1])
        self.assertIn(status, (413, 431), data[:200])

    def test_keep_alive_and_pipelining_answer_every_request_in_order(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        body = b'{"service":"spotify","problem":"app","client":"pipe%d"}'
        reqs = b""
        for i in range(5):
            b = body % i
            reqs += (b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(b), b))
        s.sendall(reqs)
        data = b""
        while data.count(b"HTTP/1.1 202") < 5:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertEqual(data.count(b"HTTP/1.1 202"), 5)

    def test_unknown_paths_are_404_json(self):
        r = self.srv.get("/api/v1/nothing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"], "not_found")


class SlowClientTest(unittest.TestCase):
    def test_headers_dripped_a_byte_at_a_time_are_cut_off_by_the_header_timeout(self):
        with Server("--header_timeout", "2", "--idle_timeout", "30") as srv:
            slow = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            request = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
            start = time.time()
            closed_after = None
            for byte in request:
                try:
                    slow.sendall(bytes([byte]))
                    # A normal client is served meanwhile.
                    self.assertEqual(srv.post_json(report(client="n%d" % byte)).status, 202)
                    slow.settimeout(0.5)
                    if slow.recv(1) == b"":
                        closed_after = time.time() - start
                        break
                except socket.timeout:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.time() - start
                    break
                if time.time() - start > 15:
                    break
            slow.close()
            self.assertIsNotNone(closed_after, "the dripping connection was never closed")
            self.assertLess(closed_after, 6)

    def test_an_idle_keep_alive_connection_is_closed(self):
        with Server("--header_timeout", "1", "--idle_timeout", "30") as srv:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            data = s.recv(65536)
            self.assertIn(b"200 OK", data)
            start = time.time()
            self.assertEqual(s.recv(65536), b"")  # closed by the server
            self.assertLess(time.time() - start, 5)
            s.close()


class ConnectionLimitTest(unittest.TestCase):
    def test_connections_beyond_the_per_address_limit_are_refused(self):
        with Server("--max_connections_per_ip", "4") as srv:
            held = [socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                    for _ in range(4)]
            # Each held connection answers once, so the server has accepted
            # all four (over several event loops) before the fifth arrives.
            for s in held:
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertIn(b"200 OK", s.recv(4096))
            extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            try:
                extra.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(extra.recv(4096), b"")  # closed unanswered
            except ConnectionResetError:
                pass
            extra.close()
            held.pop().close()
            time.sleep(0.2)
            self.assertEqual(srv.get("/api/v1/health").status, 200)
            for s in held:
                s.close()


if __name__ == "__main__":
    unittest.main()
