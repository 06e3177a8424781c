"""Which real adapters the settings turn on. Each is built here without I/O
(routes must exist before the app starts), started and closed by the app's
cleanup context, and registered over the recording provider of its channel.
With no adapter at all (the embedded default) every channel records; with
any, a channel left unconfigured is unavailable. Its webhooks are mounted
all the same: they refuse whatever is not signed."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from channels.email import SmtpProvider
from channels.email_inbound import EmailReceiver
from channels.port import Health, InboundService, Provider
from channels.registry import TELEGRAM_WEBHOOK_PATH, Channels
from channels.sms import TwilioSmsProvider, twilio_routes
from channels.sms_failover import FailoverSms
from channels.sms_gateway import GatewaySmsProvider
from channels.sms_gateway_webhooks import gateway_routes
from channels.voice import VoiceFlow
from hub.api.errors import ApiError


async def _telegram_off(request: web.Request) -> web.Response:
    raise ApiError(403, "Kênh Telegram chưa được cấu hình; yêu cầu bị từ chối.")


@dataclass
class Adapters:
    providers: list = field(default_factory=list)  # registered over the recording ones
    services: list[InboundService] = field(default_factory=list)  # started with the app: receivers, bots
    routes: list = field(default_factory=list)
    _started: list = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings, inbox, voice: VoiceFlow | None = None) -> Adapters:
        found = cls()
        sms: list[Provider] = [p for p in (TwilioSmsProvider.from_settings(settings),) if p is not None]
        gateways = GatewaySmsProvider.from_settings(settings)
        sms += gateways
        if sms:
            found.providers.append(sms[0] if len(sms) == 1 else FailoverSms(sms))
        found.routes += twilio_routes(inbox, settings) + gateway_routes(inbox, gateways)

        email = SmtpProvider.from_settings(settings)
        if email is not None:
            found.providers.append(email)
        receiver = EmailReceiver.from_settings(settings, inbox, replier=email)
        if receiver is not None:
            found.services.append(receiver)

        if settings.telegram_bot_token:
            # aiogram takes seconds to import (hundreds of pydantic models): only when used.
            from channels.telegram import TelegramBot, TelegramProvider, make_bot

            bot = make_bot(settings.telegram_bot_token, settings.telegram_api_url)
            found.providers.append(TelegramProvider.from_settings(settings, inbox, bot=bot))
            telegram = TelegramBot.from_settings(settings, inbox, bot=bot)
            if telegram is not None:  # None only without a token
                found.services.append(telegram)
                found.routes.append(telegram.webhook_route())
        else:
            found.routes.append(web.post(TELEGRAM_WEBHOOK_PATH, _telegram_off))
        return found

    def health(self) -> list[tuple[str, str, Health]]:
        """(channel, provider, health) of every real adapter, for /readyz and /metrics."""
        parts: list[Provider | InboundService] = [*self.providers, *self.services]
        found: dict[tuple[str, str], Health] = {}
        for part in parts:
            # Telegram's provider and bot share a name: the one that is down speaks for both.
            key, health = (part.channel.value, part.name), part.health()
            if key not in found or not health.up:
                found[key] = health
        return [(channel, name, health) for (channel, name), health in found.items()]

    def register(self, channels: Channels) -> None:
        """Over the recording providers; with any real adapter configured the
        recording ones are withdrawn: a phone notice with no voice provider
        falls back to the next channel instead of being 'delivered' unheard."""
        for provider in self.providers:
            channels.register(provider)
        if self.providers:
            channels.withdraw_recording()

    async def start(self, *, services: bool = True) -> None:
        """`services=False` in a sender process: providers only."""
        for provider in self.providers:
            await provider.start()
        if services:
            for service in self.services:
                await service.start()
                self._started.append(service)

    async def close(self) -> None:
        for service in reversed(self._started):
            await service.stop()
        self._started.clear()
        for provider in reversed(self.providers):
            await provider.close()
