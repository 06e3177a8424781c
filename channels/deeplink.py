"""Signed, expiring /start tokens for the QR code printed on a dossier receipt.

Scanning it opens the bot with `/start <token>`; the token proves which citizen
and dossier the chat is to be linked to, without a login. Telegram allows at
most 64 characters from [A-Za-z0-9_-] after /start, i.e. 48 bytes once
base64url-decoded, so the layout is packed:

    expires_at (4 bytes, Unix seconds) | citizen_id | dossier_code | MAC (8 bytes)

Each id is one header byte (2 bits of packing, 6 bits of length) and its
packed bytes: lowercase hex two digits a byte (our ids are 32 hex
digits), dossier codes three characters in two bytes from a 40-letter
alphabet, anything else plain UTF-8. The MAC is HMAC-SHA256 cut to 64 bits:
enough, since a guess can only be tried online, one Telegram message at a time.

That packing fits only short ids: a national-format code with our citizen
ids ("c_" and 16 hex digits) came to 67 characters (issue 11 item 8). A
receipt's link is now a short id instead (`short_token`), 24 characters
whatever the code: the store keeps what it stands for, under its digest
(`link_id`), with the expiry. The id is derived with the key from what it
names, so it cannot be guessed, and the same receipt asked for twice is the
same link. Packed tokens already printed are still read (`read_token`).

A token is a bearer credential printed on paper, so it binds once: the inbox
records its link_id with the first chat that opens it, and refuses it to any
other chat (contact_center/inbox.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from datetime import datetime

MAX_LENGTH = 64  # Telegram's limit on the start parameter
_MAC_BYTES = 8
_SHORT_BYTES = 18  # 144 bits: 24 base64url characters, far past any online guessing
_DOMAIN = b"telegram-start:"  # a key used for unsubscribe links cannot sign these
_HEX, _BASE40, _UTF8 = 0, 1, 2
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-_/"
_INDEX = {char: i for i, char in enumerate(_ALPHABET)}
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})+")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _pack40(text: str) -> bytes:
    out = bytearray()
    for start in range(0, len(text), 3):
        chunk = [_INDEX[c] for c in text[start : start + 3]] + [0, 0]
        out += struct.pack(">H", chunk[0] * 1600 + chunk[1] * 40 + chunk[2])
    return bytes(out)


def _unpack40(data: bytes, length: int) -> str:
    chars = []
    for (value,) in struct.iter_unpack(">H", data):
        if value >= 40**3:
            raise ValueError("not base-40")
        chars += [_ALPHABET[value // 1600], _ALPHABET[value // 40 % 40], _ALPHABET[value % 40]]
    return "".join(chars[:length])


def _encode_field(text: str) -> bytes:
    if _HEX_RE.fullmatch(text):
        kind, length, body = _HEX, len(text), bytes.fromhex(text)
    elif text and all(c in _INDEX for c in text):
        kind, length, body = _BASE40, len(text), _pack40(text)
    else:
        body = text.encode()
        kind, length = _UTF8, len(body)
    if not 0 < length < 64:
        raise ValueError("ids in a start token must be 1 to 63 characters (UTF-8: bytes) long")
    return bytes([kind << 6 | length]) + body


# The header's length is in characters for the packed kinds, in bytes for UTF-8.
_SIZES = {_HEX: lambda n: n // 2, _BASE40: lambda n: (n + 2) // 3 * 2, _UTF8: lambda n: n}


def _decode_field(data: bytes, at: int) -> tuple[str, int]:
    kind, length = data[at] >> 6, data[at] & 0x3F
    if kind not in _SIZES:
        raise ValueError("unknown packing")
    size = _SIZES[kind](length)
    body = data[at + 1 : at + 1 + size]
    if len(body) != size:
        raise ValueError("truncated field")
    if kind == _HEX:
        text = body.hex()
    elif kind == _BASE40:
        text = _unpack40(body, length)
    else:
        text = body.decode()
    return text, at + 1 + size


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(secret: bytes, citizen_id: str, dossier_code: str, expires_at: datetime) -> str:
    """Raises ValueError when the ids cannot fit in Telegram's 64 characters."""
    payload = struct.pack(">I", int(expires_at.timestamp())) + _encode_field(citizen_id) + _encode_field(dossier_code)
    token = _b64(payload + _sign(secret, payload))
    if len(token) > MAX_LENGTH:
        raise ValueError(f"start token would be {len(token)} characters; Telegram allows {MAX_LENGTH}")
    return token


def short_token(secret: bytes, citizen_id: str, dossier_code: str, expires_at: datetime) -> str:
    """A link id for any citizen and code: what the store records with
    `link_id(token)`. Unguessable without the key; the same inputs give the
    same id."""
    named = "\x1f".join((citizen_id, dossier_code, str(int(expires_at.timestamp())))).encode()
    return _b64(hmac.new(secret, _DOMAIN + b"short:" + named, hashlib.sha256).digest()[:_SHORT_BYTES])


def read_token(secret: bytes, token: str, now: datetime) -> tuple[str, str] | None:
    """(citizen_id, dossier_code), or None for a forged, damaged or expired token."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    try:
        data = _unb64(token)
    except ValueError:
        return None
    if _b64(data) != token:
        # Base64 leaves spare bits in the last character: another spelling of
        # the same token must not count as another link (see link_id).
        return None
    payload, mac = data[:-_MAC_BYTES], data[-_MAC_BYTES:]
    if len(payload) < 6 or not hmac.compare_digest(mac, _sign(secret, payload)):
        return None
    try:
        (expires,) = struct.unpack_from(">I", payload)
        citizen_id, at = _decode_field(payload, 4)
        dossier_code, at = _decode_field(payload, at)
    except (ValueError, IndexError, struct.error):
        return None
    if at != len(payload) or now.timestamp() >= expires:
        return None
    return citizen_id, dossier_code


def link_id(token: str) -> str:
    """What the store records a bound link under: a digest, so that the table
    of bindings holds no token that could be replayed."""
    return hashlib.sha256(_DOMAIN + token.encode()).hexdigest()


def start_link(bot_username: str, token: str) -> str:
    """What the QR code holds: Telegram opens the bot and sends /start <token>."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"
