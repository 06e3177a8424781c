"""Prometheus metrics, one registry per app so that tests can build many apps.

Figures a process can only know as they happen (an attempt's outcome, a
provider's latency, a rejected webhook, an assistant turn) are counters and
histograms here; figures the store knows (backlogs, their age, open
escalations) are read from it at each scrape, so they stay right across
restarts and whichever process does the work."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

WEBHOOKS = "/webhooks/"
# Why a provider's webhook was refused, from the status it got: a wrong
# signature or secret is the figure to alert on (a misconfigured provider, or
# someone forging callbacks).
REJECTION_REASONS = {
    400: "malformed",
    401: "signature",
    403: "signature",
    404: "unknown",
    405: "method",
    408: "too_slow",
    413: "too_large",
    415: "malformed",
    422: "malformed",
    429: "rate_limited",
    503: "store_unavailable",
}


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

        self.notify_oldest = Gauge(
            "tongdai_notify_oldest_seconds",
            "Age of the oldest notification waiting in each status (0 when none waits)",
            ["status"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "tongdai_notifications",
            "Notification attempts by channel, provider and the outcome recorded "
            "(sent, delivered, temporary_failure, permanent_failure, technical_failure; "
            "delivered again when a receipt confirms a sent one); cancelled ones have channel and provider 'none'",
            ["channel", "provider", "status"],
            registry=self.registry,
        )
        self.provider_latency = Histogram(
            "tongdai_provider_send_seconds",
            "Time a provider took to take a batch of messages, observed once per message",
            ["channel", "provider"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.webhook_rejections = Counter(
            "tongdai_webhook_rejections",
            "Provider webhooks refused, by route and reason",
            ["route", "reason"],
            registry=self.registry,
        )
        self.escalations_open = Gauge(
            "tongdai_escalations_open", "Conversations waiting for a person", registry=self.registry
        )
        self.assistant_turns = Counter(
            "tongdai_assistant_turns",
            "Assistant turns by intent and outcome (answered, fallback, escalated)",
            ["intent", "outcome"],
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
        if status >= 400 and route.startswith(WEBHOOKS):
            self.webhook_rejections.labels(route, REJECTION_REASONS.get(status, "other")).inc()

    def attempt_recorded(self, channel: str, provider: str, status: str) -> None:
        self.notifications.labels(channel, provider, status).inc()

    def provider_took(self, channel: str, provider: str, seconds: float, messages: int) -> None:
        child = self.provider_latency.labels(channel, provider)
        for _ in range(messages):
            child.observe(seconds)

    def assistant_turn(self, intent: str, outcome: str) -> None:
        self.assistant_turns.labels(intent, outcome).inc()

    def handler_done(self, handler: str) -> None:
        self.handled.labels(handler).inc()

    def handler_failed(self, handler: str, state: str) -> None:
        self.failed.labels(handler, state).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
