"""What every store backend offers. Writes that change state also append the
events they cause to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Protocol

import orjson

from models.citizen import Citizen, ConsentRecord
from models.dossier import Dossier, DossierStatus, TimelineEntry


@dataclass(frozen=True, slots=True)
class ApplicantData:
    full_name: str
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None
    telegram_chat_id: int | None = None
    preferred_channels: tuple[str, ...] = ()
    consents: tuple[ConsentRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class DossierData:
    code: str
    procedure: str
    agency: str
    received_at: datetime
    due_at: datetime | None
    applicant: ApplicantData
    status: DossierStatus | None = None  # only used when the dossier is new


@dataclass(frozen=True, slots=True)
class UpsertResult:
    created: bool
    dossier: Dossier
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DossierLookup:
    """A dossier with what a public lookup needs of its applicant."""

    dossier: Dossier
    applicant_name: str
    applicant_phone: str | None


@dataclass(frozen=True, slots=True)
class StatusChange:
    code: str
    event_id: str
    status: DossierStatus
    at: datetime
    actor: str
    note: str
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StatusChangeResult:
    # accepted | duplicate | not_found | illegal | event_id_reused
    outcome: str
    entry: TimelineEntry | None = None
    previous_status: DossierStatus | None = None
    current_status: DossierStatus | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    message_id: str
    type: str
    key: str
    raw_payload: str  # JSON, parsed only when a handler needs it
    created_at: str
    # handler name -> (state, attempts, next_at) for handlers that have been tried
    deliveries: dict[str, tuple[str, int, float | None]] = field(default_factory=dict)

    @property
    def payload(self) -> dict:
        return orjson.loads(self.raw_payload)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    message_id: str
    handler: str
    # done | retry | dead
    state: str
    attempts: int
    next_at: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    message_id: str
    type: str
    handler: str
    attempts: int
    error: str
    updated_at: str


class Store(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def readiness(self) -> dict: ...
    async def count_pending(self) -> int: ...
    def on_outbox_append(self, listener: Callable[[], None]) -> None: ...

    async def upsert_dossier(self, data: DossierData) -> UpsertResult: ...
    async def record_status_change(self, change: StatusChange) -> StatusChangeResult: ...
    async def get_dossier(self, code: str) -> Dossier | None: ...
    async def lookup_dossier(self, code: str) -> DossierLookup | None: ...
    async def get_citizen(self, citizen_id: str) -> Citizen | None: ...

    async def add_api_key(self, name: str, key_hash: str) -> int: ...
    async def api_key_name(self, key_hash: str) -> str | None: ...

    async def append_outbox(self, messages: list) -> None: ...
    async def outbox_after(self, cursor: int, limit: int) -> list[OutboxRow]: ...
    async def outbox_first_pending(self) -> int: ...
    async def outbox_by_ids(self, message_ids: list[str]) -> list[OutboxRow]: ...
    async def due_retries(self, now: float, limit: int) -> list[str]: ...
    async def record_deliveries(self, results: list[DeliveryResult], dispatched: list[int]) -> None: ...
    async def dead_letters(self) -> list[DeadLetter]: ...
    async def retry_dead_letter(self, dead_letter_id: int) -> bool: ...
