"""Liveness, readiness, metrics and the API description, for operators."""

from __future__ import annotations

import logging

from aiohttp import web

from hub.api.replies import reply
from hub.keys import CHANNEL_HEALTH, CHANNEL_MODES, METRICS, OPENAPI, STORE
from hub.store.port import Outbox
from models.notifications import DeliveryStatus
from models.timeutil import parse_datetime, utcnow

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
    # A channel that is down degrades the service but does not make it unready:
    # the store works, notices fall back to other channels, and taking the
    # instance out of rotation would stop every other channel too. Which
    # channels really send, which only record, which notices skip is
    # informative too, not a condition of readiness.
    degraded = [
        {"channel": channel, "provider": provider, "reason": reason}
        for channel, provider, up, reason in _channel_health(request)
        if not up
    ]
    channels = request.app[CHANNEL_MODES]()
    for down in degraded:
        if down["channel"] in channels:
            channels[down["channel"]] = {
                **channels[down["channel"]],
                "health": "degraded",
                "reason": down["reason"] or "",
            }
    return reply(
        {"status": "ok" if state["ready"] else "unavailable", **state, "channels": channels, "degraded": degraded},
        status=200 if state["ready"] else 503,
    )


def _channel_health(request: web.Request) -> list[tuple[str, str, bool, str | None]]:
    health = request.app.get(CHANNEL_HEALTH)
    return health() if health is not None else []


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    m = request.app[METRICS]
    store: Outbox = request.app[STORE]
    m.outbox_pending.set(await store.count_pending())
    m.dead_letters.set(len(await store.dead_letters()))
    backlog = await request.app[STORE].notification_backlog()
    now = utcnow()
    for status in DeliveryStatus:  # every status, so that an emptied queue reads 0, not its last value
        waiting = backlog.get(status.value)
        m.notify_backlog.labels(status.value).set(waiting.size if waiting else 0)
        age = (now - parse_datetime(waiting.oldest)).total_seconds() if waiting else 0.0
        m.notify_oldest.labels(status.value).set(max(0.0, age))
    m.escalations_open.set(await request.app[STORE].count_open_escalations())
    for channel, provider, up, _ in _channel_health(request):
        m.set_channel_up(channel, provider, up)
    return web.Response(body=m.render(), headers={"Content-Type": m.content_type})


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return reply(request.app[OPENAPI])
