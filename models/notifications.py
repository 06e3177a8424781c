"""Notifications and their delivery lifecycle.

A notification is one message meant for one citizen about one thing (a dossier
event, an apology, a broadcast); it may take several attempts, on several
channels, before it is delivered or given up."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class DeliveryStatus(str, Enum):  # noqa: UP042  StrEnum would change str() and f-strings from "Cls.MEMBER" to the value
    CREATED = "created"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"
    TECHNICAL_FAILURE = "technical_failure"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in FINAL

    @property
    def rank(self) -> int:
        return RANK[self]


D = DeliveryStatus
FINAL = frozenset({D.DELIVERED, D.PERMANENT_FAILURE, D.TECHNICAL_FAILURE, D.CANCELLED})

# How far along an attempt is. Receipts arrive out of order (a "sent" callback
# after "delivered"), so an attempt only ever moves to a higher rank.
RANK: dict[DeliveryStatus, int] = {
    D.CREATED: 0,
    D.QUEUED: 1,
    D.DEFERRED: 1,
    D.SENDING: 2,
    D.TEMPORARY_FAILURE: 3,
    D.SENT: 4,
    D.DELIVERED: 5,
    D.PERMANENT_FAILURE: 5,
    D.TECHNICAL_FAILURE: 5,
    D.CANCELLED: 5,
}


def advances(current: DeliveryStatus, new: DeliveryStatus) -> bool:
    return RANK[new] > RANK[current]


# Purposes: one notification per (source event, citizen, purpose).
DOSSIER_RECEIVED = "dossier_received"
DOSSIER_STATUS = "dossier_status"
OVERDUE_APOLOGY = "overdue_apology"
BROADCAST = "broadcast"
# Asks the owner of an address to confirm a follow: sent only on the channel
# named in its context ("channel"), without a consent there yet (it asks for
# one), and never to an address whose latest consent record is a withdrawal.
FOLLOW_CONFIRMATION = "follow_confirmation"
ASKS_CONSENT = frozenset({FOLLOW_CONFIRMATION})


# Attempts and notifications are not frozen: the engine builds thousands a
# second, and a frozen dataclass pays object.__setattr__ for every field.
@dataclass(slots=True)
class DeliveryAttempt:
    id: str  # also the idempotency key handed to the provider
    notification_id: str
    channel: str
    provider: str
    status: DeliveryStatus
    created_at: str
    updated_at: str
    provider_ref: str | None = None
    error: str | None = None
    # What was sent, as the citizen got it: the address masked, the texts
    # blanked after the retention period (the row stays).
    address: str | None = None
    subject: str | None = None
    text: str | None = None


@dataclass(slots=True)
class Notification:
    id: str
    citizen_id: str
    purpose: str
    source_event_id: str
    template: str
    context: dict
    status: DeliveryStatus = DeliveryStatus.QUEUED
    dossier_code: str | None = None
    broadcast_id: str | None = None
    urgent: bool = False
    channel: str | None = None  # of the current attempt
    tried: tuple[str, ...] = ()  # channels given up on, in order
    tries: int = 0  # attempts on the current channel
    current_attempt: str | None = None
    # When the engine next looks at it: due time, receipt deadline or the end of
    # a send lease; None once nothing more will happen.
    next_at: float | None = None
    created_at: str = ""
    updated_at: str = ""
    attempts: tuple[DeliveryAttempt, ...] = field(default=())


class Progress(NamedTuple):
    """The part of a notification that moves as it is worked on. A named tuple:
    the sender makes thousands a second."""

    id: str
    status: DeliveryStatus
    channel: str | None
    tried: tuple[str, ...]
    tries: int
    current_attempt: str | None
    next_at: float | None

    @classmethod
    def of(cls, n: Notification) -> Progress:
        return cls(n.id, n.status, n.channel, n.tried, n.tries, n.current_attempt, n.next_at)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a provider says later about a message it accepted."""

    provider: str
    provider_ref: str
    status: DeliveryStatus
    error: str | None = None
