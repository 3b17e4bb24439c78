"""Guard and origin over real HTTP: rate limits, repeat votes, vote shares
per address and network, trusted ts, GeoIP country fallback and trusted
proxies."""
import json
import unittest

from harness import Server, report, TOKEN


def series(srv, service, frm, to, step="1m", country=None):
    q = "/api/v1/services/%s/series?from=%s&to=%s&step=%s" % (service, frm, to, step)
    if country:
        q += "&country=" + country
    r = srv.get(q)
    assert r.status == 200, r
    return r.json()["points"]


class RateLimitTest(unittest.TestCase):
    def test_an_address_over_its_budget_gets_429_with_retry_after(self):
        with Server("--rate_limit", "0.5", "--rate_burst", "5") as srv:
            for i in range(5):
                self.assertEqual(srv.post_json(report(client="r%d" % i)).status, 202)
            r = srv.post_json(report(client="r6"))
            self.assertEqual(r.status, 429, r)
            self.assertEqual(r.json()["error"], "rate_limited")
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)
            # A batch costs one token per report: too big for the bucket.
            r = srv.post_ndjson([report(client="b%d" % i) for i in range(3)])
            self.assertEqual(r.status, 429, r)
            # The replay token is not rate limited.
            self.assertEqual(srv.post_json(report(client="r7"), token=TOKEN).status, 202)

    def test_a_rate_limited_report_is_not_stored(self):
        with Server("--rate_limit", "0.1", "--rate_burst", "1") as srv:
            self.assertEqual(srv.post_json(report(service="netflix", client="n1")).status, 202)
            self.assertEqual(srv.post_json(report(service="netflix", client="n2")).status, 429)
            health = srv.get("/api/v1/health").json()
            self.assertEqual(health["store"]["reports"], 1)


class VoteTest(unittest.TestCase):
    T0 = "2024-04-03T16:31:00Z"

    def test_a_repeat_vote_is_stored_but_not_counted(self):
        with Server("--vote_window", "60", "--rate_limit", "0") as srv:
            ts = ["2024-04-03T16:31:00Z", "2024-04-03T16:31:30Z", "2024-04-03T16:32:01Z"]
            counted = []
            for t in ts:
                r = srv.post_json(report(client="same", ts=t), token=TOKEN)
                self.assertEqual(r.status, 202, r)
                counted.append(r.json()["report"]["counted"])
            self.assertEqual(counted, [True, False, True])
            # The same client for another service is a separate vote.
            r = srv.post_json(report(service="instagram", client="same", ts=ts[1]), token=TOKEN)
            self.assertTrue(r.json()["report"]["counted"])
            pts = series(srv, "whatsapp", "2024-04-03T16:31:00Z", "2024-04-03T16:33:00Z")
            self.assertEqual([(p["reports"], p["clients"]) for p in pts], [(2, 1), (1, 1)])

    def test_reports_without_client_vote_by_address(self):
        with Server("--rate_limit", "0") as srv:
            a = srv.post_json(report(service="spotify"))
            b = srv.post_json(report(service="spotify"))
            self.assertTrue(a.json()["report"]["counted"])
            self.assertFalse(b.json()["report"]["counted"])

    def test_a_batch_repeating_one_client_counts_it_once(self):
        with Server("--rate_limit", "0") as srv:
            r = srv.post_ndjson([report(service="steam", client="dup")] * 50)
            self.assertEqual(r.json()["accepted"], 50)
            self.assertEqual(r.json()["counted"], 1)


class TimestampTest(unittest.TestCase):
    def test_ts_is_honoured_only_with_the_token(self):
        with Server() as srv:
            r = srv.post_json(report(client="t1", ts="2024-04-03T16:31:07Z"), token=TOKEN)
            self.assertEqual(r.json()["report"]["ts"], "2024-04-03T16:31:07Z")
            r = srv.post_json(report(client="t2", ts="2024-04-03T16:31:07Z"))
            self.assertEqual(r.status, 202)
            self.assertNotEqual(r.json()["report"]["ts"], "2024-04-03T16:31:07Z")

    def test_a_trusted_ts_far_in_the_future_is_refused(self):
        with Server() as srv:
            r = srv.post_json(report(ts="2999-01-01T00:00:00Z"), token=TOKEN)
            self.assertEqual(r.status, 400, r)
            self.assertEqual(r.json()["error"], "invalid_ts")


