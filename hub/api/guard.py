"""Slows down anyone guessing dossier codes or verify digits."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

MAX_KEYS = 100_000
MAX_LOCK = 24 * 3600.0  # the longest a key waits, however often it comes back


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
    hub/lookup.py for what that costs them).

    Backoff: a key that reaches its limit again soon after a lockout (before
    a quiet window has passed) waits twice as long as the time before, up to
    a day: a patient guesser gets `limit` tries per 15 minutes once, then
    per 30, per hour… instead of `limit` every 15 minutes for ever."""

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
        # key -> (lockouts in a row, locked until): only keys that reached their limit.
        self._strikes: dict[str, tuple[int, float]] = {}
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
            strikes = self._strikes.get(key)
            if strikes is not None and strikes[1] > now:
                waits.append(strikes[1] - now)
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
            limit = self.limit_of(key)
            failures = (*self._failures.pop(key, ()), now)[-limit:]
            self._failures[key] = failures
            if len(failures) >= limit and failures[0] > now - self.window:
                self._strike(key, now)
        while len(self._failures) > self.max_keys:
            evicted, _ = self._failures.popitem(last=False)
            self._strikes.pop(evicted, None)
            self.evicted += 1

    def _strike(self, key: str, now: float) -> None:
        """The key just reached its limit: the first time the sliding window
        alone decides; each lockout in a row after it doubles the wait."""
        count, until = self._strikes.get(key, (0, 0.0))
        count += 1
        if count > 1:
            until = max(until, now + min(self.window * 2 ** (count - 1), MAX_LOCK))
        self._strikes[key] = (count, until)

    def _expire(self, now: float) -> None:
        failures = self._failures
        while failures:
            key = next(iter(failures))
            if failures[key][-1] > now - self.window:
                return
            strikes = self._strikes.get(key)
            if strikes is not None and strikes[1] > now - self.window:
                return  # still locked, or not yet quiet for a window after it: the backoff holds
            del failures[key]
            self._strikes.pop(key, None)


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
