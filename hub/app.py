"""The composition root: the one place that wires settings, store, bus and routes."""

from __future__ import annotations

import importlib
import logging
import time

from aiohttp import web

from hub.api import dossiers, ops
from hub.api.auth import ApiKeys
from hub.api.errors import json_errors
from hub.api.guard import FailureLimiter
from hub.bus.inprocess import InProcessBus
from hub.keys import API_KEYS, BUS, LOOKUP_GUARD, METRICS, SETTINGS, STORE
from hub.metrics import Metrics
from hub.settings import Settings
from hub.store.sqlite import SqliteStore

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


async def _store_ctx(app: web.Application):
    store = open_store(app[SETTINGS])
    await store.open()
    app[STORE] = store
    app[API_KEYS] = ApiKeys(store)
    yield
    await store.close()


async def _bus_ctx(app: web.Application):
    bus = make_bus(app[STORE], app[SETTINGS], app[METRICS])
    app[BUS] = bus
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
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_bus_ctx)
    app.add_routes(dossiers.routes)
    app.add_routes(ops.routes)
    return app
