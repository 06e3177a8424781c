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
# An agent's answer in a conversation (contact_center/replies.py). It answers
# the citizen's own message, so it needs no consent and no quiet hours (it is
# planned urgent), and it goes only to the address the conversation is with,
# named in its context: "reply_to": {"channel", "address", "in_reply_to"}.
# Retried there as usual, never moved to another channel; a withdrawal on
# that channel still wins.
AGENT_REPLY = "agent_reply"
REPLIES = frozenset({AGENT_REPLY})

# A dossier's news: a newer one makes a pending older one stale (the citizen
# gets the current state once), unless it must be kept (KEPT_TEMPLATES).
STATUS_NEWS = frozenset({DOSSIER_RECEIVED, DOSSIER_STATUS})
# A result with collection details tells the citizen where and when to collect:
# a later notice does not say it again, so it is never superseded.
KEPT_TEMPLATES = frozenset({"result_ready"})

# Legal bases (README "Consent and legal basis"). Public task: the agency's
# own duty to tell an applicant about their dossier, on the addresses the
# service holds for them; consent: only channels with an explicit grant. A
# withdrawal wins over both. A request for consent goes to the one address it
# asks about (ASKS_CONSENT) and is recorded as such.
PUBLIC_TASK = "public_task"
CONSENT = "consent"
CONSENT_REQUEST = "consent_request"
CITIZEN_REQUEST = "citizen_request"  # an answer to what the citizen wrote (REPLIES)
BASES = (PUBLIC_TASK, CONSENT)
DEFAULT_LEGAL_BASES: dict[str, str] = {
    DOSSIER_RECEIVED: PUBLIC_TASK,
    DOSSIER_STATUS: PUBLIC_TASK,
    OVERDUE_APOLOGY: PUBLIC_TASK,
    BROADCAST: CONSENT,
}
# Decree 91/2020: a message to a list is not about the recipient's own
# transaction, so it needs their prior consent whatever a setting says.
CONSENT_ONLY = frozenset({BROADCAST})


def parse_legal_bases(text: str) -> dict[str, str]:
    """'dossier_status=public_task,broadcast=consent' over DEFAULT_LEGAL_BASES;
    ValueError (Vietnamese, then English) on anything else."""
    found = dict(DEFAULT_LEGAL_BASES)
    for part in filter(None, (p.strip() for p in text.split(","))):
        purpose, sep, basis = (x.strip() for x in part.partition("="))
        if not sep or purpose not in DEFAULT_LEGAL_BASES or basis not in BASES:
            raise ValueError(
                f"TONGDAI_LEGAL_BASIS: '{part}' không hợp lệ, cần mục_đích=căn_cứ với mục đích là một trong "
                f"{', '.join(DEFAULT_LEGAL_BASES)} và căn cứ là {' hoặc '.join(BASES)} / expected purpose=basis, "
                f"purpose one of {', '.join(DEFAULT_LEGAL_BASES)}, basis {' or '.join(BASES)}"
            )
        if purpose in CONSENT_ONLY and basis != CONSENT:
            raise ValueError(
                f"TONGDAI_LEGAL_BASIS: '{part}': thông báo hàng loạt chỉ được gửi khi người nhận đã đồng ý "
                f"(Nghị định 91/2020/NĐ-CP) / a broadcast needs the recipient's consent"
            )
        found[purpose] = basis
    return found


# Why a notification is not (yet) sent: machine codes, with the label a
# person reads (the API gives both, `tongdai outbox why` the label).
REASONS: dict[str, str] = {
    "no_address": "không có địa chỉ liên lạc nào để gửi",
    "withdrawn": "người nhận đã từ chối nhận thông báo trên kênh này",
    "no_basis": "chưa có căn cứ để gửi: người nhận chưa đồng ý nhận qua kênh nào",
    "quiet_hours": "tạm hoãn: giờ yên tĩnh ban đêm",
    "holiday": "tạm hoãn: ngày nghỉ lễ",
    "rate_limited": "chờ lượt gửi: giới hạn tốc độ của nhà cung cấp",
    "superseded": "không gửi: đã có thông báo mới hơn về hồ sơ này",
    "temporary_failure": "lỗi tạm thời, sẽ gửi lại",
    "technical_failure": "lỗi kỹ thuật kéo dài, đã thử lại nhiều lần",
    "provider_refused": "nhà cung cấp từ chối tài khoản của tổng đài: người vận hành cần xử lý",
    "rejected": "kênh này không nhận tin (lỗi vĩnh viễn)",
    "template_error": "mẫu thông báo lỗi trên kênh này",
    "no_receipt": "không nhận được xác nhận đã nhận",
    "broadcast_cancelled": "đợt thông báo hàng loạt đã bị hủy",
}


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
    legal_basis: str = CONSENT  # recorded when planned: what lets the sender use a channel
    reason: str | None = None  # a REASONS code while not sent, or once given up
    # When the news it carries happened (UTC ISO), as the event said; the
    # store orders news by the dossier's recorded sequence first.
    event_at: str | None = None
    superseded_by: str | None = None


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
    reason: str | None = None  # a REASONS code; the store drops it once sending or sent

    @classmethod
    def of(cls, n: Notification) -> Progress:
        return cls(n.id, n.status, n.channel, n.tried, n.tries, n.current_attempt, n.next_at, n.reason)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a provider says later about a message it accepted."""

    provider: str
    provider_ref: str
    status: DeliveryStatus
    error: str | None = None
