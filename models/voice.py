"""What a phone call says and hears, with no vendor in it.

The IVR (contact_center/ivr) answers every turn of a call with a `Step`: the
actions to perform in order and an opaque `state` the adapter hands back on
the next turn. Each adapter (channels/twilio_voice.py, channels/stringee.py)
renders a Step to its vendor's language (TwiML, Stringee's SCCO) and turns the
vendor's callbacks into a `CallInfo` and an `Entry`; a province's own PBX is
one more renderer. Every Step ends with an action that waits or ends the call
(Gather, Record, Enqueue, Hangup), so no adapter has to guess what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal


@dataclass(frozen=True, slots=True)
class Say:
    """Vietnamese text for the provider's vi-VN voice: numbers, dates and codes
    already written as words (models/vn_words.py), so every voice reads them alike."""

    text: str


@dataclass(frozen=True, slots=True)
class Gather:
    """Speak the prompts while listening for keys; the keys (or a time-out,
    as an empty Entry with timed_out) come back on the next turn."""

    prompts: tuple[Say, ...]
    max_digits: int = 1
    finish_on_key: str = ""  # "#": the caller ends a long entry with it
    timeout: int = 6  # seconds of silence after the prompts
    speech: bool = False  # also listen for vi-VN speech where the provider can


@dataclass(frozen=True, slots=True)
class Record:
    """A message from the caller (a call-back request); the recording's URL
    comes back on the next turn."""

    prompt: Say
    max_seconds: int = 60
    finish_on_key: str = "#"


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Wait for an agent of the help center. `announce` is said first (the
    position in the queue); the provider's hold turns (`VoiceFlow.hold`) say
    more where it has them. Leaving the queue unanswered comes back as an
    Entry with queue_left."""

    queue: str
    announce: Say


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


@dataclass(frozen=True, slots=True)
class Leave:
    """In a hold turn only: take the caller out of the queue (the wait limit
    passed), back to the IVR with Entry(queue_left=True)."""


Action = Say | Gather | Record | Enqueue | Hangup | Leave


@dataclass(frozen=True, slots=True)
class Step:
    actions: tuple[Action, ...]
    state: str = ""  # handed back on the next turn; opaque to adapters, ≤ 200 ASCII characters


Direction = Literal["inbound", "outbound"]


@dataclass(frozen=True, slots=True)
class CallInfo:
    call_id: str  # the provider's id (Twilio CallSid, Stringee call_id)
    provider: str  # "twilio" | "stringee"
    caller: str  # the citizen's number, normalised (+84...), or "" when withheld
    called: str = ""  # our number
    direction: Direction = "inbound"


@dataclass(frozen=True, slots=True)
class Entry:
    """What the caller did on the last turn."""

    digits: str = ""  # keys pressed, "*" and "#" included (without the finish key)
    speech: str = ""  # vi-VN transcript where the provider gives one
    recording_url: str = ""
    timed_out: bool = False  # nothing pressed
    queue_left: bool = False  # came back out of Enqueue unanswered (or Leave)


class CallStatus(str, Enum):  # noqa: UP042  as models.notifications.DeliveryStatus
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def ended(self) -> bool:
        return self not in (CallStatus.RINGING, CallStatus.IN_PROGRESS)
