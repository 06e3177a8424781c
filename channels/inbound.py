"""The inbound port: where a channel adapter hands what a citizen writes
(models.messages.Incoming) and gets the replies back. Adapters only translate:
the inbox behind this port stores the message once, links the sender to a citizen, answers keyword commands at once and
passes everything else on (assistant, agents) through the bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from models.citizen import Channel
from models.messages import Incoming, Reply
from models.notifications import DeliveryStatus


class Inbox(Protocol):
    async def receive(self, message: Incoming) -> list[Reply]:
        """Store and route one inbound message; the replies to send now."""

    async def withdraw(self, channel: Channel, address: str, via: str) -> None:
        """An opt-out (STOP/HUY, a blocked bot, List-Unsubscribe): a consent
        withdrawal for that channel, recorded with its source."""

    async def receipt(self, provider: str, provider_ref: str, status: DeliveryStatus, error: str | None = None) -> None:
        """A delivery receipt or bounce for a message a provider sent."""


class RecordingInbox:
    """In memory: what adapters handed over, for tests of the adapters alone.
    `answer` gives the replies, as the real inbox's keyword commands would."""

    def __init__(self, answer=None):
        self.received: list[Incoming] = []
        self.withdrawals: list[tuple[Channel, str, str]] = []
        self.receipts: list[tuple[str, str, DeliveryStatus, str | None]] = []
        self._answer: Callable[[Incoming], list[Reply]] = answer or (lambda message: [])

    async def receive(self, message: Incoming) -> list[Reply]:
        self.received.append(message)
        return list(self._answer(message))

    async def withdraw(self, channel: Channel, address: str, via: str) -> None:
        self.withdrawals.append((channel, address, via))

    async def receipt(self, provider: str, provider_ref: str, status: DeliveryStatus, error: str | None = None) -> None:
        self.receipts.append((provider, provider_ref, status, error))


# Where routes that take messages in (web chat, the kiosk) find the inbox.
INBOX = web.AppKey("inbox", Inbox)
