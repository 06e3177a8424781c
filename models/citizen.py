"""Citizens, the channels that reach them and the consent ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum


class Channel(str, Enum):  # noqa: UP042  StrEnum would change str() and f-strings from "Cls.MEMBER" to the value
    EMAIL = "email"
    SMS = "sms"
    TELEGRAM = "telegram"
    PHONE = "phone"
    WEBCHAT = "webchat"
    KIOSK = "kiosk"


# The Citizen attribute, and store column, that holds a citizen's address on a
# channel; a channel without one (web chat, kiosk) cannot find a person. It is
# part of the citizen record, not of the channels package, because the store
# reads and writes it and must not import channels/.
ADDRESS_FIELD: dict[Channel, str] = {
    Channel.SMS: "phone",
    Channel.PHONE: "phone",
    Channel.EMAIL: "email",
    Channel.TELEGRAM: "telegram_chat_id",
}


# How far ahead of our clock a consent's claimed time may be: a client's clock
# drifts, it does not know the future.
CONSENT_CLOCK_SKEW = timedelta(minutes=5)
FUTURE_CONSENT = "Thời điểm 'at' không được ở tương lai: ghi nhận đồng ý hay rút lại đồng ý theo thời điểm đã xảy ra."


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One line of the ledger: consent is never a boolean overwritten, so an
    auditor can see who agreed to what, when, where and on which legal basis."""

    channel: Channel
    granted: bool
    at: datetime
    via: str
    legal_basis: str


@dataclass(frozen=True, slots=True)
class Citizen:
    id: str
    full_name: str
    phone: str | None = None  # E.164
    email: str | None = None
    telegram_chat_id: int | None = None
    id_number: str | None = None
    preferred_channels: tuple[Channel, ...] = ()
    # In the order they were recorded, which decides: `at` is the time a client
    # claims, and a claim dated in the future must not outlive later withdrawals.
    consents: tuple[ConsentRecord, ...] = field(default=())

    def latest_consent(self, channel: Channel) -> ConsentRecord | None:
        latest = None
        for record in self.consents:
            if record.channel == channel:
                latest = record
        return latest

    def consent_for(self, channel: Channel) -> bool:
        """Silence is not consent: only the latest explicit record counts."""
        latest = self.latest_consent(channel)
        return bool(latest and latest.granted)

    def withdrew(self, channel: Channel) -> bool:
        """The latest record on the channel says no: only the citizen may say yes again."""
        latest = self.latest_consent(channel)
        return latest is not None and not latest.granted

    def may_send(self, channel: Channel, public_task: bool) -> bool:
        """As Contact.may_send."""
        if self.withdrew(channel):
            return False
        return public_task or self.consent_for(channel)


@dataclass(frozen=True, slots=True)
class Contact:
    """What routing needs of a citizen: addresses, their order of preference,
    and the ledger's current answer per channel (its latest record)."""

    id: str
    full_name: str
    phone: str | None
    email: str | None
    telegram_chat_id: int | None
    preferred_channels: tuple[Channel, ...]
    consented: frozenset[Channel]
    # Channels whose latest record is a withdrawal (not mere silence): nothing,
    # not even a request for consent, goes there.
    withdrawn: frozenset[Channel] = frozenset()

    def consent_for(self, channel: Channel) -> bool:
        return channel in self.consented

    def may_send(self, channel: Channel, public_task: bool) -> bool:
        """A withdrawal wins over every basis; a public task needs no grant,
        anything else an explicit one."""
        if channel in self.withdrawn:
            return False
        return public_task or channel in self.consented
