"""Dossier views: the full one for the one-stop-shop, the masked public one
for kiosk, phone and chat."""

from __future__ import annotations

from datetime import datetime

from models.dossier import OVERDUE_LABEL, Dossier, TimelineEntry
from models.privacy import mask_name
from models.timeutil import format_vn, to_iso


def _when(moment: datetime | None) -> dict:
    if moment is None:
        return {"iso": None, "display": None}
    return {"iso": to_iso(moment), "display": format_vn(moment)}


def _entry(entry: TimelineEntry, *, public: bool) -> dict:
    view = {
        "status": entry.status.value,
        "status_label": entry.status.label,
        "at": to_iso(entry.at),
        "at_display": format_vn(entry.at),
        "note": entry.note,
    }
    if not public:
        view.update(actor=entry.actor, event_id=entry.event_id)
    return view


def dossier_view(dossier: Dossier, now: datetime, *, applicant_name: str | None = None) -> dict:
    """The public view when `applicant_name` is given (masked), else the full one."""
    public = applicant_name is not None
    overdue = dossier.is_overdue(now)
    received, due = _when(dossier.received_at), _when(dossier.due_at)
    view = {
        "code": dossier.code,
        "procedure": dossier.procedure,
        "agency": dossier.agency,
        "status": dossier.status.value,
        "status_label": dossier.status.label,
        "overdue": overdue,
        # What a citizen should read first: "Quá hạn" outranks the raw status.
        "display_status": f"{dossier.status.label} ({OVERDUE_LABEL})" if overdue else dossier.status.label,
        "received_at": received["iso"],
        "received_at_display": received["display"],
        "due_at": due["iso"],
        "due_at_display": due["display"],
        "timeline": [_entry(e, public=public) for e in dossier.timeline],
    }
    if applicant_name is not None:
        view["applicant"] = mask_name(applicant_name)
    else:
        view["applicant_id"] = dossier.applicant_id
    return view
