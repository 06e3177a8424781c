"""The kinds of message a notification template renders to."""

from __future__ import annotations

from enum import StrEnum


class TemplateKind(StrEnum):
    """A StrEnum, so that a kind is also its name in template file names
    (sms.j2, email.html.j2) and in what operators type."""

    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"
    VOICE = "voice"
