"""Typed keys for what the notification routes read from the app."""

from __future__ import annotations

from aiohttp import web

from hub.keys import CLOCK
from notify.links import Links
from notify.rendering import Templates

TEMPLATES = web.AppKey("templates", Templates)
LINKS = web.AppKey("links", Links)
__all__ = ["CLOCK", "LINKS", "TEMPLATES"]  # CLOCK: the service's, read by resends and broadcasts
