"""Typed keys for what the core puts on the aiohttp app. Feature packages
declare their own keys beside the types they carry (notify.keys,
channels.inbound.INBOX); the composition root fills them all once."""

from __future__ import annotations

from collections.abc import Callable

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
# Each notifying channel's provider and mode (real | recording | unavailable),
# handed over as data so that the core need not import channels.
CHANNEL_MODES: web.AppKey[Callable[[], dict[str, dict[str, str]]]] = web.AppKey("channel_modes")
