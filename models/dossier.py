"""Dossiers (hồ sơ thủ tục hành chính), their status vocabulary and legal moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class DossierStatus(str, Enum):  # noqa: UP042  StrEnum would change str() and f-strings from "Cls.MEMBER" to the value
    SUBMITTED = "submitted"
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    AWAITING_PAYMENT = "awaiting_payment"
    PAUSED = "paused"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def final(self) -> bool:
        return self in FINAL


S = DossierStatus

LABELS: dict[DossierStatus, str] = {
    S.SUBMITTED: "Mới đăng ký",
    S.RECEIVED: "Đã tiếp nhận",
    S.IN_PROGRESS: "Đang xử lý",
    S.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung hồ sơ",
    S.AWAITING_PAYMENT: "Chờ thực hiện nghĩa vụ tài chính",
    S.PAUSED: "Tạm dừng xử lý",
    S.RESULT_READY: "Đã có kết quả",
    S.RETURNED: "Đã trả kết quả",
    S.REJECTED: "Từ chối giải quyết",
    S.WITHDRAWN: "Công dân rút hồ sơ",
}
OVERDUE_LABEL = "Quá hạn"

FINAL = frozenset({S.RETURNED, S.REJECTED, S.WITHDRAWN})

# Once the result is ready the agency has done its part: a citizen who has not
# yet collected it does not make the agency late.
PROCESSING_DONE = FINAL | {S.RESULT_READY}

_STOP = {S.REJECTED, S.WITHDRAWN}
# A non-final status may repeat (a new note, a new due date); the notifier
# decides whether a repeat is worth telling the citizen.
TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    S.SUBMITTED: frozenset({S.SUBMITTED, S.RECEIVED, S.SUPPLEMENT_REQUESTED} | _STOP),
    S.RECEIVED: frozenset(
        {S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT, S.PAUSED, S.RESULT_READY} | _STOP
    ),
    S.IN_PROGRESS: frozenset(
        {S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT, S.PAUSED, S.RESULT_READY} | _STOP
    ),
    S.SUPPLEMENT_REQUESTED: frozenset({S.SUPPLEMENT_REQUESTED, S.RECEIVED, S.IN_PROGRESS, S.PAUSED} | _STOP),
    S.AWAITING_PAYMENT: frozenset({S.AWAITING_PAYMENT, S.IN_PROGRESS, S.RESULT_READY, S.PAUSED} | _STOP),
    S.PAUSED: frozenset({S.PAUSED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED} | _STOP),
    S.RESULT_READY: frozenset({S.RESULT_READY, S.RETURNED}),
    S.RETURNED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# The national public-service portal's numeric codes, which most one-stop-shop
# systems also speak. Labels differ per system, codes do not.
NATIONAL_PORTAL_CODES: dict[int, DossierStatus] = {
    1: S.SUBMITTED,
    2: S.RECEIVED,
    3: S.REJECTED,
    4: S.IN_PROGRESS,
    5: S.SUPPLEMENT_REQUESTED,
    6: S.AWAITING_PAYMENT,
    7: S.WITHDRAWN,
    8: S.PAUSED,
    9: S.RESULT_READY,
    10: S.RETURNED,
}


def parse_status(value: object) -> DossierStatus:
    """Our name ('in_progress') or the national portal's code (4 or '4')."""
    if isinstance(value, bool):
        raise ValueError("status phải là tên trạng thái hoặc mã trạng thái của Cổng DVC quốc gia (1-10)")
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        code = int(value)
        if code in NATIONAL_PORTAL_CODES:
            return NATIONAL_PORTAL_CODES[code]
        raise ValueError(f"mã trạng thái {code} không có trong bảng mã Cổng DVC quốc gia (1-10)")
    try:
        return DossierStatus(value)
    except ValueError:
        names = ", ".join(s.value for s in DossierStatus)
        raise ValueError(f"trạng thái {value!r} không hợp lệ; dùng một trong: {names}") from None


def check_transition(current: DossierStatus, requested: DossierStatus) -> bool:
    return requested in TRANSITIONS[current]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    status: DossierStatus
    at: datetime
    actor: str
    note: str
    event_id: str


@dataclass(frozen=True, slots=True)
class Dossier:
    code: str
    procedure: str
    agency: str
    applicant_id: str
    received_at: datetime
    due_at: datetime | None
    status: DossierStatus
    timeline: tuple[TimelineEntry, ...] = field(default=())

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and now > self.due_at and self.status not in PROCESSING_DONE
