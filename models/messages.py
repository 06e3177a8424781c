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


class ConversationState(str, Enum):
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
