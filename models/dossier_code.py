"""Dossier codes: the formats in use, one normaliser, finding a code in free
text, and what the API accepts.

Every place that reads a dossier code uses this module: the API, the keyword
commands (TRACUU/THEODOI) on every channel, the built-in assistant and the
Rasa action server. The action server runs in Rasa's own Python 3.10
environment and loads this file by path, so it imports the standard library
only and stays 3.10-compatible.

One-stop-shop systems differ in how they number dossiers (design notes: never
hard-code one pattern), so the formats are rows of a table: adding a system's
format is adding a row, and assistant/data/nlu.yml's `dossier_code` regex is
generated from the same rows (`nlu_regex()`; tests/models/test_dossier_code.py
fails when the two drift apart).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CodeFormat:
    name: str
    description: str
    examples: tuple[str, ...]
    # The whole code once normalised (upper case, ASCII), without anchors.
    regex: str
    # Distinctive enough to be picked out of a sentence. A free-form code is
    # not: any long word would pass for one, so it is only taken where a code
    # is expected (the API path, the word after TRACUU).
    in_text: bool


FORMATS: tuple[CodeFormat, ...] = (
    CodeFormat(
        name="national_portal",
        description="Cổng Dịch vụ công quốc gia: mã cơ quan (000.00.21.H12), ngày nhận yymmdd, số thứ tự",
        examples=("000.00.21.H12-261130-0505", "000.00.21.H12-241105-0012", "001.02.33.H12-250301-0099"),
        regex=r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{3,6}",
        in_text=True,
    ),
    CodeFormat(
        name="provincial",
        description="Một cửa điện tử của tỉnh: ký hiệu đơn vị (BD, H12.22, TP.01), ngày nhận yymmdd, số thứ tự",
        examples=("BD-261130-0606", "BD-240915-077", "H12.22-240301-0456", "TP.01-241118-0203", "G01.05-250203-0007"),
        regex=r"[A-Z][A-Z0-9]{0,7}(?:\.[A-Z0-9]{1,8}){0,2}-\d{6}-\d{3,6}",
        in_text=True,
    ),
    CodeFormat(
        name="free_form",
        description="Mã tự do do hệ thống một cửa gửi qua API: chữ, số và . - _ (tối đa 100 ký tự)",
        examples=("MC2026.000123", "KIOSK_0042", "HS-2026-1"),
        regex=r"[A-Z0-9][A-Z0-9._\-]{0,99}",
        in_text=False,
    ),
)

# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar,
# minus sign, small hyphen-minus: phones and word processors put these where
# the receipt printed '-'. Full-width forms (U+FF01-FF5E) come from
# Vietnamese IMEs left in full-width mode; U+FF0D, the full-width '-', is one.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
_TO_ASCII = {
    **{ord(dash): "-" for dash in _DASHES},
    **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
    0x3000: " ",
}

# ASCII-only inside the code: under IGNORECASE alone, [A-Z] would also take
# 'ı', 'ſ' and the Kelvin sign. The surroundings stay Unicode-aware, so a code
# glued to a Vietnamese word ("sơBD-...") is not taken.
_IN_TEXT = re.compile(
    r"(?<![\w.\-])(?a:" + "|".join(f"(?:{f.regex})" for f in FORMATS if f.in_text) + r")(?![\w\-])", re.IGNORECASE
)
_WHOLE = tuple((f, re.compile(f.regex, re.ASCII)) for f in FORMATS)
_ACCEPTED = re.compile(next(f.regex for f in FORMATS if f.name == "free_form"), re.ASCII | re.IGNORECASE)


def normalize_text(text: str) -> str:
    """NFC, Unicode dashes to '-', full-width letters and digits to ASCII.
    One character for one, so that the text reads as the citizen wrote it."""
    return unicodedata.normalize("NFC", str(text).translate(_TO_ASCII))


def normalize_code(code: str) -> str:
    """A code as stored and printed on the receipt: `normalize_text`, no
    whitespace anywhere, upper case."""
    return "".join(normalize_text(code).split()).upper()


def code_format(code: str) -> CodeFormat | None:
    """The first table row the (normalised) code is written in."""
    canonical = normalize_code(code)
    return next((f for f, pattern in _WHOLE if pattern.fullmatch(canonical)), None)


def is_valid_code(code: str) -> bool:
    """What the API accepts in a path, as given (not normalised): the
    one-stop-shop's own spelling is the dossier's key."""
    return bool(_ACCEPTED.fullmatch(code))


def find_codes(text: str | None) -> list[str]:
    """The dossier codes in free text, normalised, in order, each once."""
    found: list[str] = []
    if text:
        for match in _IN_TEXT.finditer(normalize_text(text)):
            code = match.group(0).upper()
            if code not in found:
                found.append(code)
    return found


def find_code(text: str | None) -> str | None:
    """The first dossier code in free text, normalised."""
    codes = find_codes(text)
    return codes[0] if codes else None


def without_codes(text: str | None, replacement: str = " ") -> str:
    """`text` normalised, each code replaced: what is left to look for the
    verification digits in (not the "0077" of BD-240915-0077)."""
    return _IN_TEXT.sub(replacement, normalize_text(text or ""))


def nlu_regex() -> str:
    """The `regex: dossier_code` line of assistant/data/nlu.yml. To
    regenerate: python -c "from models.dossier_code import nlu_regex; print(nlu_regex())"."""
    return r"\b(?:" + "|".join(f.regex for f in FORMATS if f.in_text) + r")\b"
