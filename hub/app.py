"""The composition root: the one place that wires settings, store, bus and routes."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

from aiohttp import web

from assistant import api as assistant_api
from assistant.builtin import BuiltinEngine
from assistant.rasa_engine import RasaEngine
from assistant.service import Assistant
from channels.configured import Adapters
from channels.deeplink import read_token
from channels.recording import RecordingProvider, StoreSink, parse_failures
from channels.registry import SPECS, Channels, parse_deadlines
from contact_center import api as contact_center_api
from contact_center.inbox import Inbox
from hub.api import dossiers, ops
from hub.api.auth import ApiKeys
from hub.api.errors import json_errors
from hub.api.guard import FailureLimiter
from hub.bus.inprocess import InProcessBus
from hub.keys import (
    ADAPTERS,
    API_KEYS,
    ASSISTANT,
    BUS,
    CHANNELS,
    INBOX,
    LINKS,
    LOOKUP_GUARD,
    METRICS,
    NOTIFIER,
    SECRET,
    SETTINGS,
    STORE,
    TEMPLATES,
)
from hub.metrics import Metrics
from hub.secrets import load_secret
from hub.settings import Settings
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from models.timeutil import utcnow
from notify import api as notify_api
from notify.engine import Notifier
from notify.holidays import load_holidays
from notify.links import Links
from notify.overdue import OverdueScheduler
from notify.planner import Planner
from notify.quiet_hours import QuietHours
from notify.ratelimit import Limit, MemoryRateLimiter, parse_rates
from notify.receipts import Receipts
from notify.rendering import Templates
from notify.sender import Policy, Sender

log = logging.getLogger(__name__)


def open_store(settings: Settings) -> SqliteStore:
    return SqliteStore(settings.database_path, settings.sqlite_synchronous)


def make_bus(store, settings: Settings, metrics: Metrics | None = None) -> InProcessBus:
    return InProcessBus(store, concurrency=settings.bus_concurrency, max_attempts=settings.bus_max_attempts,
                        backoff_base=settings.bus_backoff_base_seconds,
                        backoff_cap=settings.bus_backoff_max_seconds,
                        poll_seconds=settings.bus_poll_seconds, metrics=metrics)


def load_plugin(spec: str):
    """'package.module:function' — an operator's extension point; the function
    receives the app before the bus starts and may subscribe handlers."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr or "register")


def recording_channels(store, settings: Settings) -> Channels:
    """The embedded default: every channel records instead of sending. The
    channel adapters replace these one by one when their settings are given."""
    failures = parse_failures(settings.recording_fail)
    rates = parse_rates(settings.rate_limits)
    sink = StoreSink(store)
    return Channels([RecordingProvider(channel, sink, receipts=settings.recording_receipts,
                                       fail=failures.get(channel),
                                       limits=[Limit(f"recording:{channel.value}", *rates[channel.value])]
                                       if channel.value in rates else None)
                     for channel in SPECS],
                    deadlines=parse_deadlines(settings.receipt_deadlines),
                    quiet=frozenset(Channel(c) for c in settings.quiet_channels.split(",") if c.strip()))


def make_notifier(store, channels: Channels, templates: Templates, links: Links, settings: Settings,
                  clock=time.time, idle: float = 5.0) -> Notifier:
    holidays = load_holidays(Path(settings.holidays_file) if settings.holidays_file else None)
    policy = Policy(max_attempts=settings.notify_max_attempts, backoff_base=settings.notify_backoff_base_seconds,
                    backoff_cap=settings.notify_backoff_max_seconds, lease=settings.notify_lease_seconds,
                    batch=settings.notify_batch, idle=idle)
    org = {"name": settings.org_name, "hotline": settings.org_hotline, "website": settings.org_website}
    planner = Planner(store, clock)
    sender = Sender(store, channels, templates, quiet=QuietHours.parse(settings.quiet_hours, holidays),
                    limiter=MemoryRateLimiter(), links=links, org=org, policy=policy, clock=clock)
    overdue = OverdueScheduler(store, planner, interval=settings.overdue_scan_seconds, clock=clock)
    return Notifier(planner, sender, Receipts(store, clock), overdue)


async def _store_ctx(app: web.Application):
    settings = app[SETTINGS]
    store = open_store(settings)
    await store.open()
    app[STORE] = store
    app[API_KEYS] = ApiKeys(store)
    app[BUS] = make_bus(store, settings, app[METRICS])
    yield
    await store.close()


async def _notify_ctx(app: web.Application):
    settings = app[SETTINGS]
    app[LINKS] = Links(settings.base_url, app[SECRET])
    app[TEMPLATES] = await asyncio.to_thread(
        Templates, Path(settings.templates_dir) if settings.templates_dir else None)
    notifier = make_notifier(app[STORE], app[CHANNELS], app[TEMPLATES], app[LINKS], settings)
    notifier.subscribe(app[BUS])
    app[NOTIFIER] = notifier
    sender = await _start_sender_process(settings) if settings.notify_sender_process else None
    await notifier.start(send=sender is None)
    yield
    await notifier.stop()
    if sender is not None:
        sender.terminate()
        await sender.wait()


