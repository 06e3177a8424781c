"""The Jinja filters notification templates use: dates and times as
Vietnamese write and say them, codes spelled for text-to-speech, a clerk's
free text shortened for SMS or broken into HTML lines."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

_DISPLAY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?\s*$")
_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
# How a Vietnamese speaker names Latin letters when spelling a code aloud.
_LETTERS = dict(
    zip(
        "ABCDĐEFGHIJKLMNOPQRSTUVWXYZ",
        [
            "a",
            "bê",
            "xê",
            "dê",
            "đê",
            "e",
            "ép",
            "giê",
            "hát",
            "i",
            "gi",
            "ca",
            "e-lờ",
            "em-mờ",
            "en-nờ",
            "o",
            "pê",
            "quy",
            "e-rờ",
            "ét-xì",
            "tê",
            "u",
            "vê",
            "vê kép",
            "ích-xì",
            "i dài",
            "dét",
        ],
        strict=True,
    )
)
_SIGNS = {"-": "gạch ngang", "/": "gạch chéo", ".": "chấm", "_": "gạch dưới"}


def vn_date(value: Any) -> str:
    """The date part of a display time ("05/12/2026 17:00" -> "05/12/2026")."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    return str(value).split(" ", 1)[0]


def spoken_time(value: Any) -> str:
    """A display time as a text-to-speech engine reads it unambiguously:
    "05/12/2026 17:00" -> "17 giờ ngày 5 tháng 12 năm 2026"."""
    if value is None:
        return ""
    found = _DISPLAY.match(str(value))
    if not found:
        return str(value)
    day, month, year, hour, minute = found.groups()
    date = f"ngày {int(day)} tháng {int(month)} năm {year}"
    if hour is None:
        return date
    clock = f"{int(hour)} giờ" + (f" {int(minute)} phút" if int(minute) else "")
    return f"{clock} {date}"


# Abbreviations every clerk writes and a speech engine spells out or stumbles on.
_ABBREVIATIONS = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "TTHC": "thủ tục hành chính",
    "GCN": "giấy chứng nhận",
    "QSDĐ": "quyền sử dụng đất",
    "TP.": "thành phố",
    "TX.": "thị xã",
}
_SPOKEN = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, _ABBREVIATIONS)) + r")(?!\w)")
_URL = re.compile(r"\s*(?:https?://|www\.)\S*?(?=[.,;:!?)]*(?:\s|$))")


def spoken(value: Any) -> str:
    """Administrative abbreviations written out for text-to-speech, and links
    left out: nobody can follow a link read aloud."""
    text = _URL.sub("", str(value or ""))
    return _SPOKEN.sub(lambda found: _ABBREVIATIONS[found.group()], text)


@lru_cache(maxsize=4096)  # the same code is spelled twice a call, and again in the next call
def spell(value: Any) -> str:
    """A code or phone number one sign at a time, so that "BD-261015-0077" is
    not read as a word and a number in the millions."""
    words = []
    for char in str(value or "").upper():
        if char.isdigit() and char.isascii():
            words.append(_DIGITS[int(char)])
        elif char in _LETTERS:
            words.append(_LETTERS[char])
        elif char in _SIGNS:
            words.append(_SIGNS[char])
        elif not char.isspace():
            words.append(char)
    return ", ".join(words)


def shorten(value: Any, width: int) -> str:
    """At most `width` characters, cut between words and ended with "…", for
    a clerk's free text in an SMS that must stay within two segments."""
    text = one_line(str(value or ""))
    if len(text) <= width:
        return text
    cut = text[:width]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def nl2br(value: Any) -> Markup:
    """A clerk's multi-line note in HTML: escaped, line breaks kept."""
    return Markup("<br>\n").join(escape(line) for line in str(value or "").splitlines())


def blank_none(value: Any) -> Any:
    # A none printed as "None" would reach the citizen; blank is the lesser harm,
    # and the template check renders each template with its optional values empty.
    return "" if value is None else value


def one_line(text: str) -> str:
    return " ".join(text.split())  # str.split knows Unicode whitespace, and is C: 5x the regex


# The names templates call them by.
FILTERS = {
    "vn_date": vn_date,
    "spoken_time": spoken_time,
    "spell": spell,
    "spoken": spoken,
    "shorten": shorten,
    "nl2br": nl2br,
}
