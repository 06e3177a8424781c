"""Email addresses as the service accepts them: what the standard library's
RFC 5322 parser reads as exactly one bare address, held to the subset a mail
relay delivers without surprises (an ASCII dot-atom before the @, a host name
after it) and nothing that could add a header or a recipient."""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address

MAX_LENGTH = 254  # RFC 5321's limit on a path, less the angle brackets
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_INVALID = "địa chỉ email không hợp lệ"


def normalize_email(value: object) -> str:
    """The address lower-cased, or ValueError (in Vietnamese) if it is not one."""
    if not isinstance(value, str):
        raise ValueError(_INVALID)
    text = value.strip()
    if not text or len(text) > MAX_LENGTH or not text.isprintable() or any(c.isspace() for c in text):
        raise ValueError(_INVALID)
    try:
        parsed = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError, TypeError):
        raise ValueError(_INVALID) from None
    # The parser forgives comments, quoting and routes; one bare address must read back as itself.
    if parsed.addr_spec != text or not _LOCAL.fullmatch(parsed.username) or len(parsed.username) > 64:
        raise ValueError(_INVALID)
    return f"{parsed.username}@{_domain(parsed.domain)}".lower()


def _domain(domain: str) -> str:
    lowered = domain.lower()
    try:
        ascii_form = lowered.encode("idna").decode("ascii")  # an internationalised name goes out in this form
    except UnicodeError:
        raise ValueError(_INVALID) from None
    labels = ascii_form.split(".")
    if len(labels) < 2 or len(ascii_form) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(_INVALID)
    top = labels[-1]
    if not (top.isalpha() or top.startswith("xn--")):
        raise ValueError(_INVALID)  # a literal IP or a bare number is no mail domain here
    return lowered
