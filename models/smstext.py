"""SMS text: which alphabet a message needs, what it costs, and how to make it
cheaper by dropping Vietnamese diacritics.

Only à è é ì ò ù (and É) of the accented Vietnamese letters are in the GSM-7
alphabet; one other character anywhere turns the whole message into UCS-2,
which fits 70 characters a segment instead of 160."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 (3GPP TS 23.038) default alphabet, in table order.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each is sent as ESC + a septet, so it costs two.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM_ALL = GSM_BASIC | GSM_EXTENSION

# (single message, each part of a concatenated one): a concatenated part
# gives up 6 octets to the user data header that says how to join the parts.
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True, slots=True)
class SmsCount:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty text: nothing is sent, nothing is paid
    per_segment: int  # capacity in units of each segment at this length
    characters: int  # what a person counts: code points


def encoding(text: str) -> str:
    return GSM7 if _GSM_ALL.issuperset(text) else UCS2


def count(text: str) -> SmsCount:
    """What sending `text` as it is costs. The text is counted as given, not
    normalised: a gateway sends decomposed letters as two characters, so the
    caller normalises to NFC first when it wants the cheaper form."""
    enc = encoding(text)
    if enc == GSM7:
        units = len(text) + sum(text.count(c) for c in GSM_EXTENSION)
        wide = units != len(text)
    else:
        units = len(text.encode("utf-16-le")) // 2
        wide = units != len(text)  # an emoji or other character outside the BMP
    single, part = LIMITS[enc]
    if units == 0:
        return SmsCount(enc, 0, 0, single, 0)
    if units <= single:
        return SmsCount(enc, units, 1, single, len(text))
    segments = _pack(text, enc, part) if wide else -(-units // part)
    return SmsCount(enc, units, segments, part, len(text))


def _pack(text: str, enc: str, part: int) -> int:
    """Segments when a two-unit character must not be cut in half: splitters
    keep an escape sequence, or a surrogate pair, in one part, so a part may
    end one unit short."""
    segments, used = 1, 0
    for char in text:
        if enc == GSM7:
            size = 2 if char in GSM_EXTENSION else 1
        else:
            size = 2 if ord(char) > 0xFFFF else 1
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments


# Typography an editor or a clerk's word processor puts in, and what a GSM
# phone shows instead.
_PLAIN = str.maketrans(
    {
        "Ð": "D",  # U+00D0 (Icelandic eth), a common stand-in for Đ
        "₫": "d",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "…": "...",
        "•": "-",
        "·": "-",
        "\t": " ",
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2004": " ",
        "\u2005": " ",
        "\u2006": " ",
        "\u2007": " ",
        "\u2008": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u202f": " ",
        "\u205f": " ",
        "\u3000": " ",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u00ad": None,
    }
)
_PLAIN_CHARS = frozenset(map(chr, _PLAIN))
_PLAIN_STR = {chr(k): v or "" for k, v in _PLAIN.items()}
# The combining diacritical marks block holds every Vietnamese tone and vowel
# mark (grave, acute, tilde, hook above, dot below, circumflex, breve, horn).
_MARKS = dict.fromkeys(range(0x0300, 0x0370))
_ASCII_OR_MARK = frozenset(map(chr, [*range(0x80), *_MARKS]))


def unaccent(text: str) -> str:
    """Vietnamese without diacritics ("Hồ sơ đã được tiếp nhận" -> "Ho so da
    duoc tiep nhan"), the way Vietnamese write SMS to one another, so the
    meaning stays. Precomposed and decomposed input give the same result."""
    if text.isascii() and "`" not in text and "\t" not in text:
        return text
    # Đ/đ are letters of their own, not D with a mark: decomposition does not reach them.
    text = text.replace("đ", "d").replace("Đ", "D")
    for char in _PLAIN_CHARS.intersection(text):  # usually none, and str.translate is slow
        text = text.replace(char, _PLAIN_STR[char])
    bare = unicodedata.normalize("NFD", text)
    if _ASCII_OR_MARK.issuperset(bare):
        # The usual case, on the sender's hot path: dropping every non-ASCII
        # code point drops exactly the marks, in C rather than per character.
        return bare.encode("ascii", "ignore").decode("ascii")
    # NFD also split things that are not accents (Hangul, for one): put them back.
    return unicodedata.normalize("NFC", bare.translate(_MARKS))
