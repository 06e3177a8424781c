"""The channel registry: the one place that knows how channels differ. Each
channel's facts live in its entry (its Vietnamese name, where a citizen's
address is and how it is written and masked, whether it carries notifications
and which template they render, quiet hours, receipt deadline, unsubscribe
links, threading); the rest of the service asks the registry instead of
switching on the channel, so a new channel is one entry here and one adapter.
Channels also says which provider serves each channel."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from channels.port import Provider
from models.citizen import ADDRESS_FIELD, Channel, Citizen, Contact
from models.email_address import normalize_email
from models.phone import normalize_phone
from models.privacy import mask_email, mask_phone
from models.templates import TemplateKind


def _phone(value: Any) -> str:
    return normalize_phone(str(value))


def _chat_id(value: Any) -> int:
    # True is an int to Python, and 1.9 would silently become 1: neither is a chat id.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"mã trò chuyện '{value}' không hợp lệ: cần một số nguyên")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"mã trò chuyện '{value}' không hợp lệ: cần một số nguyên") from None
    if not -(2**63) <= number < 2**63:  # what the store's integer column holds
        raise ValueError(f"mã trò chuyện '{value}' không hợp lệ: quá lớn")
    return number


def _unmasked(address: str) -> str:
    # A chat or session id names no one outside the service that issued it.
    return address


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    channel: Channel
    label: str  # in Vietnamese, as replies name it: "thông báo qua {label}"
    kind: TemplateKind | None  # the template shape its messages take; None: nothing templated shows on it
    notifies: bool = False  # carries notifications: a provider can serve it
    followable: bool = False  # a dossier can be followed on it, by writing THEODOI from it
    # How the owner of an address confirms a follow asked for through the API:
    # "code" (a one-time code sent there), "link" (a signed link sent there), or
    # None: not through the API at all, only by writing from the address itself.
    follow_confirmation: str | None = None
    follow_hint: str = ""  # how to follow on it instead, when the API cannot
    normalize: Callable[[Any], str | int] | None = None  # address as typed -> as stored; ValueError if not one
    address_type: type = str  # how the store keeps the address an adapter hands over as text
    mask: Callable[[str], str] = _unmasked  # for agents' views and logs
    quiet: bool = False  # subject to quiet hours by default (it rings or buzzes a phone)
    receipt_deadline: float | None = None  # seconds to wait for a delivery receipt before falling back
    unsubscribe_link: bool = False  # its notifications carry a one-click unsubscribe link
    threads_by_reference: bool = False  # a message naming no earlier one starts a new conversation
    web_session: bool = False  # written from our own pages (assistant API), by a session id
    letters: bool = False  # one message may ask several things, answered by one reply, point by point
    # A contact a web chat or kiosk visitor may leave: an agent's answer goes
    # there once they have left the page (a channel that does not notify cannot push it).
    away_contact: bool = False
    # The longest text a person may write to it: providers refuse longer (Twilio
    # takes at most 1600 characters, some ten concatenated UCS-2 segments).
    max_text: int | None = None

    @property
    def address_field(self) -> str | None:
        """The Citizen attribute holding the address; None: the channel cannot find a person."""
        return ADDRESS_FIELD.get(self.channel)

    def address(self, citizen: Citizen | Contact) -> str | None:
        value = getattr(citizen, self.address_field) if self.address_field else None
        return None if value is None else str(value)

    def stored(self, address: str) -> str | int:
        """An adapter's address (already normalised, as text) in the form the store keys on."""
        return self.address_type(address)


# In the order operators read them: the follow API lists them so, and a
# broadcast row with several address columns is matched by the first.
REGISTRY: dict[Channel, ChannelSpec] = {
    spec.channel: spec
    for spec in (
        ChannelSpec(
            Channel.SMS,
            "tin nhắn SMS",
            TemplateKind.SMS,
            notifies=True,
            followable=True,
            follow_confirmation="code",
            normalize=_phone,
            mask=mask_phone,
            quiet=True,
            receipt_deadline=1800,
            away_contact=True,
            max_text=1600,
        ),
        ChannelSpec(
            Channel.PHONE,
            "cuộc gọi",
            TemplateKind.VOICE,
            notifies=True,
            followable=True,
            follow_confirmation="code",
            normalize=_phone,
            mask=mask_phone,
            quiet=True,
            receipt_deadline=1800,
        ),
        ChannelSpec(
            Channel.EMAIL,
            "email",
            TemplateKind.EMAIL,
            notifies=True,
            followable=True,
            follow_confirmation="link",
            normalize=normalize_email,
            mask=mask_email,
            receipt_deadline=7200,
            unsubscribe_link=True,
            threads_by_reference=True,
            letters=True,
            away_contact=True,
        ),
        ChannelSpec(
            Channel.TELEGRAM,
            "Telegram",
            TemplateKind.CHAT,
            notifies=True,
            followable=True,
            # A chat id names someone we cannot ask first: only the chat itself may follow.
            follow_hint='Mở Telegram, nhắn cho bot của tổng đài: "THEODOI <mã hồ sơ> <4 số cuối điện thoại>".',
            normalize=_chat_id,
            address_type=int,
            receipt_deadline=600,
        ),
        # Inbound only: citizens write from them, nothing is sent to them unasked.
        ChannelSpec(Channel.WEBCHAT, "trò chuyện trên web", TemplateKind.CHAT, web_session=True),
        ChannelSpec(Channel.KIOSK, "ki-ốt", None, web_session=True),
    )
}

