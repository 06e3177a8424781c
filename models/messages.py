"""What citizens write and what is sent back, on any channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from models.citizen import Channel


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


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
    # Whom the lookup guard counts a guess against when `address` is the client's own choice
    # (a web session id): "addr:<client address>". Channels whose sender is verified leave it None.
    asker: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """Sent back on the channel the message came in on, to the same address.
    Channels without buttons show them as numbered options."""

    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class InboundMessage:
    id: str  # the provider's id, so a webhook delivered twice is one message
    channel: Channel
    sender: str  # channel address: E.164 phone, email, chat id
    text: str
    received_at: datetime
    citizen_id: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    id: str
    channel: Channel
    recipient: str
    text: str
    subject: str | None = None
    html: str | None = None
    buttons: tuple[Button, ...] = ()


class ConversationState(str, Enum):  # noqa: UP042  StrEnum would change str() and f-strings from "Cls.MEMBER" to the value
    BOT = "bot"
    ESCALATED = "escalated"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    channel: Channel
    address: str
    state: ConversationState
    started_at: datetime
    citizen_id: str | None = None
    dossier_code: str | None = None
    messages: tuple[InboundMessage | OutboundMessage, ...] = field(default=())
