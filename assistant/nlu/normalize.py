"""Vietnamese text normalisation for the built-in NLU.

Two forms of every token are kept: the accented one (Unicode NFC, lower case)
and the diacritics-free one ("đ" -> "d"), because citizens type both, and
often a mix. Chat shorthand ("hs", "ko", "đc", "sdt"...) is expanded from a
data table so that "tra hs giúp e" and "tra hồ sơ giúp em" share features.
Every token remembers its character span in the ORIGINAL text, so entities
found on the normalised form can be reported with original offsets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Shorthand typical of Vietnamese chat -> what it stands for. Keys are lower
# case NFC tokens; a key is looked up by the accented token first, then by its
# unaccented form (so "đc" and "dc" need one entry each only when they differ).
SHORTHAND: dict[str, str] = {
    # nouns / verbs
    "hs": "hồ sơ",
    "hso": "hồ sơ",
    "dc": "được",
    "đc": "được",
    "dk": "đăng ký",
    "đk": "đăng ký",
    "dky": "đăng ký",
    "đky": "đăng ký",
    "dki": "đăng ký",
    "đki": "đăng ký",
    "sdt": "số điện thoại",
    "sđt": "số điện thoại",
    "đt": "điện thoại",
    "dt": "điện thoại",
    "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân",
    "kq": "kết quả",
    "tthc": "thủ tục hành chính",
    "dvc": "dịch vụ công",
    "nv": "nhân viên",
    "cb": "cán bộ",
    "ng": "người",
    "ngta": "người ta",
    "lm": "làm",
    "bít": "biết",
    "trc": "trước",
    "tg": "thời gian",
    "ttin": "thông tin",
    "onl": "online",
    "ol": "online",
    "t7": "thứ 7",
    "cn": "chủ nhật",
    "h": "giờ",
    "vs": "với",
    "ns": "nói",
    "bh": "bao giờ",
    "bgio": "bao giờ",
    # question words
    "bn": "bao nhiêu",
    "bnhiu": "bao nhiêu",
    "nhiu": "nhiêu",
    "nhìu": "nhiều",
    "j": "gì",
    "ji": "gì",
    "ntn": "như thế nào",
    "z": "vậy",
    "v": "vậy",
    "zậy": "vậy",
    "dậy": "vậy",
    # negation
    "ko": "không",
    "k": "không",
    "kg": "không",
    "kh": "không",
    "khg": "không",
    "khong": "không",
    "hok": "không",
    "hông": "không",
    "k0": "không",
    "kô": "không",
    # pronouns
    "mik": "mình",
    "mk": "mình",
    "mn": "mọi người",
    "mng": "mọi người",
    "e": "em",
    "t": "tôi",
    "b": "bạn",
    # particles, colloquial spellings
    "r": "rồi",
    "rùi": "rồi",
    "ròi": "rồi",
    "oy": "rồi",
    "nhé": "nhé",
    "nhá": "nhé",
    "nha": "nhé",
    "nhe": "nhé",
    "ạ": "ạ",
    "a": "ạ",
    "ak": "à",
    "ah": "à",
    "uk": "ừ",
    "uh": "ừ",
    "dzạ": "dạ",
    "oke": "ok",
    "okie": "ok",
    "okela": "ok",
    "oki": "ok",
    "camon": "cảm ơn",
    "cmon": "cảm ơn",
    "tks": "thanks",
    "thank": "thanks",
    "thanks": "thanks",
    "thx": "thanks",
    "wa": "qua",
    "dzì": "gì",
    "dùm": "giùm",
}

_TOKEN = re.compile(r"[\w\u0300-\u036f]+")
_HOUR = re.compile(r"^(\d{1,2})h(\d{0,2})$")  # 5h, 11h30 -> "5 giờ", "11 giờ 30"


def fold(text: str) -> str:
    """Lower case, diacritics removed, "đ" -> "d": "Hồ sơ ĐỎ" -> "ho so do"."""
    return _fold_cached(text) if len(text) < 64 else _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return out.replace("đ", "d")


@lru_cache(maxsize=65536)
def _fold_cached(text: str) -> str:
    return _fold(text)


def accent_lower(text: str) -> str:
    """Unicode NFC, lower case."""
    return unicodedata.normalize("NFC", text).lower()


@dataclass(frozen=True, slots=True)
class Token:
    acc: str  # NFC, lower case
    bare: str  # diacritics-free
    start: int  # span in the original text
    end: int
    expanded: bool = False  # produced by the shorthand table, not typed as such


def _expand_one(acc: str) -> tuple[str, ...] | None:
    hit = SHORTHAND.get(acc)
    if hit is None:
        m = _HOUR.match(acc)
        if m:
            return (m.group(1), "giờ") + ((m.group(2),) if m.group(2) else ())
        bare = fold(acc)
        # only "đ" may differ ("đt" -> "dt"): "à" is not the key "a"
        if bare == acc.replace("đ", "d"):
            hit = SHORTHAND.get(bare)
    if hit is None or hit == acc:
        return None
    return tuple(hit.split())


def tokenize(text: str, expand: bool = True, masks: tuple[tuple[int, int, str], ...] = ()) -> list[Token]:
    """Tokens of `text` with original offsets. `masks` are (start, end, placeholder)
    spans (e.g. a dossier code) that become one placeholder token each."""
    tokens: list[Token] = []
    mi = 0
    masks = tuple(sorted(masks))
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        while mi < len(masks) and masks[mi][1] <= s:
            mi += 1
        if mi < len(masks) and masks[mi][0] < e:
            ms, me, placeholder = masks[mi]
            if not tokens or tokens[-1].start != ms:
                tokens.append(Token(placeholder, placeholder, ms, me))
            continue
        acc = accent_lower(m.group())
        if expand:
            parts = _expand_one(acc)
            if parts is not None:
                tokens.extend(Token(p, fold(p), s, e, True) for p in parts)
                continue
        tokens.append(Token(acc, fold(acc), s, e))
    return tokens


def normalize(text: str) -> tuple[str, str]:
    """(accented, unaccented) normalised forms: tokens joined by one space,
    punctuation dropped, shorthand expanded."""
    toks = tokenize(text)
    return " ".join(t.acc for t in toks), " ".join(t.bare for t in toks)


def has_diacritics(token: str) -> bool:
    return fold(token) != token
