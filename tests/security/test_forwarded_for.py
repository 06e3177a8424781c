"""Issue 10, item 8: with TONGDAI_TRUST_FORWARDED_FOR the leftmost
X-Forwarded-For entry, which the client writes, was taken as the client. Each
proxy appends the address it was reached from: the client is the entry as many
places from the right as there are proxies of ours."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.settings import Settings


async def _client(tmp_path, **settings):
    app = await create_app(Settings(data_dir=tmp_path / "data", **settings))
    return TestClient(TestServer(app))


async def test_a_spoofed_leftmost_entry_does_not_reset_the_brute_force_guard(tmp_path):
    async with await _client(tmp_path, trust_forwarded_for=1, lookup_max_failures=3) as client:
        statuses = []
        for i in range(6):
            # Our proxy appended 203.0.113.7; the attacker wrote a new address before it each time,
            # and guesses another code each time, so only the address key can stop it.
            headers = {"X-Forwarded-For": f"10.9.{i}.1, 203.0.113.7"}
            statuses.append((await client.get(f"/api/v1/dossiers/GUESS-{i}?verify=0000", headers=headers)).status)
        assert statuses == [404, 404, 404, 429, 429, 429]


async def test_a_spoofed_leftmost_entry_does_not_escape_the_rate_limit(tmp_path):
    async with await _client(tmp_path, trust_forwarded_for=2, public_rate_limits="assistant=5/min") as client:
        statuses = []
        for i in range(8):
            # Two proxies of ours: the client's own address is second from the right.
            headers = {"X-Forwarded-For": f"10.9.{i}.1, 198.51.100.4, 10.0.0.2"}
            body = {"sender": f"s-{i}", "text": "xin chào"}
            statuses.append((await client.post("/api/v1/assistant/messages", json=body, headers=headers)).status)
        assert statuses == [200] * 5 + [429] * 3
        # The same trick split over two headers changes nothing either.
        headers = [("X-Forwarded-For", "10.99.0.1"), ("X-Forwarded-For", "198.51.100.4, 10.0.0.2")]
        again = await client.post("/api/v1/assistant/messages", json={"sender": "x", "text": "a"}, headers=headers)
        assert again.status == 429


async def test_without_trusted_proxies_the_header_is_ignored(tmp_path):
    async with await _client(tmp_path, public_rate_limits="assistant=2/min") as client:
        statuses = []
        for i in range(4):
            headers = {"X-Forwarded-For": f"10.9.{i}.1"}
            body = {"sender": f"s-{i}", "text": "xin chào"}
            statuses.append((await client.post("/api/v1/assistant/messages", json=body, headers=headers)).status)
        assert statuses == [200, 200, 429, 429]


def test_the_setting_counts_proxies_and_still_reads_the_old_switch():
    hops = [Settings.from_env({"TONGDAI_TRUST_FORWARDED_FOR": v}).trust_forwarded_for for v in ("true", "false", "2")]
    assert hops == [1, 0, 2]
    assert Settings().trust_forwarded_for == 0
