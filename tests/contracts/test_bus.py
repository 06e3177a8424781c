"""One contract, every bus backend: in-process over every store, and the
recording bus. Restarts are for the durable ones only."""

from __future__ import annotations

import asyncio
import random

import pytest

from hub.bus.backoff import next_attempt
from hub.bus.inprocess import InProcessBus
from models.errors import PermanentError, RetryableError
from models.events import DossierUpdated


def make_bus(store, **options) -> InProcessBus:
    defaults = dict(poll_seconds=0.02, backoff_base=0.01, backoff_cap=0.02, max_attempts=4)
    defaults.update(options)
    return InProcessBus(store, **defaults)


def msg(code="X", n=0) -> DossierUpdated:
    return DossierUpdated(code=code, changed=(f"field{n}",))


@pytest.fixture
async def running(bus_backend):
    buses = []
    defaults = dict(poll_seconds=0.02, backoff_base=0.01, backoff_cap=0.02, max_attempts=4)

    async def start(**options):
        bus = bus_backend.make(**{**defaults, **options})
        buses.append(bus)
        return bus

    yield start
    for bus in buses:
        await bus.stop()


@pytest.fixture
def outbox(bus_backend):
    return bus_backend


async def test_every_subscriber_gets_each_message_once(outbox, running):
    bus = await running()
    seen = {"a": [], "b": []}
    bus.subscribe(DossierUpdated, "a", lambda m: _append(seen["a"], m))
    bus.subscribe(DossierUpdated, "b", lambda m: _append(seen["b"], m))
    await bus.start()
    sent = [msg(n=i) for i in range(30)]
    await bus.publish(*sent)
    await bus.wait_idle()
    ids = [m.message_id for m in sent]
    assert [m.message_id for m in seen["a"]] == ids and [m.message_id for m in seen["b"]] == ids
    assert seen["a"][0] == sent[0]  # the message arrives whole, as the dataclass it was
    assert await outbox.count_pending() == 0


async def _append(target, message):
    target.append(message)


async def test_same_key_in_order_even_when_handlers_run_concurrently(outbox, running):
    bus = await running(concurrency=8)
    order: dict[str, list[int]] = {}

    async def slow(message):
        await asyncio.sleep(random.random() / 500)
        order.setdefault(message.code, []).append(int(message.changed[0][5:]))

    bus.subscribe(DossierUpdated, "slow", slow)
    await bus.start()
    await bus.publish(*[msg(code=f"K{k}", n=i) for i in range(20) for k in range(5)])
    await bus.wait_idle()
    assert order == {f"K{k}": list(range(20)) for k in range(5)}


async def test_failures_retry_with_backoff_then_succeed(outbox, running):
    bus = await running()
    calls = []

    async def flaky(message):
        calls.append(message.message_id)
        if len(calls) < 3:
            raise ConnectionError("provider down")

    bus.subscribe(DossierUpdated, "flaky", flaky)
    await bus.start()
    m = msg()
    await bus.publish(m)
    for _ in range(200):
        if await outbox.count_pending() == 0:
            break
        await asyncio.sleep(0.01)
    assert calls == [m.message_id] * 3
    deliveries = await outbox.deliveries(m.message_id)
    assert deliveries["flaky"][:2] == ("done", 3)


async def test_permanent_failure_is_parked_at_once_and_can_be_retried(outbox, running):
    bus = await running()
    attempts = []

    async def picky(message):
        attempts.append(message.message_id)
        if len(attempts) == 1:
            raise PermanentError("template missing")

    bus.subscribe(DossierUpdated, "picky", picky)
    await bus.start()
    await bus.publish(msg())
    await bus.wait_idle()
    [letter] = await outbox.dead_letters()
    assert letter.handler == "picky" and "template missing" in letter.error and letter.attempts == 1
    assert await outbox.retry_dead_letter(letter.id)
    for _ in range(200):
        if len(attempts) == 2 and await outbox.count_pending() == 0:
            break
        await asyncio.sleep(0.01)
    assert len(attempts) == 2 and await outbox.dead_letters() == []


async def test_gives_up_after_max_attempts(outbox, running):
    bus = await running(max_attempts=3)
    calls = []

    async def broken(message):
        calls.append(1)
        raise RuntimeError("bug")

    bus.subscribe(DossierUpdated, "broken", broken)
    await bus.start()
    await bus.publish(msg())
    for _ in range(300):
        if await outbox.dead_letters():
            break
        await asyncio.sleep(0.01)
    [letter] = await outbox.dead_letters()
    assert letter.attempts == 3 and len(calls) == 3


async def test_restart_resumes_pending_and_never_reruns_what_succeeded(store):
    first = make_bus(store)
    done_a, done_b = [], []

    async def ok(message):
        done_a.append(message.message_id)

    async def down(message):
        # The provider's Retry-After keeps the next try past this bus's life:
        # with full jitter alone a slow machine could spend every attempt
        # before wait_idle returned and park the message as a dead letter.
        raise RetryableError("later", retry_after=0.3)

    first.subscribe(DossierUpdated, "a", ok)
    first.subscribe(DossierUpdated, "b", down)
    await first.publish(msg(n=1))  # published before any dispatcher runs
    await first.start()
    await first.wait_idle()
    await first.stop()
    assert len(done_a) == 1

    second = make_bus(store)
    second.subscribe(DossierUpdated, "a", ok)
    second.subscribe(DossierUpdated, "b", lambda m: _append(done_b, m))
    await second.start()
    for _ in range(500):
        if done_b and await store.count_pending() == 0:
            break
        await asyncio.sleep(0.01)
    await second.stop()
    assert len(done_a) == 1 and len(done_b) == 1


def test_backoff_grows_is_jittered_capped_and_honours_retry_after():
    rng = random.Random(7)
    opts = dict(max_attempts=8, base=1.0, cap=60.0, rng=rng)
    delays = [next_attempt(ConnectionError(), n, 100.0, **opts) - 100.0 for n in range(1, 8)]
    assert all(0 <= d <= min(60.0, 2 ** (n - 1)) for n, d in zip(range(1, 8), delays, strict=True))
    assert len(set(delays)) == len(delays)
    assert next_attempt(RetryableError("429", retry_after=30), 1, 100.0, **opts) >= 130.0
    assert next_attempt(PermanentError("no"), 1, 100.0, **opts) is None
    assert next_attempt(ConnectionError(), 8, 100.0, **opts) is None


async def test_a_batch_handler_gets_messages_in_publish_order_and_a_failure_retries_them_all(outbox, running):
    bus = await running()
    calls: list[list[str]] = []

    async def batch(messages):
        calls.append([m.message_id for m in messages])
        if len(calls) == 1:
            raise ConnectionError("bulk insert failed")

    bus.subscribe_batch((DossierUpdated,), "batch", batch)
    sent = [msg(code=f"B{i}", n=i) for i in range(5)]
    await bus.publish(*sent)  # before start: kept until a dispatcher runs
    await bus.start()
    for _ in range(200):
        if len(calls) >= 2 and await outbox.count_pending() == 0:
            break
        await asyncio.sleep(0.01)
    ids = [m.message_id for m in sent]
    assert calls[0] == ids
    # each message's retry comes when its own backoff says, maybe in calls of its own
    assert sorted(i for call in calls[1:] for i in call) == sorted(ids)
    for m in sent:
        assert (await outbox.deliveries(m.message_id))["batch"][:2] == ("done", 2)


async def test_stop_is_safe_twice_and_before_start(running):
    bus = await running()
    await bus.stop()
    await bus.start()
    await bus.stop()
    await bus.stop()
