"""Canned responses: Vietnamese answers agents insert with a /shortcut, with
variables filled from the conversation ({{ citizen.name }}, {{ dossier.code }},
{{ dossier.status_label }}, ...).

Rendering never fails: a variable with no value here (a citizen who never
gave a name, a conversation with no dossier) becomes a bracketed hint such as
"[mã hồ sơ]" that the agent sees and fills in before sending, and a name this
module does not know stays exactly as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from hub.store.port import CannedResponse
from models.events import new_id
from models.timeutil import format_vn

SHORTCUT = re.compile(r"[a-z0-9_-]{1,32}")
MAX_TITLE = 120
MAX_BODY = 2000

# Variable -> the hint shown when it has no value for this conversation.
HINTS: dict[str, str] = {
    "citizen.name": "[họ tên công dân]",
    "dossier.code": "[mã hồ sơ]",
    "dossier.status_label": "[trạng thái hồ sơ]",
    "dossier.procedure": "[thủ tục]",
    "dossier.due_date": "[ngày hẹn trả]",
    "agent.name": "[tên cán bộ]",
}
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")

# What a fresh install offers; the demo inserts them (add_defaults).
DEFAULT_CANNED: tuple[tuple[str, str, str], ...] = (
    (
        "chao",
        "Lời chào",
        "Chào {{ citizen.name }}, tôi là {{ agent.name }}, cán bộ tổng đài. Tôi có thể giúp gì cho Ông/Bà?",
    ),
    (
        "trangthai",
        "Trạng thái hồ sơ",
        "Hồ sơ {{ dossier.code }} ({{ dossier.procedure }}) của Ông/Bà hiện ở trạng thái: "
        "{{ dossier.status_label }}. Hẹn trả kết quả: {{ dossier.due_date }}.",
    ),
    (
        "bosung",
        "Yêu cầu bổ sung",
        "Hồ sơ {{ dossier.code }} cần bổ sung giấy tờ. Ông/Bà vui lòng mang bản chính các giấy tờ còn thiếu "
        "đến bộ phận một cửa trong giờ hành chính, hoặc nộp bổ sung trên Cổng dịch vụ công.",
    ),
    (
        "kiemtra",
        "Đang kiểm tra",
        "Cảm ơn Ông/Bà đã chờ. Tôi đang kiểm tra hồ sơ {{ dossier.code }} với cơ quan xử lý "
        "và sẽ trả lời Ông/Bà sớm nhất.",
    ),
    (
        "ketqua",
        "Nhận kết quả",
        "Hồ sơ {{ dossier.code }} đã có kết quả. Ông/Bà mang giấy tờ tùy thân đến bộ phận một cửa "
        "để nhận kết quả trong giờ hành chính.",
    ),
    (
        "tracuu",
        "Cách tra cứu",
        "Ông/Bà có thể tự tra cứu bằng cách nhắn: TRACUU <mã hồ sơ> <4 số cuối điện thoại đăng ký>.",
    ),
    (
        "camon",
        "Kết thúc",
        "Cảm ơn {{ citizen.name }} đã liên hệ tổng đài. Chúc Ông/Bà một ngày tốt lành!",
    ),
)


class CannedInvalid(ValueError):
    """A field that cannot be stored as given (HTTP 422); `field` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def check(shortcut: str, title: str, body: str) -> tuple[str, str, str]:
    """The fields as stored, or CannedInvalid (Vietnamese) for the first wrong one."""
    shortcut = (shortcut or "").strip().lstrip("/").lower()
    if not SHORTCUT.fullmatch(shortcut):
        raise CannedInvalid("Lối tắt gồm 1–32 ký tự: chữ thường không dấu, số, '_' hoặc '-'.", "shortcut")
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise CannedInvalid(f"Tiêu đề không được trống và dài tối đa {MAX_TITLE} ký tự.", "title")
    body = (body or "").strip()
    if not body or len(body) > MAX_BODY:
        raise CannedInvalid(f"Nội dung không được trống và dài tối đa {MAX_BODY} ký tự.", "body")
    return shortcut, title, body


async def create(
    store,
    *,
    shortcut: str,
    title: str,
    body: str,
    team: str | None,
    agent_id: str | None,
    clock: Callable[[], float],
) -> CannedResponse:
    """Conflict (models.errors) when the shortcut is taken."""
    shortcut, title, body = check(shortcut, title, body)
    canned = CannedResponse(
        id="cr_" + new_id()[:16],
        shortcut=shortcut,
        title=title,
        body=body,
        team=(team or "").strip() or None,
        created_by=agent_id,
        created_at=datetime.fromtimestamp(clock(), UTC),
    )
    return await store.add_canned(canned)


async def update(
    store, canned_id: str, *, shortcut: str, title: str, body: str, team: str | None
) -> CannedResponse | None:
    """None when unknown; Conflict when the shortcut is another's."""
    shortcut, title, body = check(shortcut, title, body)
    found = await store.get_canned(canned_id)
    if found is None or found.id != canned_id:
        return None
    changed = replace(found, shortcut=shortcut, title=title, body=body, team=(team or "").strip() or None)
    return changed if await store.update_canned(changed) else None


async def add_defaults(store, clock: Callable[[], float], agent_id: str | None = None) -> int:
    """DEFAULT_CANNED, those whose shortcut is free; how many were added."""
    added = 0
    for shortcut, title, body in DEFAULT_CANNED:
        if await store.get_canned(shortcut) is None:
            await create(store, shortcut=shortcut, title=title, body=body, team=None, agent_id=agent_id, clock=clock)
            added += 1
    return added


async def variables(store, conversation_id: str | None, agent_name: str | None = None) -> dict[str, str]:
    """The values for one conversation: its citizen, and its dossier or else
    the citizen's latest. Missing ones are absent (render shows the hint)."""
    values: dict[str, str] = {}
    if agent_name:
        values["agent.name"] = agent_name
    conversation = await store.get_conversation(conversation_id) if conversation_id else None
    if conversation is None:
        return values
    code = conversation.get("dossier_code")
    citizen_id = conversation.get("citizen_id")
    if citizen_id:
        citizen = await store.get_citizen(citizen_id)
        if citizen is not None and citizen.full_name.strip():
            values["citizen.name"] = citizen.full_name.strip()
        if not code:
            codes = await store.citizen_dossier_codes([citizen_id], limit=1)
            code = codes[0][0] if codes else None
    dossier = await store.get_dossier(code) if code else None
    if dossier is not None:
        values["dossier.code"] = dossier.code
        values["dossier.status_label"] = dossier.status.label
        values["dossier.procedure"] = dossier.procedure
        if dossier.due_at is not None:
            values["dossier.due_date"] = format_vn(dossier.due_at)[:10]
    elif code:
        values["dossier.code"] = code
    return values


def render_text(body: str, values: dict[str, str]) -> str:
    """Fills the variables; a known one with no value shows its hint, an unknown one stays as written."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        value = values.get(name)
        if value:
            return value
        return HINTS.get(name, match.group(0))

    return _VARIABLE.sub(fill, body)


def unfilled(text: str) -> list[str]:
    """The hints left in a rendered text, for the console to point at."""
    return [hint for hint in HINTS.values() if hint in text]


async def render(
    store, canned: CannedResponse | str, conversation_id: str | None, agent_name: str | None = None
) -> str:
    """A canned response's body (or any text) filled for this conversation."""
    body = canned.body if isinstance(canned, CannedResponse) else canned
    return render_text(body, await variables(store, conversation_id, agent_name))
