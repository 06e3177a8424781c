"""Prometheus metrics, one registry per app so that tests can build many apps."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self):
        self.registry = CollectorRegistry()
        self._children: dict[tuple, tuple] = {}
        self.requests = Counter(
            "tongdai_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tongdai_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.status_changes = Counter(
            "tongdai_dossier_status_changes", "Status events by outcome", ["outcome"], registry=self.registry
        )
        self.handled = Counter(
            "tongdai_bus_handled", "Bus deliveries that succeeded", ["handler"], registry=self.registry
        )
        self.failed = Counter(
            "tongdai_bus_failed",
            "Bus deliveries that failed, by what happens next",
            ["handler", "state"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "tongdai_bus_outbox_pending", "Outbox messages not yet dispatched", registry=self.registry
        )
        self.dead_letters = Gauge(
            "tongdai_bus_dead_letters", "Deliveries parked in the dead-letter list", registry=self.registry
        )

        # The sender's queue is its table: a provider that is down shows here as
        # temporary_failure rows waiting for their retry, before anything is lost.
        self.notify_backlog = Gauge(
            "tongdai_notify_backlog",
            "Notifications waiting to be sent, retried or confirmed by a receipt, by status",
            ["status"],
            registry=self.registry,
        )

        self.channel_up = Gauge(
            "tongdai_channel_up",
            "1 when a real channel adapter can do its work, 0 when it is degraded (see /readyz for why)",
            ["channel", "provider"],
            registry=self.registry,
        )

    def set_channel_up(self, channel: str, provider: str, up: bool) -> None:
        self.channel_up.labels(channel, provider).set(1 if up else 0)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # labels() costs a lock and a tuple build per call; reuse the children.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def handler_done(self, handler: str) -> None:
        self.handled.labels(handler).inc()

    def handler_failed(self, handler: str, state: str) -> None:
        self.failed.labels(handler, state).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
