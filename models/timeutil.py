"""Time in Vietnam: Asia/Ho_Chi_Minh, dd/mm/yyyy, 24h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since 1975; a fixed
# offset converts several times faster than a ZoneInfo on the lookup path.
VN_TZ = timezone(timedelta(hours=7), "ICT")


def parse_datetime(value: object) -> datetime:
    """ISO 8601; a time without an offset is read as Vietnam time, because that
    is what a clerk in the province means when they type it."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("cần một thời điểm dạng ISO 8601, ví dụ 2026-11-28T09:30:00+07:00")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{value}' không phải thời điểm ISO 8601 hợp lệ") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    try:
        parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-12:00 cannot be stored as UTC
        raise ValueError(f"'{value}' nằm ngoài khoảng thời gian hỗ trợ") from None
    return parsed


def to_iso(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds")


def format_vn(moment: datetime) -> str:
    local = moment.astimezone(VN_TZ)
    # An f-string: strftime showed up in the notifier's profile.
    return f"{local.day:02d}/{local.month:02d}/{local.year:04d} {local.hour:02d}:{local.minute:02d}"


def utcnow() -> datetime:
    return datetime.now(UTC)
