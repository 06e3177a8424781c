"""Issue 10, item 2: the brute-force guard bypassed through the public
assistant. Before: TRACUU failures were keyed on the `sender` the client
chooses and the free-text dialogue had no asker key at all, so fresh sender
ids gave endless guesses from one address; the per-code key let one client
lock any dossier for everyone; and `fail()` scanned every key (26-48 ms a
call at 100,000 keys) with no bound on memory."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from contact_center.status import NOT_FOUND
from hub.api.guard import FailureLimiter
from hub.app import SERVICE
from hub.keys import LOOKUP_GUARD
from tests.support.addresses import from_address
from tests.support.dossiers import DOSSIER

pytestmark = pytest.mark.timeout(120)

CODE = "BD-261120-0042"
RIGHT = DOSSIER["applicant"]["phone"][-4:]
STATUS = f"Hồ sơ {CODE} (Đăng ký khai sinh)"
_senders = itertools.count()


def fresh_sender() -> str:
    return f"attacker-{next(_senders)}"


@pytest.fixture
async def ready(client, auth):
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)).status == 201
    # The built-in engine trains in the background (cached after the first time).
    await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)
    return client


async def say(who, text: str, sender: str) -> str:
    response = await who.post("/api/v1/assistant/messages", json={"sender": sender, "text": text})
    assert response.status == 200, await response.text()
    return "\n".join(r["text"] for r in (await response.json())["replies"])


async def test_tracuu_with_a_fresh_sender_each_time_counts_against_the_address(ready, settings):
    async with from_address(ready, "127.0.0.2") as attacker:
        for n in range(settings.lookup_max_failures):
            miss = await say(attacker, f"TRACUU BD-261120-9{n:03d} {RIGHT}", fresh_sender())
            assert miss == NOT_FOUND
        hit = await say(attacker, f"TRACUU {CODE} {RIGHT}", fresh_sender())
        assert hit == NOT_FOUND  # limited, and told so as a miss: no hint for whoever is guessing
    async with from_address(ready, "127.0.0.3") as citizen:
        assert (await say(citizen, f"TRACUU {CODE} {RIGHT}", fresh_sender())).startswith(STATUS)


async def test_the_free_text_dialogue_counts_against_the_address(ready, settings):
    async def dialogue(who, code: str, digits: str) -> str:
        sender = fresh_sender()
        assert "mã hồ sơ" in await say(who, "tra cứu hồ sơ", sender)
        assert "4 số cuối" in await say(who, code, sender)
        return await say(who, digits, sender)

    async with from_address(ready, "127.0.0.4") as attacker:
        for n in range(settings.lookup_max_failures):
            assert await dialogue(attacker, f"BD-261120-9{n:03d}", RIGHT) == NOT_FOUND
        assert await dialogue(attacker, CODE, RIGHT) == NOT_FOUND
    async with from_address(ready, "127.0.0.5") as citizen:
        assert (await dialogue(citizen, CODE, RIGHT)).startswith(STATUS)


async def test_one_client_cannot_lock_a_dossier_for_its_owner(ready, settings):
    async with from_address(ready, "127.0.0.6") as prankster:
        for _ in range(19):
            assert await say(prankster, f"TRACUU {CODE} 0000", fresh_sender()) == NOT_FOUND
    async with from_address(ready, "127.0.0.7") as owner:
        assert (await say(owner, f"TRACUU {CODE} {RIGHT}", fresh_sender())).startswith(STATUS)
    # The trade-off hub/lookup.py documents: enough addresses together do lock
    # the code (the per-code limit), which is what stops a distributed guess.
    per_address, per_code = settings.lookup_max_failures, settings.lookup_max_failures_per_code
    for n in range(8, 8 + -(-(per_code - per_address) // per_address)):
        async with from_address(ready, f"127.0.0.{n}") as helper:
            for _ in range(per_address):
                await say(helper, f"TRACUU {CODE} 0000", fresh_sender())
    async with from_address(ready, "127.0.0.30") as owner:
        assert await say(owner, f"TRACUU {CODE} {RIGHT}", fresh_sender()) == NOT_FOUND


async def test_the_public_api_and_the_assistant_share_one_allowance(ready, settings):
    async with from_address(ready, "127.0.0.31") as attacker:
        for n in range(settings.lookup_max_failures):
            response = await attacker.get(f"/api/v1/dossiers/BD-261120-9{n:03d}", params={"verify": RIGHT})
            assert response.status == 404
        assert await say(attacker, f"TRACUU {CODE} {RIGHT}", fresh_sender()) == NOT_FOUND


@pytest.mark.timeout(60)
async def test_memory_is_bounded_and_recent_failures_still_count(ready, settings):
    guard = ready.app[LOOKUP_GUARD]
    for n in range(200_000):
        guard.fail(f"addr:10.{n}", f"code:X-{n}")
        if n % 20_000 == 0:
            assert len(guard) <= guard.max_keys
    assert len(guard) <= guard.max_keys
    for _ in range(settings.lookup_max_failures):
        guard.fail("addr:latest")
    assert guard.retry_after("addr:latest") is not None


def test_an_asker_cannot_flood_keys_to_evict_its_own_count():
    guard = FailureLimiter(limit=5, window=900, max_keys=50)
    counted = 0
    for n in range(1_000):
        keys = ("addr:attacker", f"code:X-{n}")
        if guard.retry_after(*keys) is None:
            guard.fail(*keys)
            counted += 1
    assert counted == 5 and len(guard) <= 50


def test_the_stalest_key_is_evicted_first():
    clock = iter(range(10_000)).__next__
    guard = FailureLimiter(limit=2, window=10_000, clock=lambda: float(clock()), max_keys=3)
    guard.fail("a")
    guard.fail("b")
    guard.fail("a")  # a failed last: b is the stalest now
    guard.fail("c")
    guard.fail("d")
    assert guard.retry_after("a") is not None  # a's two failures are both kept
    assert len(guard) == 3 and guard.evicted == 1
    guard.fail("b")
    assert guard.retry_after("b") is None  # b came back with a single failure: it was the one evicted
