"""A bus that keeps everything in memory and records what was published.

It is a real Bus: subscribers get each message at least once, messages with
the same key in order, failures retried with the same backoff as the durable
bus and parked as dead letters when they give up. What it does not do is
survive its process. Tests use it where a store-backed bus would only add a
database to set up, and read `published` to see what a component said."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.bus.backoff import next_attempt
from hub.bus.port import BatchHandler, Bus, Handler
from hub.store.port import DeadLetter
from models.events import Message
from models.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Delivery:
    state: str = "new"  # new | retry | done | dead
    attempts: int = 0
    next_at: float | None = None
    error: str | None = None
    updated_at: str = ""


class RecordingBus(Bus):
    def __init__(
        self,
        *,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        clock: Callable[[], float] = time.time,
    ):
        self.published: list[Message] = []
        self.clock = clock
        self._retry: dict[str, Any] = dict(max_attempts=max_attempts, base=backoff_base, cap=backoff_cap)
        self._subscribers: dict[str, dict[str, Handler]] = defaultdict(dict)
        self._batch: dict[str, tuple[frozenset[str], BatchHandler]] = {}
        self._deliveries: dict[tuple[str, str], _Delivery] = {}
        self._unsettled: list[Message] = []
        self._dead: list[tuple[int, Message, str]] = []
        self._dead_ids = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None

    # the Bus port

    def subscribe(self, message_type: type[Message], name: str, handler: Handler) -> None:
        self._subscribers[message_type.__name__][name] = handler

    def subscribe_batch(self, message_types: tuple[type[Message], ...], name: str, handler: BatchHandler) -> None:
        self._batch[name] = (frozenset(t.__name__ for t in message_types), handler)

    async def publish(self, *messages: Message) -> None:
        self.published.extend(messages)
        self._unsettled.extend(messages)
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="recording-bus")

    async def stop(self, grace: float = 10.0) -> None:
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=grace)
        if not done:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def wait_idle(self, within: float = 10.0) -> None:
        self._idle.clear()
        self._wake.set()
        waiter = asyncio.ensure_future(self._idle.wait())
        done, _ = await asyncio.wait({waiter}, timeout=within)
        if not done:
            waiter.cancel()
            raise TimeoutError(f"bus still busy after {within} s")

    # what a test asks, in the shape the store's outbox answers it

    def of_type(self, message_type: type[Message]) -> list[Message]:
        return [m for m in self.published if isinstance(m, message_type)]

    def clear(self) -> None:
        self.published.clear()

    async def count_pending(self) -> int:
        return len(self._unsettled)

    async def deliveries(self, message_id: str) -> dict[str, tuple[str, int, float | None]]:
        return {
            name: (d.state, d.attempts, d.next_at) for (mid, name), d in self._deliveries.items() if mid == message_id
        }

    async def dead_letters(self) -> list[DeadLetter]:
        letters = []
        for letter_id, message, name in self._dead:
            d = self._deliveries[(message.message_id, name)]
            letters.append(
                DeadLetter(
                    letter_id, message.message_id, type(message).__name__, name, d.attempts, d.error or "", d.updated_at
                )
            )
        return letters

    async def retry_dead_letter(self, dead_letter_id: int) -> bool:
        for i, (letter_id, message, name) in enumerate(self._dead):
            if letter_id == dead_letter_id:
                del self._dead[i]
                self._deliveries[(message.message_id, name)] = _Delivery("retry", 0, self.clock())
                if message not in self._unsettled:
                    self._unsettled.append(message)
                self._wake.set()
                return True
        return False

    # dispatching

    def _names(self, type_name: str) -> list[str]:
        return [
            *self._subscribers.get(type_name, {}),
            *(name for name, (types, _) in self._batch.items() if type_name in types),
        ]

    def _delivery(self, message: Message, name: str) -> _Delivery:
        return self._deliveries.setdefault((message.message_id, name), _Delivery())

    def _due(self, message: Message, name: str, now: float) -> bool:
        d = self._delivery(message, name)
        return d.state == "new" or (d.state == "retry" and d.next_at is not None and d.next_at <= now)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                worked = await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch round failed")
                worked = False
            if worked:
                continue
            self._idle.set()
            waits = [d.next_at - self.clock() for d in self._deliveries.values() if d.next_at is not None]
            timer = loop.call_later(max(0.0, min(waits, default=1.0)), self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()
            self._wake.clear()

    async def _round(self) -> bool:
        now = self.clock()
        due = [m for m in self._unsettled if any(self._due(m, n, now) for n in self._names(type(m).__name__))]
        if not due:
            self._settle()
            return False
        by_key: dict[str, list[Message]] = defaultdict(list)
        for message in due:
            if type(message).__name__ in self._subscribers:
                by_key[message.key].append(message)
        await asyncio.gather(
            *(self._run_in_order(group, now) for group in by_key.values()),
            *(self._run_batch(due, name, now) for name in list(self._batch)),
        )
        self._settle()
        return True

    def _settle(self) -> None:
        self._unsettled = [
            m
            for m in self._unsettled
            if any(self._delivery(m, n).state not in ("done", "dead") for n in self._names(type(m).__name__))
        ]

    async def _run_in_order(self, messages: list[Message], now: float) -> None:
        for message in messages:
            for name, handler in list(self._subscribers.get(type(message).__name__, {}).items()):
                if self._due(message, name, now):
                    await self._outcome([message], name, handler, message)

    async def _run_batch(self, messages: list[Message], name: str, now: float) -> None:
        types, handler = self._batch[name]
        due = [m for m in messages if type(m).__name__ in types and self._due(m, name, now)]
        if due:
            await self._outcome(due, name, handler, due)

    async def _outcome(self, messages: list[Message], name: str, handler, argument) -> None:
        try:
            await handler(argument)
            error = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc
            log.warning("handler failed", extra={"handler": name, "error": repr(exc)})
        stamp = utcnow().isoformat(timespec="milliseconds")
        for message in messages:
            d = self._delivery(message, name)
            d.attempts += 1
            d.updated_at = stamp
            if error is None:
                d.state, d.next_at, d.error = "done", None, None
                continue
            d.next_at = next_attempt(error, d.attempts, self.clock(), **self._retry)
            d.state, d.error = ("retry" if d.next_at is not None else "dead"), repr(error)[:500]
            if d.state == "dead":
                self._dead_ids += 1
                self._dead.append((self._dead_ids, message, name))
