"""The composition root: `bootstrap()` is the one place that builds the object
graph (store, bus, channels, notifier, inbox, assistant) from the settings;
`create_app` serves it over aiohttp, `run_sender_process` runs its sender
loop alone. Tests, benchmarks and every CLI command call `bootstrap` with
overrides instead of wiring their own. Nothing imports this module but the
CLI (an import-linter contract keeps it so)."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from assistant import api as assistant_api
from assistant import openapi as assistant_openapi
from assistant.builtin import BuiltinEngine
from assistant.port import Engine
from assistant.rasa_engine import RasaEngine
from assistant.service import Assistant
from channels import openapi as channels_openapi
from channels.configured import Adapters
from channels.deeplink import read_token
from channels.inbound import INBOX
from channels.limits import parse_rates
from channels.port import Limit, Provider
from channels.recording import RecordingProvider, StoreSink, parse_failures
from channels.registry import SPECS, Channels, parse_deadlines
from contact_center import api as contact_center_api
from contact_center import console_admin, console_api, console_openapi, console_queue
from contact_center import openapi as contact_center_openapi
from contact_center.agents import Agents
from contact_center.assignment import Assignment, AssignmentSweep
from contact_center.inbox import Inbox
from contact_center.live import ConsoleTick, LiveHub
from contact_center.merges import Merges
from contact_center.replies import Replies
from contact_center.sessions import Sessions
from contact_center.status import StatusAnswers
from contact_center.waiting import Waiting
from hub.api import dossiers, ops
from hub.api.auth import ApiKeys
from hub.api.errors import json_errors
from hub.api.guard import FailureLimiter, client_address
from hub.api.openapi import build_spec
from hub.api.protocol import CLIENT_CLOSED, body_deadline
from hub.api.ratelimit import RATE_LIMITS, RateLimits, parse_public_rates, rate_limit_middleware
from hub.bus.inprocess import InProcessBus
from hub.keys import (
    API_KEYS,
    BUS,
    CHANNEL_HEALTH,
    CHANNEL_MODES,
    CLOCK,
    LOOKUP_GUARD,
    METRICS,
    OPENAPI,
    SECRET,
    SETTINGS,
    STORE,
)
from hub.metrics import Metrics
from hub.secrets import load_secret
from hub.settings import Settings
from hub.store.sqlite import SqliteStore
from kiosk import api as kiosk_api
from kiosk import kiosk_openapi as kiosk_api_openapi
from kiosk import kiosk_pages, webchat_api, widget_pages
from kiosk import openapi as kiosk_openapi
from kiosk.accounts import KIOSKS, Kiosks
from kiosk.socketio_channel import RasaSocketIO
from kiosk.webchat import WebChatHub
from models.citizen import Channel
from models.events import EscalationRequested, InboundMessageReceived
from models.notifications import parse_legal_bases
from notify import api as notify_api
from notify import follow as notify_follow
from notify import openapi as notify_openapi
from notify.engine import Notifier
from notify.holidays import HolidayCalendar, load_holidays
from notify.keys import LINKS, TEMPLATES
from notify.links import Links
from notify.overdue import OverdueScheduler
from notify.planner import Planner
from notify.quiet_hours import QuietHours
from notify.ratelimit import MemoryRateLimiter
from notify.receipts import Receipts
from notify.rendering import Templates
from notify.retention import SentTextPurge
from notify.sender import Policy, Sender

log = logging.getLogger(__name__)

# How long an idle sender waits before looking again: in the service a new
# notification wakes it; a sender process of its own can only look.
SERVICE_IDLE, SENDER_PROCESS_IDLE = 5.0, 0.05
# How often texts past their retention are blanked: the period is days long.
PURGE_INTERVAL = 3600.0


@dataclass
class Service:
    """Everything the service is made of, built and not yet started."""

    settings: Settings
    store: SqliteStore
    bus: InProcessBus
    metrics: Metrics
    guard: FailureLimiter
    api_keys: ApiKeys
    secret: bytes
    links: Links
    templates: Templates
    holidays: HolidayCalendar
    channels: Channels
    adapters: Adapters
    engine: Engine
    assistant: Assistant
    inbox: Inbox
    notifier: Notifier
    openapi: dict
    agents: Agents
    sessions: Sessions
    replies: Replies
    live: LiveHub
    console_tick: ConsoleTick
    merges: Merges
    assignment: Assignment
    assignment_sweep: AssignmentSweep
    webchat: WebChatHub
    _sender_process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    async def open(self) -> None:
        """The store only: what a CLI command needs."""
        await self.store.open()

    async def close(self) -> None:
        await self.store.close()

    async def start(self, before_bus: Callable[[], object] = lambda: None) -> None:
        """Start in dependency order; `before_bus` runs when every handler can
        still subscribe (operators' plugins)."""
        await self.store.open()
        await self.adapters.start()
        log.info("channels", extra={"channels": self.channels.modes()})
        await self.engine.start()
        if self.settings.notify_sender_process:
            self._sender_process = await _start_sender_process(self.settings)
        await self.notifier.start(send=self._sender_process is None)
        await self.live.start()
        await self.console_tick.start()
        await self.assignment_sweep.start()
        before_bus()
        await self.bus.start()

    async def stop(self) -> None:
        await self.bus.stop()
        await self.assignment_sweep.stop()
        await self.console_tick.stop()
        await self.live.stop()
        await self.notifier.stop()
        if self._sender_process is not None:
            self._sender_process.terminate()
            await self._sender_process.wait()
        await self.engine.close()
        await self.adapters.close()
        await self.store.close()

    async def start_sender(self) -> None:
        """A sender process: the store, the providers (webhooks, the bot's
        polling and the SMTP receiver stay with the service) and the sender loop."""
        await self.store.open()
        await self.adapters.start(services=False)
        await self.notifier.sender.start()

    async def stop_sender(self) -> None:
        await self.notifier.sender.stop()
        await self.adapters.close()
        await self.store.close()


async def bootstrap(
    settings: Settings,
    *,
    store: SqliteStore | None = None,
    providers: Sequence[Provider] = (),
    clock: Callable[[], float] | None = None,
    engine: Engine | None = None,
    secret: bytes | None = None,
    policy: Policy | None = None,
) -> Service:
    """The object graph for `settings`. Overrides replace one part each: a store,
    providers registered over the recording ones and the adapters, a clock (epoch
    seconds) for everything that tells time except the bus's retry timer, an
    assistant engine, the signing secret, the sender's policy. File reads happen
    here, in threads; connections and tasks open only at `start()`."""
    now = clock or time.time
    store = store or SqliteStore(settings.database_path, settings.sqlite_synchronous, mask=console_queue.mask)
    metrics = Metrics()
    bus = InProcessBus(
        store,
        concurrency=settings.bus_concurrency,
        max_attempts=settings.bus_max_attempts,
        backoff_base=settings.bus_backoff_base_seconds,
        backoff_cap=settings.bus_backoff_max_seconds,
        poll_seconds=settings.bus_poll_seconds,
        metrics=metrics,
    )
    guard = FailureLimiter(
        settings.lookup_max_failures,
        settings.lookup_window_seconds,
        limits={
            "code:": settings.lookup_max_failures_per_code,
            "console:addr:": settings.console_login_failures_per_address,
            # A kiosk is many visitors in a day, each of whom may mistype.
            "kiosk:": settings.kiosk_lookup_max_failures,
        },
    )
    secret = secret if secret is not None else await load_secret(settings)
    templates = await asyncio.to_thread(Templates, Path(settings.templates_dir) if settings.templates_dir else None)
    holidays = await asyncio.to_thread(load_holidays, Path(settings.holidays_file) if settings.holidays_file else None)
    links = Links(settings.base_url, secret)

    def utc_now() -> datetime:
        return datetime.fromtimestamp(now(), UTC)

    engine = engine or _engine(settings, StatusAnswers(store, guard, utc_now).text, org_of(settings))
    assistant = Assistant(
        engine,
        store,
        holidays=holidays,
        clock=now,
        on_turn=metrics.assistant_turn,
        wait=Waiting(store, timedelta(minutes=settings.console_handling_minutes)),
    )
    inbox = Inbox(
        store,
        bus,
        guard,
        read_link=lambda token: read_token(secret, token, utc_now()),
        assistant=assistant,
        clock=utc_now,
    )

    channels = recording_channels(store, settings)
    adapters = Adapters.from_settings(settings, inbox)
    adapters.register(channels)
    for provider in providers:
        channels.register(provider)

    planner = Planner(store, now, parse_legal_bases(settings.legal_basis))
    sender = Sender(
        store,
        channels,
        templates,
        quiet=QuietHours.parse(settings.quiet_hours, holidays),
        limiter=MemoryRateLimiter(),
        links=links,
        org=org_of(settings),
        policy=policy or notify_policy(settings),
        clock=now,
        metrics=metrics,
        replies_moved=store.message_delivery_changed,
    )
    notifier = Notifier(
        planner,
        sender,
        Receipts(store, now, metrics, replies_moved=store.message_delivery_changed),
        OverdueScheduler(
            store,
            planner,
            interval=settings.overdue_scan_seconds,
            clock=now,
            max_age=_hours(settings.notify_max_event_age_hours),
        ),
        SentTextPurge(store, keep=_hours(settings.sent_text_retention_days * 24), interval=PURGE_INTERVAL, clock=now),
    )
    notifier.subscribe(bus)
    # Consoles hear of a change from its feed row; the store says when one is
    # committed, and the bus's events are a second wake-up (the hub also reads every second).
    live = LiveHub(store, now)
    store.on_feed_append(live.wake)
    # A web chat page hears of an agent's reply the same way (the reply writes a feed row).
    webchat = WebChatHub(store, secret)
    store.on_feed_append(webchat.wake)
    bus.subscribe(InboundMessageReceived, "console.live.inbound", live.on_event)
    bus.subscribe(EscalationRequested, "console.live.escalation", live.on_event)
    assignment = Assignment(store, now)
    assignment.subscribe(bus)
    openapi = build_spec(
        notify_openapi.PATHS,
        assistant_openapi.PATHS,
        contact_center_openapi.PATHS,
        console_openapi.PATHS,
        kiosk_openapi.PATHS,
        kiosk_api_openapi.PATHS,
        channels_openapi.WEBHOOKS,
    )
    return Service(
        settings=settings,
        store=store,
        bus=bus,
        metrics=metrics,
        guard=guard,
        api_keys=ApiKeys(store),
        secret=secret,
        links=links,
        templates=templates,
        holidays=holidays,
        channels=channels,
        adapters=adapters,
        engine=engine,
        assistant=assistant,
        inbox=inbox,
        notifier=notifier,
        openapi=openapi,
        agents=agents_of(settings, store, now),
        sessions=Sessions(
            store,
            secret,
            idle=timedelta(minutes=settings.console_idle_minutes),
            absolute=timedelta(hours=settings.console_session_hours),
            clock=now,
        ),
        replies=Replies(store, channels, clock=utc_now, web_presence=webchat.presence),
        live=live,
        console_tick=ConsoleTick(live),
        merges=Merges(store, now),
        assignment=assignment,
        assignment_sweep=AssignmentSweep(assignment),
        webchat=webchat,
    )


def agents_of(settings: Settings, store, clock: Callable[[], float]) -> Agents:
    """Console accounts as the service and `tongdai agent` manage them."""
    return Agents(
        store, base_url=settings.base_url, link_valid=timedelta(hours=settings.console_set_password_hours), clock=clock
    )


def _hours(hours: float) -> timedelta | None:
    """A setting in hours (or days * 24); 0 or less: no limit."""
    return timedelta(hours=hours) if hours > 0 else None


def notify_policy(settings: Settings, idle: float = SERVICE_IDLE) -> Policy:
    return Policy(
        max_attempts=settings.notify_max_attempts,
        backoff_base=settings.notify_backoff_base_seconds,
        backoff_cap=settings.notify_backoff_max_seconds,
        lease=settings.notify_lease_seconds,
        batch=settings.notify_batch,
        idle=idle,
    )


def org_of(settings: Settings) -> dict[str, str]:
    """The organisation as notices and the assistant cite it: one source, the settings."""
    return {"name": settings.org_name, "hotline": settings.org_hotline, "website": settings.org_website}


def _engine(settings: Settings, lookup, org: dict[str, str]) -> Engine:
    if settings.assistant_engine == "rasa":
        return RasaEngine(settings.rasa_url, lookup=lookup, org=org)
    return BuiltinEngine(lookup, cache_dir=settings.assistant_cache, org=org)


def recording_channels(store, settings: Settings) -> Channels:
    """The embedded default: every channel records instead of sending. The
    channel adapters replace these one by one when their settings are given."""
    failures = parse_failures(settings.recording_fail)
    rates = parse_rates(settings.rate_limits)
    sink = StoreSink(store)
    return Channels(
        [
            # Provider's optional start/close have docstring-only bodies, which mypy
            # takes for abstract; channels/port.py is outside this change.
            RecordingProvider(  # type: ignore[abstract]
                channel,
                sink,
                receipts=settings.recording_receipts,
                fail=failures.get(channel),
                limits=[Limit(f"recording:{channel.value}", *rates[channel.value])] if channel.value in rates else None,
            )
            for channel in SPECS
        ],
        deadlines=parse_deadlines(settings.receipt_deadlines),
        quiet=frozenset(Channel(c) for c in settings.quiet_channels.split(",") if c.strip()),
    )


def load_plugin(spec: str):
    """'package.module:function' — an operator's extension point; the function
    receives the app before the bus starts and may subscribe handlers."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr or "register")


async def _start_sender_process(settings: Settings) -> asyncio.subprocess.Process:
    # The same environment (settings are read from it) and data directory.
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "notify-sender", "--data-dir", str(settings.data_dir), env=dict(os.environ)
    )


async def run_sender_process(settings: Settings) -> None:
    """`tongdai notify-sender`: the sender loop on the service's database, in
    a process of its own so that rendering and sending use the second core.
    Claims keep it off rows another sender holds; it learns of new work by
    looking every few hundredths of a second. Runs until SIGTERM."""
    service = await bootstrap(settings, policy=notify_policy(settings, idle=SENDER_PROCESS_IDLE))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)
    await service.start_sender()
    try:
        await stopping.wait()
    finally:
        await service.stop_sender()


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
    except (ConnectionResetError, asyncio.CancelledError):
        status = CLIENT_CLOSED  # the client left; no server error
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[METRICS].observe_request(request.method, route, status, time.perf_counter() - started)


SERVICE = web.AppKey("service", Service)
STATIC_DIR = Path(__file__).resolve().parent / "static"


async def _revalidate_static(request: web.Request, response: web.StreamResponse) -> None:
    # The console's modules import one another by plain names: a browser must
    # ask again (a 304 when unchanged) or it could mix old and new after a deploy.
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"


# The unauthenticated routes and their rate-limit scope (hub/api/ratelimit.py).
PUBLIC_SCOPES = {
    ("POST", "/api/v1/assistant/messages"): "assistant",
    ("GET", "/api/v1/dossiers/{code}"): "lookup",
    ("POST", "/api/v1/dossiers/{code}/followers"): "follow",
    ("POST", "/api/v1/dossiers/{code}/followers/confirm"): "follow",
    ("GET", "/follow/{token}"): "unsubscribe",
    ("POST", "/follow/{token}"): "unsubscribe",
    ("GET", "/unsubscribe/{token}"): "unsubscribe",
    ("POST", "/unsubscribe/{token}"): "unsubscribe",
    ("GET", "/console/login"): "console_login",
    ("POST", "/console/login"): "console_login",
    ("GET", "/console/set-password/{token}"): "console_login",
    ("POST", "/console/set-password/{token}"): "console_login",
    ("GET", "/static"): "static",
    ("POST", "/webchat/sessions"): "webchat",
    ("OPTIONS", "/webchat/sessions"): "webchat",
    ("GET", "/webchat/sessions/{token}/messages"): "webchat",
    ("POST", "/webchat/sessions/{token}/messages"): "webchat",
    ("OPTIONS", "/webchat/sessions/{token}/messages"): "webchat",
    ("POST", "/webchat/sessions/{token}/contact"): "webchat",
    ("OPTIONS", "/webchat/sessions/{token}/contact"): "webchat",
    ("GET", "/webchat/sessions/{token}/live"): "webchat",
    # Rasa's socket.io channel: the handshake, polling and the websocket (messages: per session too).
    ("GET", "/socket.io/"): "webchat",
    ("POST", "/socket.io/"): "webchat",
    ("OPTIONS", "/socket.io/"): "webchat",
    ("GET", "/kiosk"): "static",  # the touch-screen page; its API has the `kiosk` scope
    ("GET", "/widget.js"): "static",
    ("GET", "/chat"): "static",
    # The kiosk's API: its key is checked in the handler (a read), so the
    # address is limited first; per kiosk too (kiosk/api.py, `kiosk_device`).
    ("GET", "/kiosk/api/config"): "kiosk",
    ("POST", "/kiosk/api/lookup"): "kiosk",
    ("POST", "/kiosk/api/messages"): "kiosk",
    ("POST", "/kiosk/api/callback"): "kiosk",
    ("POST", "/kiosk/api/follow"): "kiosk",
    ("POST", "/kiosk/api/follow/confirm"): "kiosk",
    ("POST", "/kiosk/api/rating"): "kiosk",
}


def _public_scope(request: web.Request) -> str | None:
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else ""
    # Every provider's webhook, before its signature check: generous, providers post from few addresses.
    return "webhook" if route.startswith("/webhooks/") else PUBLIC_SCOPES.get((request.method, route))


async def _freeze_heap_when_ready(engine: Engine) -> None:
    # What start-up loaded (modules, the trained NLU, templates) lives as long
    # as the process; left in the collected generations it makes each full
    # collection a ~30 ms pause in the middle of some request. Frozen, the
    # collector skips it. Only for a served process: tests build many apps.
    await engine.until_ready()
    gc.collect()
    gc.freeze()


async def create_app(settings: Settings, *, freeze_heap: bool = False, **overrides) -> web.Application:
    """The service over HTTP; `overrides` as `bootstrap` takes them;
    `freeze_heap` for `tongdai serve`, once the assistant is ready."""
    service = await bootstrap(settings, **overrides)
    limits = rate_limit_middleware(_public_scope, lambda request: client_address(request, settings.trust_forwarded_for))
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[_measure, json_errors, limits, body_deadline(settings.body_read_timeout_seconds)],
    )
    app[RATE_LIMITS] = RateLimits(parse_public_rates(settings.public_rate_limits))
    app[SERVICE] = service
    app[SETTINGS], app[STORE], app[BUS], app[METRICS] = settings, service.store, service.bus, service.metrics
    app[LOOKUP_GUARD], app[API_KEYS], app[SECRET] = service.guard, service.api_keys, service.secret
    app[OPENAPI], app[INBOX] = service.openapi, service.inbox
    app[CHANNEL_MODES] = service.channels.modes
    app[TEMPLATES], app[LINKS] = service.templates, service.links
    app[CHANNEL_HEALTH] = lambda: [(c, p, h.up, h.reason) for c, p, h in service.adapters.health()]
    app[CLOCK] = service.notifier.sender.clock
    app[KIOSKS] = Kiosks(service.store)
    app[console_api.CONSOLE] = console_api.Console(
        agents=service.agents,
        sessions=service.sessions,
        guard=service.guard,
        client=lambda request: client_address(request, settings.trust_forwarded_for),
        secure_cookie=settings.base_url.startswith("https://"),
        public_host=urlsplit(settings.base_url).netloc,
    )

    async def run(app: web.Application):
        await service.start(before_bus=lambda: [load_plugin(spec)(app) for spec in settings.plugins])
        freezing = asyncio.create_task(_freeze_heap_when_ready(service.engine)) if freeze_heap else None
        yield
        if freezing is not None:
            freezing.cancel()
            await asyncio.gather(freezing, return_exceptions=True)
        await service.stop()

    app.cleanup_ctx.append(run)
    app[console_queue.DESK] = console_queue.Desk(
        store=service.store,
        clock=service.notifier.sender.clock,
        live=service.live,
        replies=service.replies,
        sms_preview=Replies.sms_preview,
        merges=service.merges,
        assignment=service.assignment,
    )

    async def close_sockets(app: web.Application) -> None:
        # Before the server waits for its handlers: an open websocket would hold it.
        await service.live.close_sockets()
        await service.webchat.close_sockets()

    app.on_shutdown.append(close_sockets)
    # The console's script and style, as written (no build step): `make run` serves them as they are.
    app.router.add_static("/static", STATIC_DIR, append_version=False)
    app.on_response_prepare.append(_revalidate_static)
    app.add_routes(service.adapters.routes)
    webchat_api.setup(app, service.webchat, settings.webchat_allowed_origins)
    # Rasa's socket.io protocol on /socket.io/, for a portal that already embeds a Rasa web chat client.
    RasaSocketIO(
        service.webchat,
        service.inbox,
        settings.webchat_allowed_origins | {settings.base_url.lower()},
        limits=app[RATE_LIMITS],
        trust_forwarded_for=settings.trust_forwarded_for,
    ).attach(app)
    for package_routes in (
        dossiers.routes,
        notify_api.routes,
        notify_follow.routes,
        contact_center_api.routes,
        console_api.routes,
        console_queue.routes,
        console_admin.routes,
        kiosk_pages.routes,
        kiosk_api.routes,
        assistant_api.routes,
        ops.routes,
        widget_pages.routes,
    ):
        app.add_routes(package_routes)
    return app
