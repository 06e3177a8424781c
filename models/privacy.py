"""Masking personal data for public views and logs."""

from __future__ import annotations

import re


def mask_name(full_name: str) -> str:
    """'Nguyễn Văn An' -> 'N*** V*** A': enough for a citizen to recognise
    their own dossier, not enough to learn a stranger's name."""
    words = full_name.split()
    if not words:
        return ""
    masked = [w[0] + "***" for w in words[:-1]]
    masked.append(words[-1][0])
    return " ".join(masked)


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return (local[:1] or "*") + "***@" + domain


# Phones (+84…/0… with 9-10 digits after), emails, and 9/12-digit ID numbers.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")


def mask_text(text: str) -> str:
    text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    text = _PHONE.sub(lambda m: mask_phone(re.sub(r"[\s.-]", "", m.group())), text)
    return _ID_NUMBER.sub(lambda m: m.group()[:2] + "*" * (len(m.group()) - 4) + m.group()[-2:], text)
