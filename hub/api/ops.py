"""Liveness, readiness, metrics and the API description, for operators."""

from __future__ import annotations

import logging

from aiohttp import web

from hub.api.replies import reply
from hub.keys import CHANNEL_MODES, METRICS, OPENAPI, STORE
from hub.store.port import Outbox
from models.notifications import DeliveryStatus

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return reply({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    try:
        state = await request.app[STORE].readiness()
    except Exception as exc:  # unreachable store is exactly what this endpoint reports
        log.warning("store not ready", extra={"error": repr(exc)})
        return reply({"status": "unavailable", "store": "unreachable"}, status=503)
    # Which channels really send, which only record, which notices skip: informative, not a condition of readiness.
    channels = request.app[CHANNEL_MODES]()
    return reply(
        {"status": "ok" if state["ready"] else "unavailable", **state, "channels": channels},
        status=200 if state["ready"] else 503,
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    m = request.app[METRICS]
    store: Outbox = request.app[STORE]
    m.outbox_pending.set(await store.count_pending())
    m.dead_letters.set(len(await store.dead_letters()))
    backlog = await request.app[STORE].notification_backlog()
    for status in DeliveryStatus:  # every status, so that an emptied queue reads 0, not its last value
        m.notify_backlog.labels(status.value).set(backlog.get(status.value, 0))
    return web.Response(body=m.render(), headers={"Content-Type": m.content_type})


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return reply(request.app[OPENAPI])
