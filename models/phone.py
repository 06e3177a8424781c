"""Vietnamese phone numbers: citizens type 0xxxxxxxxx or +84xxxxxxxxx; we store E.164."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-()]")
# Full-width digits come from a Vietnamese IME left in full-width mode; any
# other script's digits are refused, so a stored phone is ASCII E.164.
_FULL_WIDTH_DIGITS = {0xFF10 + n: str(n) for n in range(10)}


def normalize_phone(raw: str) -> str:
    """Return the E.164 form (+84 and 9 digits), or raise ValueError in Vietnamese."""
    text = _SEPARATORS.sub("", (raw or "").translate(_FULL_WIDTH_DIGITS))
    if text.startswith("+84"):
        national = text[3:]
    elif text.startswith("0084"):
        national = text[4:]
    elif text.startswith("84") and len(text) == 11:
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        raise ValueError(f"số điện thoại '{raw}' không hợp lệ: dùng dạng 0xxxxxxxxx hoặc +84xxxxxxxxx")
    # Mobile and landline subscriber numbers are 9 digits since the 2018 re-numbering;
    # a leading 0 after the country code is a typo ('+840912…').
    if not (national.isascii() and national.isdigit()) or len(national) != 9 or national[0] == "0":
        raise ValueError(f"số điện thoại '{raw}' không hợp lệ: cần 10 chữ số, bắt đầu bằng 0")
    return "+84" + national


def last_four(phone_e164: str) -> str:
    return phone_e164[-4:]
