"""Slows down anyone guessing dossier codes or verify digits."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """At most `limit` failures per key in a sliding window; past that, the key
    is refused until its oldest failure leaves the window."""

    def __init__(self, limit: int = 5, window: float = 900.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if failures is not None and not failures:
            del self._failures[key]
            return None
        return failures

    def retry_after(self, *keys: str) -> int | None:
        """Seconds to wait if any key is over its limit, else None."""
        now = self.clock()
        waits = []
        for key in keys:
            failures = self._recent(key, now)
            if failures and len(failures) >= self.limit:
                waits.append(failures[-self.limit] + self.window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def fail(self, *keys: str) -> None:
        now = self.clock()
        if len(self._failures) > 100_000:
            for key in list(self._failures):
                self._recent(key, now)
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)


def client_address(request, trust: int) -> str:
    """The client as the `trust` proxies nearest to us saw it: each appends the
    address it was reached from, so the entry `trust` from the right is the one
    our outermost trusted proxy added; anything left of it the client wrote.
    0 ignores the header (no proxy, or one that does not set it)."""
    if trust > 0:
        entries = [e.strip() for h in request.headers.getall("X-Forwarded-For", ()) for e in h.split(",")]
        if len(entries) >= trust and entries[-trust]:
            # An address is short; a long entry is junk that would only bloat the keys.
            return entries[-trust][:64]
    return request.remote or "unknown"
