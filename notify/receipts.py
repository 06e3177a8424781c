"""Delivery receipts move attempts forward; a failure receipt on the current
attempt makes the notification fall back to the next channel."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from hub.metrics import Metrics
from hub.store.port import NotificationStore
from models.events import DeliveryReceiptReceived, Message
from models.notifications import REPLIES, DeliveryAttempt, DeliveryStatus, Progress, Receipt, advances

log = logging.getLogger(__name__)

S = DeliveryStatus
FAILED = frozenset({S.PERMANENT_FAILURE, S.TECHNICAL_FAILURE, S.TEMPORARY_FAILURE})


class Receipts:
    def __init__(
        self,
        store: NotificationStore,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        replies_moved: Callable[[list[str]], Awaitable[object]] | None = None,
    ):
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.replies_moved = replies_moved  # as the sender's: agent replies whose status a receipt moved

    async def handle(self, events: list[Message]) -> None:
        await self.apply(
            [
                Receipt(e.provider, e.provider_ref, S(e.status), e.error)
                for e in events
                if isinstance(e, DeliveryReceiptReceived)
            ]
        )

    async def apply(self, receipts: list[Receipt]) -> None:
        by_provider: dict[str, dict[str, Receipt]] = defaultdict(dict)
        for receipt in receipts:
            by_provider[receipt.provider][receipt.provider_ref] = receipt  # the latest word wins
        attempts: list[DeliveryAttempt] = []
        updates: dict[str, Progress] = {}
        replies: set[str] = set()
        for provider, refs in by_provider.items():
            for attempt, n in await self.store.attempts_by_ref(provider, list(refs)):
                if attempt.provider_ref is None:  # matched on its ref, so never; narrows the type
                    continue
                receipt = refs[attempt.provider_ref]
                if not advances(attempt.status, receipt.status):
                    continue
                attempts.append(
                    DeliveryAttempt(
                        attempt.id,
                        attempt.notification_id,
                        attempt.channel,
                        attempt.provider,
                        receipt.status,
                        attempt.created_at,
                        attempt.updated_at,
                        attempt.provider_ref,
                        receipt.error,
                    )
                )
                if n.purpose in REPLIES:
                    replies.add(n.id)
                p = updates.get(n.id) or Progress.of(n)
                if p.status in (S.DELIVERED, S.CANCELLED):
                    continue
                if receipt.status is S.DELIVERED:
                    # Even from an earlier channel: the citizen has it, stop falling back.
                    updates[n.id] = p._replace(status=S.DELIVERED, next_at=None)
                elif receipt.status in FAILED and attempt.id == p.current_attempt:
                    # A carrier that gives up after accepting does not retry: the next channel.
                    status = S.TECHNICAL_FAILURE if receipt.status is S.TEMPORARY_FAILURE else receipt.status
                    tried = p.tried if attempt.channel in p.tried else (*p.tried, attempt.channel)
                    updates[n.id] = p._replace(status=status, tried=tried, next_at=self.clock())
                elif receipt.status is S.SENT and p.status is S.SENDING and attempt.id == p.current_attempt:
                    updates[n.id] = p._replace(status=S.SENT)
        if attempts:
            await self.store.record_progress(list(updates.values()), attempts)
            if self.metrics is not None:
                for attempt in attempts:
                    self.metrics.attempt_recorded(attempt.channel, attempt.provider, attempt.status.value)
            if replies and self.replies_moved is not None:
                try:
                    await self.replies_moved(sorted(replies))
                except Exception:  # the receipt is recorded; a console sees it on its next read
                    log.exception("could not tell the consoles of agent replies' delivery")
