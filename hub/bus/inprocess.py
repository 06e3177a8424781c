"""The embedded bus: asyncio in one process, durable through the store's outbox.

Publishing writes to the outbox; the dispatcher reads new rows after a cursor,
hands each to every subscriber (messages with the same key in order), and
records each handler's outcome. What was not recorded as done runs again after
a restart, so delivery is at least once and handlers must be idempotent."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from hub.bus.backoff import next_attempt
from hub.bus.port import BatchHandler, Handler
from hub.store.port import DeliveryResult, Outbox, OutboxRow
from models.events import Message

log = logging.getLogger(__name__)

BATCH = 1024


class InProcessBus:
    def __init__(
        self,
        store: Outbox,
        *,
        concurrency: int = 16,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        poll_seconds: float = 1.0,
        clock: Callable[[], float] = time.time,
        metrics=None,
    ):
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self._subscribers: dict[str, dict[str, Handler]] = defaultdict(dict)
        self._batch: dict[str, tuple[frozenset[str], BatchHandler]] = {}
        self._names_cache: dict[str, list[str]] = {}
        self._limit = asyncio.Semaphore(concurrency)
        self._retry: dict[str, Any] = dict(max_attempts=max_attempts, base=backoff_base, cap=backoff_cap)
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._cursor = 0
        self._rounds = 0  # dispatch rounds begun
        self._idle_after = 0  # the round that last found nothing to do
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._unrecorded: list[DeliveryResult] = []
        self._recorder: asyncio.Task | None = None
        store.on_outbox_append(self._wake.set)

    def subscribe(self, message_type: type[Message], name: str, handler: Handler) -> None:
        self._subscribers[message_type.__name__][name] = handler
        self._names_cache.clear()

    def subscribe_batch(self, message_types: tuple[type[Message], ...], name: str, handler: BatchHandler) -> None:
        self._batch[name] = (frozenset(t.__name__ for t in message_types), handler)
        self._names_cache.clear()

    def _names(self, type_name: str) -> list[str]:
        names = self._names_cache.get(type_name)
        if names is None:
            names = self._names_cache[type_name] = [
                *self._subscribers.get(type_name, {}),
                *(name for name, (types, _) in self._batch.items() if type_name in types),
            ]
        return names

    async def publish(self, *messages: Message) -> None:
        await self.store.append_outbox(list(messages))

    async def start(self) -> None:
        self._cursor = await self.store.outbox_first_pending() - 1
        self._task = asyncio.create_task(self._run(), name="bus-dispatcher")

    async def stop(self, grace: float = 10.0) -> None:
        """Let the round in progress finish (its outcomes get recorded), then end."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=grace)
        if not done:  # a handler is stuck; what it was doing runs again after restart
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def wait_idle(self, within: float = 10.0) -> None:
        # Only a round begun after this call counts: one that read the outbox
        # before a publish committed would report idle with that row unseen.
        since = self._rounds
        deadline = time.monotonic() + within
        while self._idle_after <= since:
            self._idle.clear()
            self._wake.set()
            waiter = asyncio.ensure_future(self._idle.wait())
            done, _ = await asyncio.wait({waiter}, timeout=max(0.0, deadline - time.monotonic()))
            if not done:
                waiter.cancel()
                raise TimeoutError(f"bus still busy after {within} s")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._rounds += 1
            this_round = self._rounds
            try:
                worked = await self._dispatch_new() | await self._dispatch_retries()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store hiccuped; the rows are still there next time
                log.exception("dispatch round failed")
                worked = False
            if worked:
                continue
            self._idle_after = this_round
            self._idle.set()
            # A timer that sets the event, rather than wait_for/timeout: on 3.11
            # those can swallow a cancellation that races the timeout.
            timer = loop.call_later(self._poll, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()
            self._wake.clear()

    async def _dispatch_new(self) -> bool:
        rows = await self.store.outbox_after(self._cursor, BATCH)
        if rows:
            await self._dispatch(rows)
            self._cursor = rows[-1].id
        return bool(rows)

    async def _dispatch_retries(self) -> bool:
        due = await self.store.due_retries(self.clock(), BATCH)
        if due:
            await self._dispatch(await self.store.outbox_by_ids(due))
        return bool(due)

    async def _dispatch(self, rows: list[OutboxRow]) -> None:
        by_key: dict[str, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            if row.type in self._subscribers:  # only rows that one-at-a-time handlers want
                by_key[row.key].append(row)
        outcomes = await asyncio.gather(
            *(self._run_in_order(group) for group in by_key.values()),
            *(self._run_batch(rows, name) for name in self._batch),
        )
        settled = {(r.message_id, r.handler) for group in outcomes for r in group if r.state != "retry"}
        dispatched = [
            row.id
            for row in rows
            if all(
                row.deliveries.get(name, ("",))[0] in ("done", "dead") or (row.message_id, name) in settled
                for name in self._names(row.type)
            )
        ]
        while self._recorder is not None and not self._recorder.done():
            await self._recorder
        await self.store.record_deliveries(self._take_unrecorded(), dispatched)

    async def _run_in_order(self, rows: list[OutboxRow]) -> list[DeliveryResult]:
        results = []
        for row in rows:
            for name, handler in self._subscribers.get(row.type, {}).items():
                state, attempts, next_at = row.deliveries.get(name, ("new", 0, None))
                if state in ("done", "dead") or (state == "retry" and next_at is not None and next_at > self.clock()):
                    continue
                async with self._limit:
                    result = await self._deliver(row, name, handler, attempts + 1)
                results.append(result)
                self._record_soon(result)
        return results

    def _due(self, row: OutboxRow, name: str) -> tuple[bool, int]:
        state, attempts, next_at = row.deliveries.get(name, ("new", 0, None))
        return not (
            state in ("done", "dead") or (state == "retry" and next_at is not None and next_at > self.clock())
        ), attempts

    async def _run_batch(self, rows: list[OutboxRow], name: str) -> list[DeliveryResult]:
        """One call for every due row of the handler's types, in outbox order (so
        per-key order holds); the outcome applies to each row alike."""
        types, handler = self._batch[name]
        due = [
            (row, attempts)
            for row in rows
            if row.type in types
            for runnable, attempts in [self._due(row, name)]
            if runnable
        ]
        if not due:
            return []
        try:
            await handler([Message.from_dict(row.type, row.payload) for row, _ in due])
            error = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc
        results = []
        for row, attempts in due:
            if error is None:
                results.append(DeliveryResult(row.message_id, name, "done", attempts + 1))
                continue
            when = next_attempt(error, attempts + 1, self.clock(), **self._retry)
            results.append(
                DeliveryResult(
                    row.message_id, name, "retry" if when is not None else "dead", attempts + 1, when, repr(error)[:500]
                )
            )
        if error is not None:
            log.warning("batch handler failed", extra={"handler": name, "messages": len(due), "error": repr(error)})
        if self.metrics:
            for result in results:
                (
                    self.metrics.handler_done(name)
                    if result.state == "done"
                    else self.metrics.handler_failed(name, result.state)
                )
        for result in results:
            self._record_soon(result)
        return results

    def _record_soon(self, result: DeliveryResult) -> None:
        # Record each outcome as soon as it is known, many per commit, so that a
        # crash re-runs only the handlers that were in flight.
        self._unrecorded.append(result)
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_pending())

    def _take_unrecorded(self) -> list[DeliveryResult]:
        batch, self._unrecorded = self._unrecorded, []
        return batch

    async def _record_pending(self) -> None:
        while self._unrecorded:
            batch = self._take_unrecorded()
            try:
                await self.store.record_deliveries(batch, [])
            except Exception:
                # Keep them for the end-of-round commit, which raises if the store is still down.
                self._unrecorded[:0] = batch
                log.exception("recording deliveries failed; will retry at end of round")
                return

    async def _deliver(self, row: OutboxRow, name: str, handler: Handler, attempt: int) -> DeliveryResult:
        try:
            await handler(Message.from_dict(row.type, row.payload))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            when = next_attempt(exc, attempt, self.clock(), **self._retry)
            state = "retry" if when is not None else "dead"
            log.warning(
                "handler failed",
                extra={
                    "handler": name,
                    "message_id": row.message_id,
                    "attempt": attempt,
                    "state": state,
                    "error": repr(exc),
                },
            )
            if self.metrics:
                self.metrics.handler_failed(name, state)
            return DeliveryResult(row.message_id, name, state, attempt, when, repr(exc)[:500])
        if self.metrics:
            self.metrics.handler_done(name)
        return DeliveryResult(row.message_id, name, "done", attempt)
