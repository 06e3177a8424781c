"""Rate limits per provider account, as token buckets (the buckets a message
draws on are the provider's to say: channels.port.Limit).

The port has one operation, `reserve`, which takes a token from every bucket a
message draws on, or none: a shared backend (Redis, MongoDB) can implement it
atomically so that several worker processes respect one limit together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from channels.port import Limit


class RateLimiter(Protocol):
    async def reserve(self, limits: Sequence[Limit], now: float) -> float:
        """0.0 when a token was taken from every bucket; otherwise nothing is
        taken and the answer is how many seconds until all would have one."""


class MemoryRateLimiter:
    """One process's buckets. Full buckets are forgotten after a while, so that
    per-chat keys for a million citizens do not pile up."""

    def __init__(self, max_keys: int = 100_000):
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated_at)
        self._max_keys = max_keys

    def _level(self, limit: Limit, now: float) -> float:
        tokens, updated = self._buckets.get(limit.key, (float(limit.burst), now))
        return min(float(limit.burst), tokens + max(0.0, now - updated) * limit.rate)

    async def reserve(self, limits: Sequence[Limit], now: float) -> float:
        levels = [self._level(limit, now) for limit in limits]
        wait = max(
            (((1.0 - level) / limit.rate) for limit, level in zip(limits, levels, strict=True) if level < 1.0),
            default=0.0,
        )
        if wait > 0:
            return wait
        for limit, level in zip(limits, levels, strict=True):
            self._buckets[limit.key] = (level - 1.0, now)
        if len(self._buckets) > self._max_keys:
            self._evict(limits, now)
        return 0.0

    def _evict(self, limits: Sequence[Limit], now: float) -> None:
        # A bucket idle long enough to have refilled is the same as no bucket.
        rates = {limit.key: limit for limit in limits}
        for key, (tokens, updated) in list(self._buckets.items()):
            limit = rates.get(key)
            if limit is None or tokens + (now - updated) * limit.rate >= limit.burst:
                if now - updated > 60:
                    del self._buckets[key]
