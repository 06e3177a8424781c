"""Bus messages: events say what happened (past tense). They are small frozen
dataclasses that serialise to JSON."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

REGISTRY: dict[str, type[Message]] = {}
_FIELDS: dict[type, frozenset[str]] = {}


def new_id() -> str:
    """128 random bits as 32 hex digits (a uuid4's worth, without its cost)."""
    return os.urandom(16).hex()


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    kind: ClassVar[str] = "message"
    message_id: str = field(default_factory=new_id)

    def __init_subclass__(cls):
        # No super() here: slots=True rebuilds the class, which breaks its __class__ cell.
        REGISTRY[cls.__name__] = cls

    @property
    def key(self) -> str:
        """Messages with the same key are handled in order (one dossier's events)."""
        return self.message_id

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> Message:
        try:
            target = REGISTRY[name]
        except KeyError:
            raise ValueError(f"unknown message type {name}") from None
        known = _FIELDS.get(target)
        if known is None:
            known = _FIELDS[target] = frozenset(f.name for f in dataclasses.fields(target))
        # JSON has no tuples, and frozen messages keep their sequences as tuples.
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return target(**kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Message):
    kind: ClassVar[str] = "event"


# Times travel as ISO strings so that events are JSON all the way down.


@dataclass(frozen=True, slots=True, kw_only=True)
class DossierRegistered(Event):
    code: str
    procedure: str
    agency: str
    applicant_id: str
    status: str
    received_at: str
    due_at: str | None
    # False: history recorded without a notice (older than the age limit, or
    # the one-stop-shop said `notify: false`); the planner plans nothing.
    notify: bool = True

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True, kw_only=True)
class DossierStatusChanged(Event):
    code: str
    event_id: str  # the one-stop-shop's id for this change
    previous_status: str
    status: str
    at: str
    actor: str
    note: str
    due_at: str | None
    applicant_id: str
    # The due date before this change: a later one on an overdue dossier is the
    # new return date that the apology must give.
    previous_due_at: str | None = None
    # How the result is handed over, when the one-stop-shop says so:
    # {"method": "counter"|"post", "place", "hours", "tracking_code", "address"}
    result: dict | None = None
    notify: bool = True  # as on DossierRegistered

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReceiptReceived(Event):
    provider: str
    provider_ref: str
    status: str
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessageReceived(Event):
    channel: str
    sender: str
    text: str
    provider_message_id: str
    conversation_id: str = ""
    citizen_id: str | None = None

    @property
    def key(self) -> str:
        return self.conversation_id  # one conversation's messages are handled in order


@dataclass(frozen=True, slots=True, kw_only=True)
class DossierUpdated(Event):
    code: str
    changed: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationRequested(Event):
    """A person should answer: the citizen asked for one, complained, or the
    assistant did not understand twice in a row."""

    escalation_id: str
    conversation_id: str
    channel: str
    reason: str  # request_human | complaint | not_understood
    transcript: tuple = ()  # ({"direction", "text", "at"}, ...) oldest first

    @property
    def key(self) -> str:
        return self.conversation_id
