"""What a template is told about a dossier event. Stored with the notification
(so that a retry tomorrow says what was true today); the citizen's name, the
organisation and links are added when it is rendered."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from hub.store.port import DossierTargets
from models.dossier import DossierStatus
from models.timeutil import format_vn

# Templates per dossier status; any status not named here uses the generic one.
STATUS_TEMPLATES = {
    DossierStatus.SUBMITTED: "dossier_received",
    DossierStatus.RECEIVED: "dossier_received",
    DossierStatus.SUPPLEMENT_REQUESTED: "supplement_requested",
    DossierStatus.RESULT_READY: "result_ready",
}
GENERIC = "status_changed"
APOLOGY = "overdue_apology"

_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s*")


@lru_cache(maxsize=4096)  # a dossier's dates repeat in each of its events
def display(iso: str | None) -> str | None:
    return format_vn(datetime.fromisoformat(iso)) if iso else None


def missing_documents(note: str) -> list[str]:
    """A clerk lists missing papers one per line, as bullets, or separated by
    semicolons; a lead-in line ending with ':' is not a document."""
    lines = [part for line in note.splitlines() for part in line.split(";")]
    items = [_BULLET.sub("", line).strip().rstrip(".") for line in lines]
    return [item for item in items if item and not item.endswith(":")]


def result_info(result: dict | None, agency: str) -> dict:
    info = {"method": "counter", "place": agency, "hours": None, "tracking_code": None, "address": None}
    if result:
        info.update({k: v for k, v in result.items() if k in info and v})
    return info


_STATUSES = {s.value: s for s in DossierStatus}


def dossier_context(
    target: DossierTargets, *, status: str, previous_status: str | None, at: str | None, note: str, due_at: str | None
) -> dict:
    current = _STATUSES[status]
    return {
        "code": target.code,
        "procedure": target.procedure,
        "agency": target.agency,
        "status": current.value,
        "status_label": current.label,
        "previous_status_label": _STATUSES[previous_status].label if previous_status else None,
        "at_display": display(at),
        "due_at_display": display(due_at),
        "received_at_display": display(target.received_at),
        "note": note,
    }
