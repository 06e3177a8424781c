"""Issue 10, item 4: the unauthenticated assistant endpoint flooded from one
address (5,012 messages in 10 s, 1,237 open escalations in 5 s). Every public
endpoint is rate-limited per client address and per sender, answered 429 with
Retry-After; a sender holds at most one open escalation."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.sms_gateway_webhooks import sign
from hub.api.ratelimit import DEFAULT_RATES, TokenBuckets, address_key, parse_public_rates
from hub.app import SERVICE, create_app
from hub.keys import STORE
from hub.settings import Settings
from hub.store.port import InboundRecord
from models.citizen import Channel
from tests.support.clock import FakeClock
from tests.support.dossiers import DOSSIER
from tests.support.sms_gateway import SECRET, config

ASSISTANT = "/api/v1/assistant/messages"
BURST = 5000


async def _client(tmp_path, **settings):
    app = await create_app(Settings(data_dir=tmp_path / "data", bus_poll_seconds=0.05, **settings))
    return TestClient(TestServer(app))


async def _ready(client) -> None:
    # The built-in engine trains in the background (cached after the first time).
    await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)


async def _count(client, sql: str) -> int:
    [(n,)] = await client.app[STORE].db.reader.execute_fetchall(sql)
    return n


async def _burst(client, bodies, headers=None) -> tuple[Counter, list]:
    statuses: Counter = Counter()
    refused: list = []

    async def send(body) -> None:
        response = await client.post(ASSISTANT, json=body, headers=headers)
        statuses[response.status] += 1
        if response.status == 429 and len(refused) < 3:
            refused.append((dict(response.headers), await response.json()))

    for start in range(0, len(bodies), 250):
        await asyncio.gather(*(send(body) for body in bodies[start : start + 250]))
    return statuses, refused


async def test_a_burst_from_one_address_is_refused_and_stores_a_bounded_number_of_rows(client):
    bodies = [{"sender": f"flood-{i}", "text": f"tin nhắn {i}"} for i in range(BURST)]
    statuses, refused = await _burst(client, bodies)
    assert set(statuses) == {200, 429}, statuses
    allowed, _ = DEFAULT_RATES["assistant"]
    # The bucket's burst, plus what refills while the burst is sent.
    assert statuses[200] <= allowed + 10 and statuses[429] >= BURST - allowed - 10, statuses
    stored = await _count(client, "SELECT count(*) FROM conversation_messages WHERE direction = 'in'")
    assert stored == statuses[200]
    headers, body = refused[0]
    assert int(headers["Retry-After"]) >= 1
    assert body["error"] == "too_many_requests" and "thử lại sau" in body["message"]


async def test_many_senders_from_one_address_open_a_bounded_number_of_escalations(client, auth):
    await _ready(client)
    bodies = [{"sender": f"bury-{i}", "text": "cho tôi gặp cán bộ"} for i in range(1000)]
    statuses, _ = await _burst(client, bodies)
    escalations = (await (await client.get("/api/v1/escalations", headers=auth)).json())["escalations"]
    assert 0 < len(escalations) == statuses[200] <= DEFAULT_RATES["assistant"][0] + 10


async def test_one_sender_is_limited_whatever_address_it_writes_from(tmp_path):
    # Behind one trusted proxy each request comes from another client address.
    async with await _client(tmp_path, trust_forwarded_for=1) as client:
        bodies = [{"sender": "same-session", "text": f"tin {i}"} for i in range(40)]
        statuses: Counter = Counter()
        for i, body in enumerate(bodies):
            headers = {"X-Forwarded-For": f"198.51.100.{i}"}
            statuses[(await client.post(ASSISTANT, json=body, headers=headers)).status] += 1
        per_sender, _ = DEFAULT_RATES["assistant_sender"]
        assert statuses == {200: per_sender, 429: len(bodies) - per_sender}
        other = await client.post(ASSISTANT, json={"sender": "another", "text": "xin chào"})
        assert other.status == 200


async def test_lookups_with_the_right_digits_are_limited_too(client, auth):
    # The brute-force guard counts failures only; scraping one's own dossier does not fail.
    code = "BD-261120-0042"
    assert (await client.put(f"/api/v1/dossiers/{code}", json=DOSSIER, headers=auth)).status == 201
    statuses = Counter()
    for _ in range(100):
        statuses[(await client.get(f"/api/v1/dossiers/{code}?verify=4321")).status] += 1
    allowed, _ = DEFAULT_RATES["lookup"]
    assert allowed <= statuses[200] <= allowed + 2 and statuses[429] == 100 - statuses[200], statuses


async def test_a_signed_webhook_is_limited_per_verified_sender(tmp_path):
    gateway = {**config("http://127.0.0.1:9/sms"), "inbound_secret": SECRET}
    async with await _client(tmp_path, sms_gateways=json.dumps([gateway])) as client:

        async def post(phone: str, i: int):
            raw = orjson.dumps({"from": phone, "text": "xin chào", "id": f"{phone}-{i}"})
            headers = {"Content-Type": "application/json", "X-Signature": sign(SECRET, raw)}
            return await client.post("/webhooks/sms/vnpt/inbound", data=raw, headers=headers)

        per_sender, _ = DEFAULT_RATES["webhook_sender"]
        statuses = Counter([(await post("0912345678", i)).status for i in range(per_sender + 5)])
        assert statuses == {200: per_sender, 429: 5}
        # Another citizen through the same gateway (the same address) is not held up.
        assert (await post("0987654321", 0)).status == 200


async def test_a_sender_holds_one_open_escalation_across_conversations(client):
    store = client.app[STORE]
    conversations = []
    for i in range(3):
        # Mail without references starts a conversation each time, from the same address.
        record = InboundRecord(
            channel=Channel.EMAIL,
            address="nguoi.gui@example.vn",
            text=f"cần gặp cán bộ {i}",
            provider_message_id=f"<m{i}@example.vn>",
            threads_by_reference=True,
        )
        conversations.append((await store.add_inbound(record, lambda _: [])).conversation_id)
    assert len(set(conversations)) == 3
    outcomes = [await store.escalate(c, "request_human") for c in conversations]
    assert outcomes[0] is not None and outcomes[1:] == [None, None]
    assert len(await store.list_escalations(state="open")) == 1


def test_buckets_stay_bounded_and_refill():
    clock = FakeClock(0.0)
    buckets = TokenBuckets(3, 60.0, capacity=1000, clock=clock)
    for i in range(100_000):
        buckets.take(f"10.0.{i // 256}.{i % 256}")
    assert len(buckets) == 1000
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(20.0)
    clock.advance(20.0)
    assert buckets.take("a") == 0


def test_rates_are_configurable_and_can_be_lifted():
    assert parse_public_rates("off") is None
    assert parse_public_rates("assistant=5/s")["assistant"] == (5, 1.0)
    assert parse_public_rates("")["assistant_sender"] == DEFAULT_RATES["assistant_sender"]
    with pytest.raises(ValueError, match="assistant=5"):
        parse_public_rates("assistant=5")


def test_an_ipv6_client_is_its_whole_slash_64():
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("203.0.113.7") == "203.0.113.7"
