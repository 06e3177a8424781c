"""Sending: due notifications are routed, held for quiet hours and rate limits,
rendered, handed to their channel's provider, and their outcome recorded.

The notifications table is the queue. A round reads what is due, claims it
(compare-and-set on next_at, which doubles as a lease), records each attempt
before calling the provider, and records every outcome in one commit. A crash
mid-send leaves the attempt in `sending`; when the lease runs out it is sent
again under the same attempt id, which providers use as an idempotency key."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable

from channels.port import Outgoing, Sent
from channels.registry import Channels
from hub.store.port import Store
from models.citizen import Channel, Citizen
from models.errors import PermanentError, RetryableError
from models.events import new_id
from models.notifications import DeliveryAttempt, DeliveryStatus, Notification
from models.privacy import mask_text
from notify.links import Links

log = logging.getLogger(__name__)

S = DeliveryStatus
# Fall back from these: the channel was given up on.
GIVEN_UP = frozenset({S.PERMANENT_FAILURE, S.TECHNICAL_FAILURE})


@dataclass(frozen=True, slots=True)
class Policy:
    max_attempts: int = 5  # per channel, for temporary failures
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    lease: float = 120.0
    batch: int = 256


@dataclass(slots=True)
class _Step:
    """What a round decided for one notification."""

    update: Notification
    attempt: DeliveryAttempt | None = None
    outgoing: Outgoing | None = None
    provider: object | None = None


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="milliseconds")


class Sender:
    def __init__(self, store: Store, channels: Channels, templates, *, quiet, limiter, links: Links,
                 org: dict, policy: Policy = Policy(), clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None):
        self.store = store
        self.channels = channels
        self.templates = templates
        self.quiet = quiet
        self.limiter = limiter
        self.links = links
        self.org = org
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._busy = False
        self._listeners: list[Callable[[list[Notification]], None]] = []
        store.on_notifications_added(self._wake.set)

    def on_recorded(self, listener: Callable[[list[Notification]], None]) -> None:
        """Told of every batch of outcomes once committed (benchmarks, metrics)."""
        self._listeners.append(listener)

    # the loop

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                if await self.run_once():
                    continue
                upcoming = await self.store.next_notification_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the rows are still there next round
                log.exception("notification round failed")
                upcoming = self.clock() + 1.0
            delay = 5.0 if upcoming is None else min(5.0, max(0.0, upcoming - self.clock()))
            timer = loop.call_later(delay, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no round is running and nothing is due now (tests, CLI tools)."""
        deadline = time.monotonic() + timeout
        while self._busy or await self.store.due_notifications(self.clock(), 1):
            if time.monotonic() > deadline:
                raise TimeoutError(f"notifications still due after {timeout} s")
            self._wake.set()
            await asyncio.sleep(0.01)

    async def run_once(self) -> int:
        """One round; returns how many notifications it looked at."""
        self._busy = True
        try:
            return await self._round()
        finally:
            self._busy = False

    async def _round(self) -> int:
        now = self.clock()
        due = await self.store.due_notifications(now, self.policy.batch)
        if not due:
            return 0
        citizens = await self.store.get_citizens([n.citizen_id for n in due])
        steps = [await self._decide(n, citizens.get(n.citizen_id), now) for n in due]
        claimed = await self.store.start_sending(
            [n.id for n in due], now, self.policy.lease, [s.update for s in steps],
            [s.attempt for s in steps if s.attempt is not None])
        sending = [s for s in steps if s.outgoing is not None and s.update.id in claimed]
        if sending:
            outcomes = await asyncio.gather(*(self._send(s) for s in sending))
            updates = [u for u, _ in outcomes]
            await self.store.record_progress(updates, [a for _, a in outcomes])
            for listener in self._listeners:
                listener(updates)
        return len(due)

    # deciding

    async def _decide(self, n: Notification, citizen: Citizen | None, now: float) -> _Step:
        if citizen is None:
            return _Step(replace(n, status=S.CANCELLED, next_at=None))
        if n.status is S.SENDING and n.current_attempt:
            # The lease ran out mid-send (a crash): the same attempt again.
            return self._prepare(n, citizen, Channel(n.channel), now, attempt_id=n.current_attempt, tries=n.tries)
        tried = n.tried
        if n.status is S.SENT and n.channel and n.channel not in tried:
            tried = (*tried, n.channel)  # no receipt before the deadline
        channel = None
        if n.status is S.TEMPORARY_FAILURE and n.channel and n.channel not in tried:
            same = Channel(n.channel)
            if citizen.consent_for(same) and self.channels.address(same, citizen):
                channel = same
        if channel is None:
            channel = self.channels.route(citizen, tried)
        if channel is None:
            return _Step(self._exhausted(n, tried))
        if self.channels.quiet(channel) and not n.urgent:
            allowed = self.quiet.next_allowed(datetime.fromtimestamp(now, timezone.utc)).timestamp()
            if allowed > now:
                return _Step(replace(n, status=S.DEFERRED, tried=tried, next_at=allowed))
        step = self._prepare(n, citizen, channel, now, attempt_id=new_id(),
                             tries=n.tries + 1 if channel.value == n.channel and n.channel not in tried else 1,
                             tried=tried)
        if step.outgoing is not None:
            wait = await self.limiter.reserve(step.provider.limits(step.outgoing), now)
            if wait > 0:  # no token: come back when there is one, without spending an attempt
                return _Step(replace(n, tried=tried, next_at=now + wait))
        return step

    def _exhausted(self, n: Notification, tried: tuple[str, ...]) -> Notification:
        """No channel left: the last failure stands; with no attempt at all
        (no consented channel) there was nothing to send."""
        if n.status in GIVEN_UP or n.status is S.SENT:
            return replace(n, tried=tried, next_at=None)
        return replace(n, status=S.CANCELLED, tried=tried, next_at=None)

    def _prepare(self, n: Notification, citizen: Citizen, channel: Channel, now: float, *, attempt_id: str,
                 tries: int, tried: tuple[str, ...] | None = None) -> _Step:
        provider = self.channels.provider(channel)
        update = replace(n, status=S.SENDING, channel=channel.value, tries=tries, current_attempt=attempt_id,
                         tried=n.tried if tried is None else tried, next_at=now + self.policy.lease)
        attempt = DeliveryAttempt(id=attempt_id, notification_id=n.id, channel=channel.value,
                                  provider=provider.name, status=S.SENDING, created_at=_stamp(now),
                                  updated_at=_stamp(now))
        unsubscribe = self.links.unsubscribe_url(citizen.id, channel) if channel is Channel.EMAIL else None
        context = {**n.context, "citizen_name": citizen.full_name, "org": self.org, "unsubscribe_url": unsubscribe}
        try:
            rendered = self.templates.render(n.template, self.channels.kind(channel), context)
        except PermanentError as exc:  # a broken template for this channel: try the next one
            log.error("template failed", extra={"template": n.template, "channel": channel.value,
                                                "error": str(exc)})
            failed = replace(attempt, status=S.PERMANENT_FAILURE, error=str(exc)[:500])
            return _Step(replace(update, status=S.PERMANENT_FAILURE, tried=(*update.tried, channel.value),
                                 next_at=now), failed)
        outgoing = Outgoing(attempt_id=attempt_id, channel=channel, address=self.channels.address(channel, citizen),
                            text=rendered.text, subject=rendered.subject, html=rendered.html,
                            unsubscribe_url=unsubscribe)
        return _Step(update, attempt, outgoing, provider)

    # sending

    async def _send(self, step: _Step) -> tuple[Notification, DeliveryAttempt]:
        n, attempt = step.update, step.attempt or DeliveryAttempt(
            id=step.update.current_attempt, notification_id=step.update.id, channel=step.update.channel,
            provider=step.provider.name, status=S.SENDING, created_at="", updated_at="")
        try:
            sent: Sent = await step.provider.send(step.outgoing)
        except RetryableError as exc:
            return self._temporary(n, attempt, exc)
        except PermanentError as exc:
            return self._given_up(n, attempt, S.PERMANENT_FAILURE, str(exc))
        except Exception as exc:  # an adapter bug must not stop the round; treat it as temporary
            log.exception("provider raised an unexpected error",
                          extra={"provider": step.provider.name, "error": mask_text(repr(exc))})
            return self._temporary(n, attempt, RetryableError(repr(exc)))
        now = self.clock()
        deadline = None if sent.status is S.DELIVERED else now + self.channels.receipt_deadline(Channel(n.channel))
        return (replace(n, status=sent.status, next_at=deadline),
                replace(attempt, status=sent.status, provider_ref=sent.provider_ref))

    def _temporary(self, n: Notification, attempt: DeliveryAttempt, exc: RetryableError):
        if n.tries >= self.policy.max_attempts:
            return self._given_up(n, attempt, S.TECHNICAL_FAILURE, f"{exc} (after {n.tries} attempts)")
        delay = self.rng.uniform(0, min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (n.tries - 1)))
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return (replace(n, status=S.TEMPORARY_FAILURE, next_at=self.clock() + delay),
                replace(attempt, status=S.TEMPORARY_FAILURE, error=str(exc)[:500]))

    def _given_up(self, n: Notification, attempt: DeliveryAttempt, status: DeliveryStatus, error: str):
        # Due at once: the next round falls back to the next channel, if any.
        return (replace(n, status=status, tried=(*n.tried, n.channel), next_at=self.clock()),
                replace(attempt, status=status, error=error[:500]))
