"""Dossiers as tests write them: for the store (DossierData, StatusChange)
and for the API (its JSON body)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.store.port import ApplicantData, DossierData, StatusChange

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def dossier(code="H12-0001", phone="+84912345678", name="Nguyễn Văn An", **extra) -> DossierData:
    fields = dict(
        code=code,
        procedure="Đăng ký khai sinh",
        agency="UBND phường",
        received_at=T0,
        due_at=T0 + timedelta(days=5),
        applicant=ApplicantData(name, phone=phone),
    )
    fields.update(extra)
    return DossierData(**fields)


def change(event_id, status, code="H12-0001", minutes=0, **extra) -> StatusChange:
    return StatusChange(
        code=code,
        event_id=event_id,
        status=status,
        at=T0 + timedelta(minutes=minutes),
        actor="Một cửa",
        note="",
        **extra,
    )


# PUT /api/v1/dossiers/{code}
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "due_at": "2099-11-25T17:00:00",
    "applicant": {
        "full_name": "Lê Văn Cường",
        "phone": "0987654321",
        "email": "cuong@example.vn",
        "telegram_chat_id": 5550001,
        "preferred_channels": ["telegram", "email"],
        "consents": [{"channel": "telegram", "granted": True}, {"channel": "email", "granted": True}],
    },
}
