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
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from channels.port import Outgoing, Provider, Sent
from channels.registry import REGISTRY, Channels
from hub.metrics import Metrics
from hub.store.port import CitizenStore, NotificationStore
from models.citizen import Channel, Contact
from models.errors import PermanentError, ProviderRefused, RetryableError
from models.events import new_id
from models.notifications import (
    ASKS_CONSENT,
    PUBLIC_TASK,
    REPLIES,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    Progress,
)
from models.privacy import mask_text
from notify.links import Links

log = logging.getLogger(__name__)

S = DeliveryStatus
# Fall back from these: the channel was given up on.
GIVEN_UP = frozenset({S.PERMANENT_FAILURE, S.TECHNICAL_FAILURE})
# What a notice that ran out of channels says when its last failure named no reason.
_LAST_WORD = {S.PERMANENT_FAILURE: "rejected", S.TECHNICAL_FAILURE: "technical_failure", S.SENT: "no_receipt"}


@dataclass(frozen=True, slots=True)
class Policy:
    max_attempts: int = 5  # per channel, for temporary failures
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    lease: float = 120.0
    batch: int = 256
    workers: int = 2
    # Longest sleep when nothing is due. In the service's own process new work
    # wakes the sender at once; a sender process only learns of it by looking.
    idle: float = 5.0


@dataclass(slots=True)
class _Step:
    """What a round decided for one notification."""

    notification: Notification
    update: Progress
    attempt: DeliveryAttempt | None = None
    outgoing: Outgoing | None = None
    provider: Provider | None = None


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")


class SenderStore(NotificationStore, CitizenStore, Protocol):
    """Notifications to send, and the contact points to send them to."""


