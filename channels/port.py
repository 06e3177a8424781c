"""What every channel provider offers: send one message, say what it cost in
rate-limit tokens, and report failures as the error tree's types."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from models.citizen import Channel
from models.notifications import DeliveryStatus


@dataclass(slots=True)  # not frozen: one per message on the hot path
class Outgoing:
    attempt_id: str  # the idempotency key: the same attempt sent twice is one message
    channel: Channel
    address: str
    text: str
    subject: str | None = None
    html: str | None = None
    unsubscribe_url: str | None = None
    # The provider message id this one answers (an agent's reply), for channels
    # that thread by reference (email's In-Reply-To); others ignore it.
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    provider_ref: str
    # DELIVERED when the provider knows at once (a recording provider does);
    # SENT when a receipt will come later.
    status: DeliveryStatus = DeliveryStatus.SENT
    # Which provider really sent it, when one stands for several (SMS failover):
    # receipts come back under that provider's name.
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class Limit:
    key: str  # e.g. "telegram:bot:123", "telegram:chat:456", "sms:brandname:UBND"
    rate: float  # tokens per second
    burst: int  # bucket size


@dataclass(frozen=True, slots=True)
class Health:
    """Whether a provider or an inbound service can do its work now, and if
    not, why (for /readyz and the tongdai_channel_up gauge; never a secret)."""

    up: bool = True
    reason: str | None = None


UP = Health()


class Provider(Protocol):
    name: str
    channel: Channel
    # Keeps what it would send instead of sending (channels/recording.py): it
    # serves the embedded default only, never beside a real adapter.
    records: bool = False

    def limits(self, message: Outgoing) -> list[Limit]:
        """The rate-limit buckets this message draws on."""

    async def send(self, message: Outgoing) -> Sent:
        """Raises models.errors.RetryableError or PermanentError on failure."""

    # Implementations subclass Provider to inherit these defaults, so that
    # callers need not ask which of them a provider has.

    async def start(self) -> None:
        """Open connections; called once before the first send."""

    async def close(self) -> None:
        """Release what start opened; safe to call twice, or without start."""

    def health(self) -> Health:
        """UP unless the provider knows it cannot send (a failing login, say)."""
        return UP

    async def send_many(self, messages: list[Outgoing]) -> list[Sent | BaseException]:
        """One result per message, in order: a Sent or the error send would raise.
        A provider that can send in bulk (a pool, a batch API) does better than
        this one concurrent send per message."""
        return await asyncio.gather(*(self.send(m) for m in messages), return_exceptions=True)


class InboundService(Protocol):
    """What the app starts beside the providers to take citizens' messages
    (a mailbox poller, a Telegram bot): started and stopped with the app."""

    channel: Channel
    name: str  # the provider it stands for, in health reports

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def health(self) -> Health:
        """UP unless messages cannot be taken now (Telegram unreachable...)."""
        return UP
