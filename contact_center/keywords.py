"""Keyword commands a citizen can type on any channel: by SMS as Vietnamese
write them (no accents, any case: "tra cuu BD-261015-0077 1222"), or as
Telegram commands ("/tracuu@TongDaiBot ...")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.smstext import unaccent

# First word(s), unaccented and upper-cased, to the command they mean.
WORDS = {
    "TRACUU": "lookup", "TRA CUU": "lookup", "TC": "lookup",
    "THEODOI": "follow", "THEO DOI": "follow", "DK": "follow", "DANGKY": "follow", "DANG KY": "follow",
    "HUY": "stop", "STOP": "stop", "DUNG": "stop", "HUYDK": "stop", "HUY DK": "stop", "TUCHOI": "stop",
    "START": "start", "BATDAU": "start",
}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{5,99}$")
_DIGITS = re.compile(r"^\d{4}$")
# A dossier code anywhere in free text ("hồ sơ BD-261015-0077 của tôi..."):
# letters/digits with at least one dash and six digits, the formats in use.
CODE_IN_TEXT = re.compile(r"(?<![\w.-])((?:\d{3}\.\d{2}\.\d{2}\.)?[A-Z]{1,4}\d{0,2}(?:\.\d{2})?-\d{6}-\d{4})(?![\w-])")


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # lookup | follow | stop | start
    code: str | None = None
    digits: str | None = None
    argument: str | None = None  # /start's deep-link token


def parse(text: str) -> Command | None:
    words = text.strip().split()
    if not words:
        return None
    first = words[0]
    if first.startswith("/"):
        first = first[1:].split("@", 1)[0]  # "/tracuu@TongDaiBot"
    head = unaccent(first).upper()
    rest = words[1:]
    name = WORDS.get(head)
    if name is None and rest:
        name = WORDS.get(f"{head} {unaccent(rest[0]).upper()}")
        rest = rest[1:]
    if name is None:
        return None
    if name == "start":
        return Command("start", argument=rest[0] if rest else None)
    if name == "stop":
        # "HUY" alone, or followed by a few words ("huy dang ky", "stop all"), but
        # not a sentence that merely starts with the word.
        return Command("stop") if len(rest) <= 2 else None
    code = next((w for w in rest if _CODE.match(w) and not _DIGITS.match(w)), None)
    digits = next((w for w in rest if _DIGITS.match(w)), None)
    return Command(name, code=code, digits=digits)


def find_code(*texts: str | None) -> str | None:
    """The first dossier code in a subject or body."""
    for text in texts:
        if text:
            found = CODE_IN_TEXT.search(text.upper())
            if found:
                return found.group(1)
    return None