class Sender:
    def __init__(
        self,
        store: SenderStore,
        channels: Channels,
        templates,
        *,
        quiet,
        limiter,
        links: Links,
        org: dict,
        policy: Policy = Policy(),
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
        replies_moved: Callable[[list[str]], Awaitable[object]] | None = None,
    ):
        self.store = store
        self.metrics = metrics
        # Told which agent replies a round moved, so that the consoles show their
        # delivery status live (the store writes the feed rows).
        self.replies_moved = replies_moved
        self.channels = channels
        self.templates = templates
        self.quiet = quiet
        self.limiter = limiter
        self.links = links
        self.org = org
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - retry jitter, not a secret
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._busy = 0
        self._claiming = asyncio.Lock()
        self._listeners: list[Callable[[list[tuple[Notification, Progress]]], None]] = []
        store.on_notifications_added(self._wake.set)

    def on_recorded(self, listener: Callable[[list[tuple[Notification, Progress]]], None]) -> None:
        """Told of every batch of outcomes once committed (benchmarks, metrics)."""
        self._listeners.append(listener)

    # the loop

    async def start(self) -> None:
        # Two rounds in flight: while one waits on the database or a provider,
        # the other decides and renders. Claims keep them off each other's rows.
        self._tasks = [asyncio.create_task(self._run(), name=f"notify-sender-{i}") for i in range(self.policy.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

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
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from None  # stopping: the error was a side effect
                log.exception("notification round failed")
                upcoming = self.clock() + 1.0
            idle = self.policy.idle
            delay = idle if upcoming is None else min(idle, max(0.0, upcoming - self.clock()))
            timer = loop.call_later(delay, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    async def wait_idle(self, within: float = 10.0) -> None:
        """Until no round is running and nothing is due now (tests, CLI tools);
        TimeoutError after `within` seconds."""
        deadline = time.monotonic() + within
        while self._busy or await self.store.due_notifications(self.clock(), 1):
            if time.monotonic() > deadline:
                raise TimeoutError(f"notifications still due after {within} s")
            self._wake.set()
            await asyncio.sleep(0.01)

    async def run_once(self) -> int:
        """One round; returns how many notifications it looked at."""
        self._busy += 1
        try:
            return await self._round()
        finally:
            self._busy -= 1

    async def _round(self) -> int:
        now = self.clock()
        async with self._claiming:  # rounds in this process never read the same rows
            due = await self.store.due_notifications(now, self.policy.batch)
            if not due:
                return 0
            claimed = await self.store.claim_notifications([n.id for n in due], now, self.policy.lease)
        due = [n for n in due if n.id in claimed]  # another process may have taken some
        contacts = await self.store.get_contacts([n.citizen_id for n in due])
        stamp = _stamp(now)
        steps = [await self._decide(n, contacts.get(n.citizen_id), now, stamp) for n in due]
        # A notice superseded while this round decided stays cancelled: not sent.
        gone = await self.store.start_sending([s.update for s in steps], [s.attempt for s in steps if s.attempt])
        for step in steps:
            if step.update.status is S.CANCELLED and step.notification.id not in gone:
                _log_cancelled(step.notification, step.update.reason)
        sending = [s for s in steps if s.outgoing is not None and s.notification.id not in gone]
        if self.metrics is not None:
            self._count_unsent(self.metrics, [s for s in steps if s.notification.id not in gone])
        if sending:
            outcomes = await self._send_all(sending)
            await self.store.record_progress([u for u, _ in outcomes], [a for _, a in outcomes])
            if self.metrics is not None:
                for _, attempt in outcomes:
                    self.metrics.attempt_recorded(attempt.channel, attempt.provider, attempt.status.value)
            for listener in self._listeners:
                listener([(s.notification, u) for s, (u, _) in zip(sending, outcomes, strict=True)])
        if self.replies_moved is not None:
            await _tell_replies(self.replies_moved, [s.notification for s in steps])
        return len(due)

    def _count_unsent(self, metrics: Metrics, steps: list[_Step]) -> None:
        """Attempts that ended before any provider was called (a broken
        template, no address), and notices with nowhere to go."""
        for step in steps:
            if step.outgoing is None and step.attempt is not None:
                metrics.attempt_recorded(step.attempt.channel, step.attempt.provider, step.attempt.status.value)
            elif step.attempt is None and step.update.status is S.CANCELLED:
                metrics.attempt_recorded("none", "none", S.CANCELLED.value)

    # deciding

    async def _decide(self, n: Notification, citizen: Contact | None, now: float, stamp: str) -> _Step:
        if citizen is None:
            return _Step(
                n, Progress(n.id, S.CANCELLED, n.channel, n.tried, n.tries, n.current_attempt, None, "no_address")
            )
        if n.status is S.SENDING and n.current_attempt:
            # The lease ran out mid-send (a crash): the same attempt again.
            return self._prepare(n, citizen, Channel(n.channel), now, stamp, n.current_attempt, n.tries, n.tried)
        tried = n.tried
        if n.status is S.SENT and n.channel and n.channel not in tried:
            tried = (*tried, n.channel)  # no receipt before the deadline
        public_task = n.legal_basis == PUBLIC_TASK
        if n.purpose in ASKS_CONSENT:
            channel = self._asking(n, citizen, tried)
        elif n.purpose in REPLIES:
            channel = self._replying(n, citizen, tried)
        else:
            channel = None
            if n.status is S.TEMPORARY_FAILURE and n.channel and n.channel not in tried:
                same = Channel(n.channel)
                if citizen.may_send(same, public_task) and self.channels.address(same, citizen):
                    channel = same
            if channel is None:
                channel = self.channels.route(citizen, tried, public_task)
        if channel is None:
            return _Step(n, self._exhausted(n, citizen, tried))
        if self.channels.quiet(channel) and not n.urgent:
            # Compared as datetimes: through a float round trip, "now" came back a
            # fraction of a microsecond later, and a message allowed now was deferred.
            moment = datetime.fromtimestamp(now, UTC)
            allowed = self.quiet.next_allowed(moment)
            if allowed > moment:
                reason = self.quiet.hold_reason(moment)
                return _Step(
                    n,
                    Progress(
                        n.id, S.DEFERRED, n.channel, tried, n.tries, n.current_attempt, allowed.timestamp(), reason
                    ),
                )
        again = channel.value == n.channel and n.channel not in tried
        step = self._prepare(n, citizen, channel, now, stamp, new_id(), n.tries + 1 if again else 1, tried)
        limits = (
            step.provider.limits(step.outgoing) if step.outgoing is not None and step.provider is not None else None
        )
        if limits:
            wait = await self.limiter.reserve(limits, now)
            if wait > 0:  # no token: come back when there is one, without spending an attempt
                return _Step(
                    n,
                    Progress(n.id, n.status, n.channel, tried, n.tries, n.current_attempt, now + wait, "rate_limited"),
                )
        return step

    def _asking(self, n: Notification, citizen: Contact, tried: tuple[str, ...]) -> Channel | None:
        """A request for consent goes to the one address it asks about, or
        nowhere: no fallback to another channel, and never after a withdrawal."""
        try:
            channel = Channel(n.context.get("channel"))
        except ValueError:
            return None
        if channel.value in tried or channel in citizen.withdrawn or self.channels.address(channel, citizen) is None:
            return None
        return channel

    def _replying(self, n: Notification, citizen: Contact, tried: tuple[str, ...]) -> Channel | None:
        """An agent's reply goes back where the citizen wrote from, or nowhere:
        no consent is needed (they wrote to us), no other channel is tried, and
        a withdrawal still wins (README "Consent and legal basis")."""
        target = reply_target(n)
        if target is None or target[0].value in tried or target[0] in citizen.withdrawn:
            return None
        return target[0]

    def _exhausted(self, n: Notification, citizen: Contact, tried: tuple[str, ...]) -> Progress:
        """No channel left: the last failure stands, with its reason; with no
        attempt at all there was nothing to send, and the reason says why
        (no address, a withdrawal, no basis for the channels it has)."""
        if n.status in GIVEN_UP or n.status is S.SENT:
            reason = n.reason or _LAST_WORD[n.status]
            return Progress(n.id, n.status, n.channel, tried, n.tries, n.current_attempt, None, reason)
        if n.purpose in ASKS_CONSENT:
            reason = (
                "withdrawn" if any(c.value == n.context.get("channel") for c in citizen.withdrawn) else "no_address"
            )
        elif n.purpose in REPLIES:
            target = reply_target(n)
            reason = "withdrawn" if target is not None and target[0] in citizen.withdrawn else "no_address"
        else:
            reason = self.channels.unroutable(citizen, tried)
        return Progress(n.id, S.CANCELLED, n.channel, tried, n.tries, n.current_attempt, None, reason)

    def _prepare(
        self,
        n: Notification,
        citizen: Contact,
        channel: Channel,
        now: float,
        stamp: str,
        attempt_id: str,
        tries: int,
        tried: tuple[str, ...],
    ) -> _Step:
        update = Progress(n.id, S.SENDING, channel.value, tried, tries, attempt_id, now + self.policy.lease)

        def failed(provider: str, error: str, reason: str | None) -> _Step:
            """This channel cannot take it before any provider is called: the next channel, at once."""
            attempt = DeliveryAttempt(
                attempt_id, n.id, channel.value, provider, S.PERMANENT_FAILURE, stamp, stamp, error=error[:500]
            )
            progress = update._replace(
                status=S.PERMANENT_FAILURE, tried=(*tried, channel.value), next_at=now, reason=reason
            )
            return _Step(n, progress, attempt)

        if not self.channels.available(channel):
            # Chosen before a restart that withdrew its provider (a real adapter
            # configured since), or asked for by a consent request.
            return failed("none", "channel unavailable", None)
        provider = self.channels.provider(channel)
        attempt = DeliveryAttempt(attempt_id, n.id, channel.value, provider.name, S.SENDING, stamp, stamp)
        reply = n.purpose in REPLIES
        # A reply answers a letter: nothing to unsubscribe from.
        unsubscribe = (
            self.links.unsubscribe_url(citizen.id, channel)
            if REGISTRY[channel].unsubscribe_link and not reply
            else None
        )
        # A name the notification carries (the applicant as named on the dossier) wins over the contact's.
        context = {"citizen_name": citizen.full_name, **n.context, "org": self.org, "unsubscribe_url": unsubscribe}
        secrets: list[str] = []
        if n.purpose in ASKS_CONSENT:
            # Derived here from the request's id, so the queued row never holds the code.
            request_id = str(n.context.get("follow_request", ""))
            context["confirmation"] = {
                "code": self.links.follow_code(request_id),
                "url": self.links.follow_url(request_id),
            }
            secrets = [context["confirmation"]["url"], context["confirmation"]["code"]]  # the link may hold the digits
        try:
            rendered = self.templates.render(n.template, self.channels.kind(channel), context)
        except PermanentError as exc:  # a broken template for this channel: try the next one
            log.error("template failed", extra={"template": n.template, "channel": channel.value, "error": str(exc)})
            return failed(provider.name, str(exc), "template_error")
        if reply:  # only ever where the citizen wrote from
            target = reply_target(n)
            address = target[1] if target is not None else None
        else:
            address = self.channels.address(channel, citizen)
        if address is None:  # gone since a send whose lease ran out: like a broken template, the next channel
            return failed(provider.name, "no address", "no_address")
        outgoing = Outgoing(
            attempt_id=attempt_id,
            channel=channel,
            address=address,
            text=rendered.text,
            subject=rendered.subject,
            html=rendered.html,
            unsubscribe_url=unsubscribe,
            in_reply_to=(n.context["reply_to"].get("in_reply_to") or None) if reply else None,
        )
        # Kept with the attempt, on every provider, so that an agent can say what was sent;
        # never a follow confirmation's code or link: whoever reads the attempt could confirm.
        attempt.address = REGISTRY[channel].mask(address)
        attempt.subject, attempt.text = _redact(rendered.subject, secrets), _redact(rendered.text, secrets)
        return _Step(n, update, attempt, outgoing, provider)

    # sending

    async def _send_all(self, sending: list[_Step]) -> list[tuple[Progress, DeliveryAttempt]]:
        """Each provider gets its share at once: one that can send many in one
        go (a connection pool, a batch API, a recording table) overrides
        `send_many`; Provider's own sends one call per message, concurrently."""
        by_provider: dict[int, list[_Step]] = defaultdict(list)
        for step in sending:
            by_provider[id(step.provider)].append(step)
        outcomes: dict[int, tuple[Progress, DeliveryAttempt]] = {}

        async def run(steps: list[_Step]) -> None:
            provider = steps[0].provider
            messages = [s.outgoing for s in steps if s.outgoing is not None]
            if provider is None or len(messages) != len(steps):  # _prepare sets both on every step it sends
                raise ValueError("a step to send has no provider or message")
            started = time.perf_counter()
            results = await provider.send_many(messages)
            if self.metrics is not None:
                self.metrics.provider_took(
                    steps[0].update.channel or "none", provider.name, time.perf_counter() - started, len(messages)
                )
            for step, result in zip(steps, results, strict=True):
                outcomes[id(step)] = self._outcome(step, result)
            refused = [r for r in results if isinstance(r, ProviderRefused)]
            if refused:
                # Once a batch, not once a message: a broadcast would bury the log.
                name = refused[0].provider or provider.name
                log.error(
                    "provider %s refused us: an operator must act; falling back to the next channel",
                    name,
                    extra={"provider": name, "messages": len(refused), "error": mask_text(str(refused[0]))},
                )

        await asyncio.gather(*(run(steps) for steps in by_provider.values()))
        return [outcomes[id(step)] for step in sending]

    def _outcome(self, step: _Step, result: Sent | BaseException) -> tuple[Progress, DeliveryAttempt]:
        n, attempt, provider = step.update, step.attempt, step.provider
        if attempt is None or provider is None:  # _prepare sets both on every step it sends
            raise ValueError("a sent step has no attempt or provider")
        if isinstance(result, asyncio.CancelledError):
            raise result
        if isinstance(result, RetryableError):
            return self._temporary(n, attempt, result)
        if isinstance(result, ProviderRefused):
            # Our side to fix, not the citizen's address: not a permanent failure of it.
            return self._given_up(n, attempt, S.TECHNICAL_FAILURE, str(result), "provider_refused")
        if isinstance(result, PermanentError):
            return self._given_up(n, attempt, S.PERMANENT_FAILURE, str(result), "rejected")
        if isinstance(result, BaseException):  # an adapter bug must not stop the round: treat it as temporary
            log.error(
                "provider raised an unexpected error",
                extra={"provider": provider.name, "error": mask_text(repr(result))},
            )
            return self._temporary(n, attempt, RetryableError(repr(result)))
        now = self.clock()
        deadline = None if result.status is S.DELIVERED else now + self.channels.receipt_deadline(Channel(n.channel))
        return (
            n._replace(status=result.status, next_at=deadline),
            _attempt(
                attempt, result.status, provider_ref=result.provider_ref, provider=result.provider or attempt.provider
            ),
        )

    def _temporary(self, n: Progress, attempt: DeliveryAttempt, exc: RetryableError):
        if n.tries >= self.policy.max_attempts:
            return self._given_up(
                n, attempt, S.TECHNICAL_FAILURE, f"{exc} (after {n.tries} attempts)", "technical_failure"
            )
        ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (n.tries - 1))
        # Equal jitter, not full: at least half of each backoff is waited, so the
        # attempts span at least half the budget (225 s with the defaults) and a
        # provider down for less loses nothing. Full jitter could spend every try
        # within seconds: ~1% of notices in a 60 s outage with the defaults
        # (tests/security/test_fault_injection.py).
        delay = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return (
            n._replace(status=S.TEMPORARY_FAILURE, next_at=self.clock() + delay, reason="temporary_failure"),
            _attempt(attempt, S.TEMPORARY_FAILURE, error=str(exc)[:500]),
        )

    def _given_up(self, n: Progress, attempt: DeliveryAttempt, status: DeliveryStatus, error: str, reason: str):
        # Due at once: the next round falls back to the next channel, if any.
        return (
            n._replace(
                status=status,
                tried=(*n.tried, n.channel) if n.channel else n.tried,
                next_at=self.clock(),
                reason=reason,
            ),
            _attempt(attempt, status, error=error[:500]),
        )


def reply_target(n: Notification) -> tuple[Channel, str] | None:
    """Where an agent's reply goes: its context's channel and address."""
    target = n.context.get("reply_to")
    if not isinstance(target, dict) or not target.get("address"):
        return None
    try:
        return Channel(target.get("channel")), str(target["address"])
    except ValueError:
        return None


async def _tell_replies(moved: Callable[[list[str]], Awaitable[object]], notifications: list[Notification]) -> None:
    # The common round has no reply in it: one pass over the purposes, nothing more.
    ids = [n.id for n in notifications if n.purpose in REPLIES]
    if not ids:
        return
    try:
        await moved(ids)
    except Exception:  # the progress is recorded; a console sees it on its next read
        log.exception("could not tell the consoles of agent replies' delivery")


def _log_cancelled(n: Notification, reason: str | None) -> None:
    # Ids and codes only: the citizen's address never reaches the log.
    log.info(
        "notification cancelled: %s",
        reason,
        extra={"notification": n.id, "purpose": n.purpose, "dossier": n.dossier_code, "reason": reason},
    )


def _redact(text: str | None, secrets: list[str]) -> str | None:
    for secret in secrets:
        if text:
            text = text.replace(secret, "[đã ẩn]")
    return text


def _attempt(
    a: DeliveryAttempt,
    status: DeliveryStatus,
    *,
    provider_ref: str | None = None,
    error: str | None = None,
    provider: str | None = None,
) -> DeliveryAttempt:
    return DeliveryAttempt(
        a.id,
        a.notification_id,
        a.channel,
        provider or a.provider,
        status,
        a.created_at,
        a.updated_at,
        provider_ref,
        error,
    )
