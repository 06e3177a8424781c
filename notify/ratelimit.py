"""Rate limits per provider account, as token buckets.

The port has one operation, `reserve`, which takes a token from every bucket a
message draws on, or none: a shared backend (Redis, MongoDB) can implement it
atomically so that several worker processes respect one limit together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Limit:
    key: str  # e.g. "telegram:bot:123", "telegram:chat:456", "sms:brandname:UBND"
    rate: float  # tokens per second
    burst: int  # bucket size


class RateLimiter(Protocol):
    async def reserve(self, limits: Sequence[Limit], now: float) -> float:
        """0.0 when a token was taken from every bucket; otherwise nothing is
        taken and the answer is how many seconds until all would have one."""


# Telegram's published limits: about 30 messages a second per bot, one a second per chat.
TELEGRAM_BOT_RATE, TELEGRAM_BOT_BURST = 30.0, 30
TELEGRAM_CHAT_RATE, TELEGRAM_CHAT_BURST = 1.0, 1


def telegram_limits(bot_id: str, chat_id: str) -> list[Limit]:
    return [Limit(f"telegram:bot:{bot_id}", TELEGRAM_BOT_RATE, TELEGRAM_BOT_BURST),
            Limit(f"telegram:chat:{chat_id}", TELEGRAM_CHAT_RATE, TELEGRAM_CHAT_BURST)]


def per_sender(provider: str, sender: str, rate: float, burst: int) -> Limit:
    return Limit(f"{provider}:{sender}", rate, burst)


def parse_rates(text: str) -> dict[str, tuple[float, int]]:
    """'sms:brandname=10/s,sms:twilio=1/s' -> {'sms:brandname': (10.0, 10), ...};
    an optional burst: 'sms:twilio=1/s:5'."""
    found = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        rate_text, _, burst_text = value.partition(":")
        try:
            if not sep or not key.strip() or not rate_text.endswith("/s"):
                raise ValueError
            rate = float(rate_text[:-2])
            burst = int(burst_text) if burst_text else max(1, int(rate))
            if rate <= 0 or burst < 1:
                raise ValueError
        except ValueError:
            raise ValueError(f"rate limit {part!r}: expected key=N/s or key=N/s:BURST") from None
        found[key.strip()] = (rate, burst)
    return found


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
        wait = max((((1.0 - level) / limit.rate) for limit, level in zip(limits, levels) if level < 1.0),
                   default=0.0)
        if wait > 0:
            return wait
        for limit, level in zip(limits, levels):
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
