"""Notifications and their delivery lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from models.citizen import Channel


class DeliveryStatus(str, Enum):
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
        return self in {DeliveryStatus.DELIVERED, DeliveryStatus.PERMANENT_FAILURE,
                        DeliveryStatus.TECHNICAL_FAILURE, DeliveryStatus.CANCELLED}


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    channel: Channel
    status: DeliveryStatus
    at: datetime
    provider: str
    provider_ref: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    citizen_id: str
    purpose: str  # e.g. "dossier_status"; one per (event, citizen, purpose)
    source_event_id: str
    status: DeliveryStatus
    attempts: tuple[DeliveryAttempt, ...] = field(default=())