# The channels that carry notifications.
SPECS: dict[Channel, ChannelSpec] = {c: s for c, s in REGISTRY.items() if s.notifies}


def followable() -> list[ChannelSpec]:
    return [s for s in REGISTRY.values() if s.followable]


def by_address_field() -> dict[str, ChannelSpec]:
    """One channel per address field (the first), to find a citizen by an address of that kind."""
    found: dict[str, ChannelSpec] = {}
    for s in REGISTRY.values():
        if s.address_field and s.normalize:
            found.setdefault(s.address_field, s)
    return found


# Where Telegram posts updates in webhook mode; mounted even when the bot is
# not configured, to refuse whatever arrives.
TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram"

# When a citizen named no preference: the order that costs least and reaches soonest.
DEFAULT_ORDER = (Channel.TELEGRAM, Channel.SMS, Channel.EMAIL)


def parse_deadlines(text: str) -> dict[Channel, float]:
    """'telegram=600,sms=1800' -> {Channel.TELEGRAM: 600.0, ...}"""
    found = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            found[Channel(name.strip())] = float(value)
        except ValueError:
            raise ValueError(f"receipt deadline {part!r}: expected channel=seconds") from None
    return found


class Channels:
    def __init__(
        self,
        providers: Iterable[Provider] = (),
        deadlines: dict[Channel, float] | None = None,
        quiet: frozenset[Channel] | None = None,
    ):
        self._providers: dict[Channel, Provider] = {}
        self._deadlines: dict[Channel, float] = {
            c: s.receipt_deadline
            for c, s in SPECS.items()
            if s.receipt_deadline is not None  # all of them
        } | (deadlines or {})
        self._quiet = quiet if quiet is not None else frozenset(c for c, s in SPECS.items() if s.quiet)
        for provider in providers:
            self.register(provider)

    def register(self, provider: Provider) -> None:
        if provider.channel not in SPECS:
            raise ValueError(f"channel {provider.channel.value} cannot carry notifications")
        self._providers[provider.channel] = provider

    def withdraw_recording(self) -> list[Channel]:
        """A live service (some real adapter configured): every channel still
        on its recording provider is unavailable, so that a notice falls back
        instead of being 'delivered' to a table. Returns those channels."""
        gone = [c for c, p in self._providers.items() if p.records]
        for channel in gone:
            del self._providers[channel]
        return gone

    def available(self, channel: Channel) -> bool:
        return channel in self._providers

    def modes(self) -> dict[str, dict[str, str]]:
        """For /readyz and the start-up line: each notifying channel's provider
        and whether it sends ("real"), records, or is "unavailable"."""
        found: dict[str, dict[str, str]] = {}
        for channel in SPECS:
            provider = self._providers.get(channel)
            if provider is None:
                found[channel.value] = {"mode": "unavailable"}
            else:
                found[channel.value] = {"provider": provider.name, "mode": "recording" if provider.records else "real"}
        return found

    def provider(self, channel: Channel) -> Provider:
        return self._providers[channel]

    def providers(self) -> list[Provider]:
        return list(self._providers.values())

    def kind(self, channel: Channel) -> TemplateKind:
        kind = SPECS[channel].kind
        if kind is None:  # every channel that notifies has a template kind
            raise ValueError(f"channel {channel.value} has no template kind")
        return kind

    def quiet(self, channel: Channel) -> bool:
        return channel in self._quiet

    def receipt_deadline(self, channel: Channel) -> float:
        return self._deadlines[channel]

    def address(self, channel: Channel, citizen: Citizen | Contact) -> str | None:
        found = SPECS.get(channel)
        return found.address(citizen) if found and channel in self._providers else None

    def route(
        self, citizen: Citizen | Contact, tried: tuple[str, ...] = (), public_task: bool = False
    ) -> Channel | None:
        """The first channel in the citizen's order that the notification's
        legal basis allows (a consent, or the agency's public task; never
        after a withdrawal), that has an address and a provider, and that has
        not been given up on."""
        order = citizen.preferred_channels or DEFAULT_ORDER
        for channel in order:
            if channel.value in tried or channel not in self._providers or not citizen.may_send(channel, public_task):
                continue
            if self.address(channel, citizen) is not None:
                return channel
        return None

    def unroutable(self, citizen: Citizen | Contact, tried: tuple[str, ...] = ()) -> str:
        """Why route() found nothing, as a models.notifications.REASONS code:
        a withdrawal on a channel we could write to explains most, then an
        address without a consent, else no address at all."""
        reachable = [
            c
            for c in (citizen.preferred_channels or DEFAULT_ORDER)
            if c.value not in tried and self.address(c, citizen) is not None
        ]
        if any(not citizen.may_send(c, True) for c in reachable):
            return "withdrawn"
        return "no_basis" if reachable else "no_address"
