"""Slows down anyone guessing dossier codes or verify digits."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

MAX_KEYS = 100_000


class FailureLimiter:
    """At most `limit` failures per key in a sliding window; past that, the key
    is refused until its oldest counted failure leaves the window. A key that
    starts with a prefix in `limits` has that limit instead ("code:" keys, say,
    so that one address alone cannot lock a dossier for its owner).

    Memory is bounded and every call is O(1) (amortised): a key holds at most
    its limit's timestamps (older ones no longer decide anything), and keys are
    kept in the order of their latest failure. Each `fail()` drops the keys at
    the front whose latest failure has left the window, and past `max_keys`
    evicts the key whose latest failure is the oldest. An attacker cannot
    reset their own count that way: their key moves to the back with every
    failure, and a key at its limit, refused before it can fail again, is
    evicted only after `max_keys` keys have failed more recently (see
    hub/lookup.py for what that costs them)."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        limits: Mapping[str, int] | None = None,
        max_keys: int = MAX_KEYS,
    ):
        self.limit, self.window, self.clock = limit, window, clock
        self.max_keys = max_keys
        self._limits = tuple((limits or {}).items())
        self._failures: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self.evicted = 0  # keys dropped by the cap while still in their window

    def __len__(self) -> int:
        return len(self._failures)

    def limit_of(self, key: str) -> int:
        for prefix, limit in self._limits:
            if key.startswith(prefix):
                return limit
        return self.limit

    def retry_after(self, *keys: str) -> int | None:
        """Seconds to wait if any key is over its limit, else None."""
        now = self.clock()
        waits = []
        for key in keys:
            failures = self._failures.get(key)
            limit = self.limit_of(key)
            if failures and len(failures) >= limit:
                # The limit-th latest failure still in the window means `limit` of them are.
                wait = failures[-limit] + self.window - now
                if wait > 0:
                    waits.append(wait)
        return max(1, math.ceil(max(waits))) if waits else None

    def fail(self, *keys: str) -> None:
        now = self.clock()
        self._expire(now)
        for key in keys:
            earlier = self._failures.pop(key, ())
            self._failures[key] = (*earlier, now)[-self.limit_of(key) :]
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)
            self.evicted += 1

    def _expire(self, now: float) -> None:
        failures = self._failures
        while failures:
            key = next(iter(failures))
            if failures[key][-1] > now - self.window:
                return
            del failures[key]


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