class CountryTest(unittest.TestCase):
    def test_loopback_without_country_is_zz(self):
        with Server() as srv:
            r = srv.post_json({"service": "whatsapp", "problem": "login", "client": "c1"})
            self.assertEqual(r.json()["report"]["country"], "ZZ")

    def test_forwarded_for_is_ignored_from_an_untrusted_peer(self):
        with Server() as srv:
            r = srv.post_json({"service": "whatsapp", "problem": "login", "client": "c2"},
                              headers={"X-Forwarded-For": "81.2.69.160"})
            self.assertEqual(r.json()["report"]["country"], "ZZ")

    def test_forwarded_for_from_a_trusted_proxy_gives_the_country(self):
        with Server("--trusted_proxies", "127.0.0.1") as srv:
            r = srv.post_json({"service": "whatsapp", "problem": "login", "client": "c3"},
                              headers={"X-Forwarded-For": "81.2.69.160"})
            self.assertEqual(r.json()["report"]["country"], "GB")
            r = srv.post_json({"service": "whatsapp", "problem": "login", "client": "c4"},
                              headers={"X-Forwarded-For": "81.2.69.160, 8.8.8.8"})
            self.assertEqual(r.json()["report"]["country"], "US")
            # An explicit country wins over the address.
            r = srv.post_json(report(country="BR", client="c5"),
                              headers={"X-Forwarded-For": "81.2.69.160"})
            self.assertEqual(r.json()["report"]["country"], "BR")

    def test_a_spoofed_first_forwarded_for_header_is_not_believed(self):
        # The client sends its own X-Forwarded-For (8.8.8.8, US); the proxy
        # adds a second header line with the real address (GB).
        with Server("--trusted_proxies", "127.0.0.1") as srv:
            body = b'{"service":"whatsapp","problem":"login","client":"c6"}'
            data = srv.raw(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\nX-Forwarded-For: 8.8.8.8\r\n"
                           b"X-Forwarded-For: 81.2.69.160\r\nConnection: close\r\n"
                           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            answer = json.loads(data.split(b"\r\n\r\n", 1)[1])
            self.assertEqual(answer["report"]["country"], "GB")


class ShareTest(unittest.TestCase):
    """Invented client ids do not multiply an address's or a network's
    weight: what the public counts show stays at the share."""

    def post_from(self, srv, address, client, service="telegram"):
        r = srv.post_json({"service": service, "problem": "login", "client": client},
                          headers={"X-Forwarded-For": address})
        self.assertEqual(r.status, 202, r)
        return r.json()["report"]["counted"]

    def public_clients(self, srv, service):
        r = srv.get("/api/v1/services/%s/series?step=1h" % service)
        self.assertEqual(r.status, 200, r)
        return sum(p["clients"] for p in r.json()["points"])

    def test_rotating_client_ids_from_one_address_count_four(self):
        with Server("--trusted_proxies", "127.0.0.1") as srv:
            counted = [self.post_from(srv, "81.2.69.160", "rot%04d" % i) for i in range(50)]
            self.assertEqual(sum(counted), 4)
            self.assertEqual(self.public_clients(srv, "telegram"), 4)
            # Another service, and another address, have their own shares.
            self.assertTrue(self.post_from(srv, "81.2.69.160", "rot0100", "signal"))
            self.assertTrue(self.post_from(srv, "8.8.8.8", "rot0101"))

    def test_one_network_counts_its_share_whatever_its_addresses(self):
        with Server("--trusted_proxies", "127.0.0.1", "--network_votes", "10") as srv:
            counted = [self.post_from(srv, "81.2.69.%d" % (10 + i), "net%04d" % i)
                       for i in range(20)]
            self.assertEqual(sum(counted), 10)
            self.assertTrue(self.post_from(srv, "81.2.70.1", "net0100"))
            self.assertEqual(self.public_clients(srv, "telegram"), 11)

    def test_a_network_over_its_rate_gets_429(self):
        with Server("--trusted_proxies", "127.0.0.1", "--network_rate_limit", "0.5",
                    "--network_rate_burst", "6") as srv:
            codes = []
            for i in range(8):
                r = srv.post_json({"service": "telegram", "problem": "login", "client": "r%d" % i},
                                  headers={"X-Forwarded-For": "81.2.69.%d" % (10 + i)})
                codes.append(r.status)
            self.assertEqual(codes[:6], [202] * 6)
            self.assertEqual(codes[6], 429)
            self.assertIn("network", r.json()["detail"])
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)

    def test_a_replay_with_the_token_has_no_share(self):
        with Server() as srv:
            lines = [report(client="tok%03d" % i, ts="2024-04-03T16:31:%02dZ" % i)
                     for i in range(40)]
            r = srv.post_ndjson(lines, token=TOKEN)
            self.assertEqual(r.json()["counted"], 40, r)


if __name__ == "__main__":
    unittest.main()
