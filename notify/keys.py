"""Typed keys for what the notification routes read from the app."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from notify.links import Links
from notify.rendering import Templates

TEMPLATES = web.AppKey("templates", Templates)
LINKS = web.AppKey("links", Links)
# The notification engine's clock (epoch seconds): a resend is due by it.
CLOCK: web.AppKey[Callable[[], float]] = web.AppKey("notify_clock")
