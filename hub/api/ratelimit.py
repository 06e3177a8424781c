"""Request rate limits for the public (unauthenticated) endpoints: a token
bucket per client address and, where the request names one, per sender.
In memory, O(1) per request, at most `capacity` buckets per scope."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from aiohttp import web

from hub.api.errors import too_many

# (requests, per seconds): the bucket holds `requests` and refills over `seconds`.
DEFAULT_RATES: dict[str, tuple[int, float]] = {
    # The assistant stores every message: a person types far slower than this.
    "assistant": (30, 60.0),
    "assistant_sender": (10, 60.0),
    # The web chat widget: a session, its history, messages, the live socket's reconnects.
    "webchat": (120, 60.0),
    "lookup": (60, 60.0),
    "follow": (10, 60.0),
    "unsubscribe": (30, 60.0),
    # The console's sign-in and set-password pages, per address: an office
    # of agents behind one NAT address signs in a few times a day each.
    "console_login": (30, 60.0),
    # The console's script and style: a page load fetches two files, revalidated on reload.
    "static": (600, 60.0),
    # The kiosks' API, per address: a centre's kiosks share one. Per kiosk
    # (`kiosk_device`): a visitor touches a few times a second at most.
    "kiosk": (600, 60.0),
    "kiosk_device": (120, 60.0),
    # Before the signature check, per address: providers post every citizen's
    # messages and receipts from a handful of addresses, and a receipt refused
    # is not sent again. Only a flood far past any provider's pace meets this.
    "webhook": (30000, 60.0),
    "webhook_sender": (20, 60.0),
}
_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}


def parse_public_rates(text: str) -> dict[str, tuple[int, float]] | None:
    """'assistant=30/min,lookup=5/s' over the defaults; 'off' (benchmarks,
    fuzzing from one address) gives None: no limits at all."""
    if text.strip().lower() == "off":
        return None
    rates = dict(DEFAULT_RATES)
    for part in filter(None, (p.strip() for p in text.split(","))):
        scope, _, value = part.partition("=")
        count, _, unit = value.partition("/")
        scope = scope.strip()
        try:
            if scope not in DEFAULT_RATES or unit.strip() not in _UNITS or int(count) < 1:
                raise ValueError
            rates[scope] = (int(count), _UNITS[unit.strip()])
        except ValueError:
            known = ", ".join(DEFAULT_RATES)
            raise ValueError(f"public rate limit {part!r}: expected SCOPE=N/s|min|h, SCOPE one of {known}") from None
    return rates


class TokenBuckets:
    """A bucket of `burst` tokens per key refilled at `burst/seconds` a second.
    The least recently seen key is forgotten past `capacity` keys: a forgotten
    bucket is a full one, which only ever errs towards letting a request in."""

    def __init__(
        self, burst: int, seconds: float, capacity: int = 100_000, clock: Callable[[], float] = time.monotonic
    ):
        self.burst, self.rate, self.capacity, self.clock = float(burst), burst / seconds, capacity, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimits:
    """One set of buckets per scope; `None` rates switch every limit off."""

    def __init__(
        self,
        rates: Mapping[str, tuple[int, float]] | None,
        capacity: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._scopes = {
            scope: TokenBuckets(count, seconds, capacity, clock) for scope, (count, seconds) in (rates or {}).items()
        }

    def check(self, scope: str, key: str) -> None:
        """Raise a 429 with Retry-After once `key` has used its share of `scope`."""
        buckets = self._scopes.get(scope)
        if buckets is None:
            return
        wait = buckets.take(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise too_many(f"Bạn gửi quá nhiều yêu cầu. Vui lòng thử lại sau {seconds} giây.", seconds)


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)


def limit_sender(request: web.Request, scope: str, sender: str) -> None:
    """For a handler that knows who is writing (the assistant's session id, a
    webhook's verified phone): their own share, whatever address they use."""
    limits = request.app.get(RATE_LIMITS)
    if limits is not None:
        limits.check(scope, sender)


def address_key(address: str) -> str:
    """An IPv6 client holds a whole /64 and can write from any address in it:
    the /64 is one client here."""
    if ":" not in address:
        return address
    try:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    except ValueError:
        return address


def rate_limit_middleware(scope_of: Callable[[web.Request], str | None], address_of: Callable[[web.Request], str]):
    """Per-address limits before the handler runs: `scope_of` names the
    request's scope (None: not limited), `address_of` the client."""

    @web.middleware
    async def rate_limit(request: web.Request, handler):
        scope = scope_of(request)
        if scope is not None:
            request.app[RATE_LIMITS].check(scope, address_key(address_of(request)))
        return await handler(request)

    return rate_limit
