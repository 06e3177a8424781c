"""A dossier's status in one line, as every channel tells it to the citizen."""

from __future__ import annotations

from hub.lookup import verified_lookup
from models.dossier import PROCESSING_DONE, DossierStatus
from models.timeutil import format_vn, utcnow
from notify.context import missing_documents


def status_line(dossier, now) -> str:
    overdue = dossier.is_overdue(now)
    status = dossier.status.label + (" (quá hạn)" if overdue else "")
    line = f"Hồ sơ {dossier.code} ({dossier.procedure}): {status}"
    if dossier.timeline and dossier.timeline[-1].at is not None:
        line += f" từ {format_vn(dossier.timeline[-1].at)}"
    if dossier.due_at is not None and dossier.status not in PROCESSING_DONE:
        line += f". Hẹn trả kết quả: {format_vn(dossier.due_at)}"
    return line + "." + _supplement(dossier)


def _supplement(dossier) -> str:
    """What to bring, read from the clerk's note as the notice reads it: a
    citizen who asks should not learn less than one who was notified."""
    if dossier.status != DossierStatus.SUPPLEMENT_REQUESTED or not dossier.timeline:
        return ""
    note = dossier.timeline[-1].note or ""
    documents = missing_documents(note)
    if documents:
        return "\nCần bổ sung các giấy tờ sau:\n" + "\n".join(f"{i}. {d}" for i, d in enumerate(documents, 1))
    return f"\n{note.strip()}" if note.strip() else ""


NOT_FOUND = "Không tìm thấy hồ sơ với mã và 4 số cuối điện thoại này. Vui lòng kiểm tra lại."


class StatusAnswers:
    """What the assistant tells a citizen who gives a code and four digits,
    behind the same brute-force guard as every other lookup."""

    def __init__(self, store, guard, clock=utcnow):
        self.store, self.guard, self.clock = store, guard, clock

    async def text(self, code: str, digits: str, asker: str | None = None) -> str:
        """`asker`: the guard's key for whoever asks (contact_center.inbox.asker)."""
        outcome = await verified_lookup(self.store, self.guard, code, digits, key=asker)
        # Limited reads as not found: no hint for whoever is guessing.
        if not outcome.ok or outcome.found is None:
            return NOT_FOUND
        return status_line(outcome.found.dossier, self.clock())
