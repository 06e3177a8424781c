"""Rate-limit buckets as providers and operators name them."""

from __future__ import annotations

from channels.port import Limit

# Telegram's published limits: about 30 messages a second per bot, one a second per chat.
TELEGRAM_BOT_RATE, TELEGRAM_BOT_BURST = 30.0, 30
TELEGRAM_CHAT_RATE, TELEGRAM_CHAT_BURST = 1.0, 1


def telegram_limits(bot_id: str, chat_id: str) -> list[Limit]:
    return [
        Limit(f"telegram:bot:{bot_id}", TELEGRAM_BOT_RATE, TELEGRAM_BOT_BURST),
        Limit(f"telegram:chat:{chat_id}", TELEGRAM_CHAT_RATE, TELEGRAM_CHAT_BURST),
    ]


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
