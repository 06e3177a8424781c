"""Demo data: a few citizens and dossiers in different statuses. Seeding twice
changes nothing, because dossier codes and event ids are fixed. It is history:
recorded without notices, so the first `serve` after `demo` sends none."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.api.auth import ApiKeys
from hub.store.port import ApplicantData, DossierData, StatusChange
from models.citizen import Channel, ConsentRecord
from models.dossier import DossierStatus as S
from models.timeutil import VN_TZ, utcnow


def _consents(*channels: str) -> tuple[ConsentRecord, ...]:
    # Given at the one-stop-shop counter when the dossier was filed.
    return tuple(
        ConsentRecord(
            channel=Channel(c),
            granted=True,
            at=datetime(2026, 1, 5, 8, 0, tzinfo=VN_TZ),
            via="one_stop_shop_counter",
            legal_basis="consent",
        )
        for c in channels
    )


CITIZENS = [
    ApplicantData(
        "Nguyễn Văn An",
        phone="+84912345678",
        email="an.nguyen@example.vn",
        telegram_chat_id=100001,
        preferred_channels=("telegram", "sms", "email"),
        consents=_consents("telegram", "sms", "email"),
    ),
    ApplicantData("Trần Thị Bình", phone="+84987654321", preferred_channels=("sms",), consents=_consents("sms")),
    ApplicantData(
        "Lê Hoàng Cường",
        phone="+84903111222",
        email="cuong.le@example.vn",
        preferred_channels=("email", "sms"),
        consents=_consents("email", "sms"),
    ),
    ApplicantData(
        "Phạm Thu Dung",
        phone="+84388777666",
        telegram_chat_id=100004,
        preferred_channels=("telegram", "sms"),
        consents=_consents("telegram", "sms"),
    ),
]

# (code, procedure, agency, applicant index, days since received, days until due, path of statuses)
DOSSIERS = [
    ("000.00.21.H12-261120-0001", "Đăng ký khai sinh", "UBND phường Thạch Thang", 0, 3, 2, [S.RECEIVED, S.IN_PROGRESS]),
    (
        "H12.22-261101-0456",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Sở Xây dựng",
        1,
        20,
        5,
        [S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED],
    ),
    (
        "BD-261015-0077",
        "Cấp phiếu lý lịch tư pháp",
        "Sở Tư pháp",
        2,
        40,
        -30,
        [S.RECEIVED, S.IN_PROGRESS, S.RESULT_READY],
    ),
    (
        "000.00.21.H12-261105-0012",
        "Đăng ký hộ kinh doanh",
        "UBND quận Hải Châu",
        3,
        15,
        -2,
        [S.RECEIVED, S.IN_PROGRESS],
    ),
    (
        "H12.22-261002-0101",
        "Cấp giấy chứng nhận quyền sử dụng đất",
        "Văn phòng đăng ký đất đai",
        0,
        50,
        -10,
        [S.RECEIVED, S.IN_PROGRESS, S.RESULT_READY, S.RETURNED],
    ),
]

NOTES = {
    S.SUPPLEMENT_REQUESTED: "Bổ sung bản vẽ thiết kế có chữ ký của đơn vị tư vấn.",
    S.RESULT_READY: "Mời ông/bà đến Bộ phận một cửa nhận kết quả, mang theo CCCD.",
}


async def seed(store) -> tuple[list[tuple[str, str, str, str]], str]:
    now = utcnow()
    # Office hours, Vietnam time: received at 08:00, each step the next day at 09:30.
    today = now.astimezone(VN_TZ).replace(hour=8, minute=0, second=0, microsecond=0)
    rows = []
    for code, procedure, agency, who, since, until, path in DOSSIERS:
        applicant = CITIZENS[who]
        received = today - timedelta(days=since)
        await store.upsert_dossier(
            DossierData(
                code=code,
                procedure=procedure,
                agency=agency,
                received_at=received,
                due_at=today + timedelta(days=until, hours=9),
                applicant=applicant,
                notify=False,  # history: the citizens were told when it happened
            )
        )
        for step, status in enumerate(path, start=1):
            await store.record_status_change(
                StatusChange(
                    code=code,
                    event_id=f"demo-{code}-{step}",
                    status=status,
                    at=received + timedelta(days=step - 1, hours=1, minutes=30),
                    actor="Bộ phận một cửa",
                    note=NOTES.get(status, ""),
                    notify=False,
                )
            )
        dossier = await store.get_dossier(code)
        label = dossier.status.label + (" (Quá hạn)" if dossier.is_overdue(now) else "")
        if applicant.phone is None:
            raise ValueError(f"demo citizen {who!r} needs a phone: the lookup asks for its last 4 digits")
        rows.append((code, applicant.phone[-4:], label, procedure))
    key = await ApiKeys(store).create("demo")
    return rows, key