async def _start_sender_process(settings: Settings) -> asyncio.subprocess.Process:
    # The same environment (settings are read from it) and data directory.
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "hub.cli", "notify-sender",
                                                "--data-dir", str(settings.data_dir), env=dict(os.environ))


async def run_sender_process(settings: Settings) -> None:
    """`tongdai notify-sender`: the sender loop on the service's database, in
    a process of its own so that rendering and sending use the second core.
    Claims keep it off rows another sender holds; it learns of new work by
    looking every few hundredths of a second. Runs until SIGTERM."""
    store = open_store(settings)
    await store.open()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)
    # Providers only: webhooks, the bot's polling and the SMTP receiver stay with
    # the service. A blocked Telegram bot still withdraws consent through this inbox.
    inbox = Inbox(store, None, None)
    adapters = Adapters.from_settings(settings, inbox)
    channels = recording_channels(store, settings)
    adapters.register(channels)
    templates = await asyncio.to_thread(Templates, Path(settings.templates_dir) if settings.templates_dir else None)
    links = Links(settings.base_url, await load_secret(settings))
    notifier = make_notifier(store, channels, templates, links, settings, idle=0.05)
    await adapters.start(services=False)
    await notifier.sender.start()
    try:
        await stopping.wait()
    finally:
        await notifier.sender.stop()
        await adapters.close()
        await store.close()


async def _channels_ctx(app: web.Application):
    """The inbox every adapter hands inbound messages to, and the providers:
    recording ones unless a channel's settings are given."""
    settings = app[SETTINGS]
    # Signs unsubscribe links and Telegram deep links: read once, here, the first place that needs it.
    secret = app[SECRET] = await load_secret(settings)
    app[INBOX] = Inbox(app[STORE], app[BUS], app[LOOKUP_GUARD],
                       read_link=lambda token: read_token(secret, token, utcnow()))
    channels = recording_channels(app[STORE], settings)
    adapters = app[ADAPTERS]
    adapters.register(channels)
    app[CHANNELS] = channels
    await adapters.start()
    yield
    await adapters.close()


async def _assistant_ctx(app: web.Application):
    """The assistant behind the inbox. The built-in engine trains in the
    background (seconds), so the service is ready at once; until it is, a
    first message is acknowledged instead of answered."""
    settings = app[SETTINGS]
    inbox = app[INBOX]
    holidays = await asyncio.to_thread(load_holidays, Path(settings.holidays_file) if settings.holidays_file else None)
    assistant = Assistant(None, app[STORE], holidays=holidays)
    inbox.assistant = assistant
    app[ASSISTANT] = assistant
    training = None
    if settings.assistant_engine == "rasa":
        assistant.engine = RasaEngine(settings.rasa_url)
        await assistant.engine.start()
    else:
        async def train() -> None:
            assistant.engine = await BuiltinEngine.train(inbox.status_text, cache_dir=settings.assistant_cache)
            log.info("assistant ready", extra={"engine": "builtin"})

        training = asyncio.create_task(train(), name="assistant-training")
    yield
    if training is not None:
        training.cancel()
        await asyncio.gather(training, return_exceptions=True)
    close = getattr(assistant.engine, "close", None)
    if close is not None:
        await close()


class _AppInbox:
    """The inbox as webhooks see it: their routes exist before the app starts,
    the inbox only once it has."""

    def __init__(self, app: web.Application):
        self._app = app

    def __getattr__(self, name: str):
        return getattr(self._app[INBOX], name)


async def _bus_ctx(app: web.Application):
    bus = app[BUS]
    for spec in app[SETTINGS].plugins:
        load_plugin(spec)(app)
    await bus.start()
    yield
    await bus.stop()


@web.middleware
async def _measure(request: web.Request, handler):
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[METRICS].observe_request(request.method, route, status, time.perf_counter() - started)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[_measure, json_errors])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[LOOKUP_GUARD] = FailureLimiter(settings.lookup_max_failures, settings.lookup_window_seconds)
    app[ADAPTERS] = Adapters.from_settings(settings, _AppInbox(app))
    app.add_routes(app[ADAPTERS].routes)
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_channels_ctx)
    app.cleanup_ctx.append(_assistant_ctx)
    app.cleanup_ctx.append(_notify_ctx)
    app.cleanup_ctx.append(_bus_ctx)
    app.add_routes(dossiers.routes)
    app.add_routes(notify_api.routes)
    app.add_routes(contact_center_api.routes)
    app.add_routes(assistant_api.routes)
    app.add_routes(ops.routes)
    return app
