"""Typed keys for what the composition root puts on the aiohttp app."""

from __future__ import annotations

from aiohttp import web

from hub.bus.port import Bus
from hub.metrics import Metrics
from hub.settings import Settings
from hub.store.port import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
BUS = web.AppKey("bus", Bus)
METRICS = web.AppKey("metrics", Metrics)
LOOKUP_GUARD = web.AppKey("lookup_guard", object)
API_KEYS = web.AppKey("api_keys", object)
TEMPLATES = web.AppKey("templates", object)
LINKS = web.AppKey("links", object)
NOTIFIER = web.AppKey("notifier", object)
CHANNELS = web.AppKey("channels", object)
INBOX = web.AppKey("inbox", object)
ADAPTERS = web.AppKey("adapters", object)
ASSISTANT = web.AppKey("assistant", object)
SECRET = web.AppKey("secret", bytes)
