"""The dossier code in what a receipt's QR code holds.

Circular 01/2023/TT-VPCP has the one-stop-shop print on the receipt
(Giấy tiếp nhận hồ sơ và hẹn trả kết quả) a QR code carrying the dossier
code, the procedure code, the applicant's ID, the issuing system, the time
and the appointment date. We found no byte layout fixed by the circular
(the systems in use print their own), so every form seen in practice is
accepted and only the dossier code is taken from it; the applicant's ID and
the rest are read past, never kept:

- a JSON object, the code under `MaHoSo` / `ma_ho_so` / `dossier_code` /
  `code` (any case, with or without separators);
- `key=value` (or `key:value`) pairs separated by `|`, `;`, `&` or new lines,
  the code under the same keys;
- a URL (a portal's look-up page), the code in its `code`, `mahoso`,
  `ma_ho_so` or `dossier_code` query parameter;
- fields separated by `|` or `;` without names: the first that is a code in
  a known format (national portal, provincial);
- the code alone, or a text with a code in a known format in it.

None when nothing in the payload is a code. The kiosk's lookup still needs
the four digits: a photographed receipt alone opens nothing."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

from models.dossier_code import code_format, find_code, is_valid_code, normalize_code, normalize_text

MAX_PAYLOAD = 2000  # a QR code holds at most ~3 kB; a receipt's far less

# Field names, compared without case, accents' marks or separators.
_CODE_KEYS = frozenset({"mahoso", "sohoso", "dossiercode", "dossier", "code", "hoso", "ma", "mhs"})
_SEPARATORS = re.compile(r"[|;&\n\r]+")
_KEY_VALUE = re.compile(r"^\s*([^=:]{1,40}?)\s*[=:]\s*(.*?)\s*$", re.DOTALL)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", normalize_text(name).lower().replace("đ", "d"))


def _code(value: object) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    canonical = normalize_code(text)
    if canonical and len(canonical) <= 100 and is_valid_code(canonical):
        return canonical
    return None


def _from_mapping(items) -> str | None:
    for name, value in items:
        if isinstance(name, str) and _key(name) in _CODE_KEYS:
            found = _code(value)
            if found is not None:
                return found
    return None


def _from_json(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        return _from_mapping(data.items())
    return None


def _from_url(text: str) -> str | None:
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return _from_mapping(parse_qsl(parts.query) + parse_qsl(parts.fragment)) or find_code(parts.path)


def _from_fields(text: str) -> str | None:
    fields = [f for f in _SEPARATORS.split(text) if f.strip()]
    if len(fields) < 2:
        return None
    pairs = [m.groups() for f in fields if (m := _KEY_VALUE.match(f))]
    named = _from_mapping(pairs)
    if named is not None:
        return named
    # Unnamed fields: the dossier code is the one in a known format (the
    # procedure code "1.001234" or an ID number is not).
    return next((normalize_code(f) for f in fields if code_format(f.strip()) is not None and _known(f)), None)


def _known(field: str) -> bool:
    found = code_format(field.strip())
    return found is not None and found.name != "free_form"


def dossier_code_from_qr(payload: str | None) -> str | None:
    """The dossier code a receipt's QR code (or a typed code) names, normalised."""
    if not isinstance(payload, str):
        return None
    text = normalize_text(payload).strip()
    if not text or len(text) > MAX_PAYLOAD:
        return None
    if text.startswith("{"):
        return _from_json(text)
    if text.lower().startswith(("http://", "https://")):
        return _from_url(text)
    if _SEPARATORS.search(text):
        return _from_fields(text)
    if "=" not in text and ":" not in text:
        single = _code(text)
        if single is not None:
            return single
    pair = _KEY_VALUE.match(text)
    if pair is not None:
        named = _from_mapping([pair.groups()])
        if named is not None:
            return named
    return find_code(text)
