"""The channel registry: the one place that knows how channels differ (which
template kind they render, where a citizen's address is, whether quiet hours
apply, how long to wait for a receipt) and which provider serves each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from channels.port import Provider
from models.citizen import Channel, Citizen


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    channel: Channel
    kind: str  # template kind: email | sms | chat | voice
    address: Callable[[Citizen], str | None]
    quiet: bool  # subject to quiet hours (it rings or buzzes a phone)
    receipt_deadline: float  # seconds to wait for a delivery receipt before falling back


def _str(value) -> str | None:
    return None if value is None else str(value)


SPECS: dict[Channel, ChannelSpec] = {
    Channel.TELEGRAM: ChannelSpec(Channel.TELEGRAM, "chat", lambda c: _str(c.telegram_chat_id), False, 600),
    Channel.SMS: ChannelSpec(Channel.SMS, "sms", lambda c: c.phone, True, 1800),
    Channel.EMAIL: ChannelSpec(Channel.EMAIL, "email", lambda c: c.email, False, 7200),
    Channel.PHONE: ChannelSpec(Channel.PHONE, "voice", lambda c: c.phone, True, 1800),
}

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
    def __init__(self, providers: list[Provider] = (), deadlines: dict[Channel, float] | None = None,
                 quiet: frozenset[Channel] | None = None):
        self._providers: dict[Channel, Provider] = {}
        self._deadlines = {c: s.receipt_deadline for c, s in SPECS.items()} | (deadlines or {})
        self._quiet = quiet if quiet is not None else frozenset(c for c, s in SPECS.items() if s.quiet)
        for provider in providers:
            self.register(provider)

    def register(self, provider: Provider) -> None:
        if provider.channel not in SPECS:
            raise ValueError(f"channel {provider.channel.value} cannot carry notifications")
        self._providers[provider.channel] = provider

    def provider(self, channel: Channel) -> Provider:
        return self._providers[channel]

    def providers(self) -> list[Provider]:
        return list(self._providers.values())

    def kind(self, channel: Channel) -> str:
        return SPECS[channel].kind

    def quiet(self, channel: Channel) -> bool:
        return channel in self._quiet

    def receipt_deadline(self, channel: Channel) -> float:
        return self._deadlines[channel]

    def address(self, channel: Channel, citizen: Citizen) -> str | None:
        spec = SPECS.get(channel)
        return spec.address(citizen) if spec and channel in self._providers else None

    def route(self, citizen: Citizen, tried: tuple[str, ...] = ()) -> Channel | None:
        """The first channel in the citizen's order that they consented to, that
        has an address and a provider, and that has not been given up on."""
        order = citizen.preferred_channels or DEFAULT_ORDER
        for channel in order:
            if channel.value in tried or not citizen.consent_for(channel):
                continue
            if self.address(channel, citizen) is not None:
                return channel
        return None
