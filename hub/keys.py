"""Typed keys for what the core puts on the aiohttp app. Feature packages
declare their own keys beside the types they carry (notify.keys,
channels.inbound.INBOX); the composition root fills them all once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from hub.api.auth import ApiKeys
from hub.api.guard import FailureLimiter
from hub.bus.port import Bus
from hub.metrics import Metrics
from hub.settings import Settings
from hub.store.port import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
BUS = web.AppKey("bus", Bus)
METRICS = web.AppKey("metrics", Metrics)
LOOKUP_GUARD = web.AppKey("lookup_guard", FailureLimiter)
API_KEYS = web.AppKey("api_keys", ApiKeys)
SECRET = web.AppKey("secret", bytes)
OPENAPI = web.AppKey("openapi", dict)


class ChannelHealth(Protocol):
    """(channel, provider, up, reason) of each real adapter, as the channels
    see themselves now: /readyz lists the degraded ones, /metrics sets
    tongdai_channel_up."""

    def __call__(self) -> list[tuple[str, str, bool, str | None]]: ...


CHANNEL_HEALTH = web.AppKey("channel_health", ChannelHealth)
# Each notifying channel's provider and mode (real | recording | unavailable),
# handed over as data so that the core need not import channels.
CHANNEL_MODES: web.AppKey[Callable[[], dict[str, dict[str, str]]]] = web.AppKey("channel_modes")
# The service's clock (epoch seconds), bootstrap's `clock`: what "now" is for
# an event's age, a resend's due time, a broadcast's start. Tests move it.
CLOCK: web.AppKey[Callable[[], float]] = web.AppKey("clock")
