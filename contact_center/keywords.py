"""Keyword commands a citizen can type on any channel: by SMS as Vietnamese
write them (no accents, any case: "tra cuu BD-261015-0077 1222"), or as
Telegram commands ("/tracuu@TongDaiBot ...")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models import dossier_code
from models.smstext import unaccent

# First word(s), unaccented and upper-cased, to the command they mean.
WORDS = {
    "TRACUU": "lookup",
    "TRA CUU": "lookup",
    "TC": "lookup",
    "THEODOI": "follow",
    "THEO DOI": "follow",
    "DK": "follow",
    "DANGKY": "follow",
    "DANG KY": "follow",
    "HUY": "stop",
    "STOP": "stop",
    "DUNG": "stop",
    "HUYDK": "stop",
    "HUY DK": "stop",
    "TUCHOI": "stop",
    "START": "start",
    "BATDAU": "start",
}
_DIGITS = re.compile(r"^[0-9]{4}$")
# After the keyword, a word of six characters or more that the API would
# accept as a code: free-form codes count here, where a code is expected.
_CODE_MIN_LEN = 6


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
    # A code with punctuation stuck to it ("BD-261130-0606,") is still a code.
    code = next((w for w in rest if _is_code(w)), None) or dossier_code.find_code(" ".join(rest))
    digits = next((d for d in map(_as_digits, rest) if d), None)
    return Command(name, code=code, digits=digits)


def _as_digits(word: str) -> str | None:
    word = dossier_code.normalize_text(word)  # "１６０６" from a full-width keyboard
    return word if _DIGITS.match(word) else None


def _is_code(word: str) -> bool:
    # The word as typed is kept (the lookup normalises it); it only has to
    # read as a code once normalised: "bd–261130–0606" with en dashes does.
    canonical = dossier_code.normalize_code(word)
    return len(canonical) >= _CODE_MIN_LEN and dossier_code.is_valid_code(canonical) and not _DIGITS.match(canonical)


def find_code(*texts: str | None) -> str | None:
    """The first dossier code in a subject or body."""
    for text in texts:
        found = dossier_code.find_code(text)
        if found:
            return found
    return None
