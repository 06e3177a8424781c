"""What a channel adapter hands over when a citizen writes, and what it gets
back. Adapters only translate: the inbox behind this port stores the message
once, links the sender to a citizen, answers keyword commands at once and
passes everything else on (assistant, agents) through the bus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from models.citizen import Channel
from models.messages import Button
from models.notifications import DeliveryStatus


@dataclass(frozen=True, slots=True)
class Incoming:
    channel: Channel
    address: str  # normalised: phone as models.phone.normalize_phone gives it, email lower-cased, chat id as text
    text: str
    provider_message_id: str  # unique per channel: a webhook delivered twice is one message
    name: str | None = None  # as the sender presents themself (email display name, Telegram name)
    subject: str | None = None  # email
    references: tuple[str, ...] = ()  # email: In-Reply-To and References, to thread replies
    link_token: str | None = None  # Telegram /start deep-link token, to link the chat to a citizen and dossier


@dataclass(frozen=True, slots=True)
class Reply:
    """Sent back on the channel the message came in on, to the same address.
    Channels without buttons show them as numbered options."""
    text: str
    buttons: tuple[Button, ...] = ()


class Inbox(Protocol):
    async def receive(self, message: Incoming) -> list[Reply]:
        """Store and route one inbound message; the replies to send now."""

    async def withdraw(self, channel: Channel, address: str, via: str) -> None:
        """An opt-out (STOP/HUY, a blocked bot, List-Unsubscribe): a consent
        withdrawal for that channel, recorded with its source."""

    async def receipt(self, provider: str, provider_ref: str, status: DeliveryStatus,
                      error: str | None = None) -> None:
        """A delivery receipt or bounce for a message a provider sent."""


class RecordingInbox:
    """In memory: what adapters handed over, for tests of the adapters alone.
    `answer` gives the replies, as the real inbox's keyword commands would."""

    def __init__(self, answer=None):
        self.received: list[Incoming] = []
        self.withdrawals: list[tuple[Channel, str, str]] = []
        self.receipts: list[tuple[str, str, DeliveryStatus, str | None]] = []
        self._answer = answer or (lambda message: [])

    async def receive(self, message: Incoming) -> list[Reply]:
        self.received.append(message)
        return list(self._answer(message))

    async def withdraw(self, channel: Channel, address: str, via: str) -> None:
        self.withdrawals.append((channel, address, via))

    async def receipt(self, provider: str, provider_ref: str, status: DeliveryStatus,
                      error: str | None = None) -> None:
        self.receipts.append((provider, provider_ref, status, error))
