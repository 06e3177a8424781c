"""A dossier as the kiosk screen shows it (docs/KIOSK_WEBCHAT.md): what the
public lookup shows (hub/tracking.py's labels and dates, the masked name)
and what the citizen's notices say, read from the same sources: the missing
documents from the clerk's note (notify/context.py missing_documents, as the
supplement notice and the assistant's status line read it), where to collect
from the one-stop-shop's `result` (notify/context.py result_info, as the
result-ready notice), the overdue apology's words and new date as the
overdue_apology template gives them."""

from __future__ import annotations

from datetime import datetime

from hub.store.port import Handover
from hub.tracking import dossier_view
from models.dossier import FINAL, PROCESSING_DONE, Dossier, DossierStatus
from models.timeutil import format_vn, to_iso
from notify.context import missing_documents, result_info

_WHERE_POST = "Gửi qua bưu điện theo địa chỉ Ông/Bà đã đăng ký"


def _when(moment: datetime | None) -> tuple[str | None, str | None]:
    return (to_iso(moment), format_vn(moment)) if moment is not None else (None, None)


def _moved_late(dossier: Dossier, handover: Handover) -> tuple[datetime, datetime] | None:
    """(the missed date, the new one) when the due date was moved after it had
    passed: the new return date the agency gives with its apology."""
    dates = handover.due_dates
    for (_, earlier), (set_at, later) in zip(dates, dates[1:], strict=False):
        if set_at > earlier and later > earlier and later == dossier.due_at:
            return earlier, later
    return None


def _overdue(dossier: Dossier, handover: Handover, now: datetime) -> dict | None:
    """Late now (the date to follow), or late before and given a new date:
    the one the apology named, else the due date moved after it had passed."""
    if dossier.status in PROCESSING_DONE:
        return None
    moved = _moved_late(dossier, handover)
    missed_display: str | None
    if dossier.is_overdue(now):
        (missed_iso, missed_display), (new_iso, new_display) = _when(dossier.due_at), (None, None)
    elif handover.apology is not None:
        missed_iso, missed_display = None, handover.apology.get("original_due_at_display")
        new_iso, new_display = _when(dossier.due_at)
    elif moved is not None:
        (missed_iso, missed_display), (new_iso, new_display) = _when(moved[0]), _when(moved[1])
    else:
        return None
    apology = (
        f"{dossier.agency} thành thật xin lỗi Ông/Bà vì hồ sơ chưa được giải quyết xong đúng hẹn"
        f"{f' trả kết quả ngày {missed_display}' if missed_display else ''}. "
        + (
            f"Ngày hẹn trả kết quả mới: {new_display}."
            if new_display
            else "Cơ quan sẽ thông báo ngày hẹn trả kết quả mới đến Ông/Bà trong thời gian sớm nhất."
        )
    )
    return {
        "apology": apology,
        "due_at": missed_iso,
        "due_at_display": missed_display,
        "new_due_at": new_iso,
        "new_due_at_display": new_display,
    }


def _supplement(dossier: Dossier) -> list[str] | None:
    if dossier.status != DossierStatus.SUPPLEMENT_REQUESTED or not dossier.timeline:
        return None
    note = dossier.timeline[-1].note or ""
    documents = missing_documents(note)
    return documents or ([note.strip()] if note.strip() else [])


def _collect(dossier: Dossier, handover: Handover) -> dict | None:
    """Where and when: for a ready result, as the result-ready notice says;
    while it is processed, at the agency from the appointment date."""
    if dossier.status in FINAL:
        return None
    if dossier.status == DossierStatus.RESULT_READY:
        info = result_info(handover.result, dossier.agency)
        if info["method"] == "post":
            # The postal address is personal: not on a public screen.
            return {"method": "post", "where": _WHERE_POST, "when": None, "tracking_code": info["tracking_code"]}
        return {"method": "counter", "where": info["place"], "when": info["hours"] or "Trong giờ hành chính"}
    if dossier.due_at is None:
        return None
    return {"method": "counter", "where": dossier.agency, "when": f"Từ ngày hẹn trả {format_vn(dossier.due_at)}"}


def kiosk_view(dossier: Dossier, applicant_name: str, handover: Handover, now: datetime) -> dict:
    public = dossier_view(dossier, now, applicant_name=applicant_name)
    return {
        "code": public["code"],
        "procedure": public["procedure"],
        "agency": public["agency"],
        "status": public["status"],
        "status_label": public["status_label"],
        "display_status": public["display_status"],
        "applicant": public["applicant"],
        "received_at": public["received_at"],
        "received_at_display": public["received_at_display"],
        "due_at": public["due_at"],
        "due_at_display": public["due_at_display"],
        "overdue": _overdue(dossier, handover, now),
        "timeline": [
            {
                "status": e["status"],
                "label": e["status_label"],
                "at": e["at"],
                "at_display": e["at_display"],
                "note": e["note"],
            }
            for e in public["timeline"]
        ],
        "supplement": _supplement(dossier),
        "collect": _collect(dossier, handover),
    }
