"""When to try a failed handler again."""

from __future__ import annotations

import random

from models.errors import PermanentError, RetryableError


def next_attempt(
    error: BaseException,
    attempts: int,
    now: float,
    *,
    max_attempts: int,
    base: float,
    cap: float,
    rng: random.Random = random._inst,
) -> float | None:
    """The time of the next try, or None when the message should be parked.

    Exponential with full jitter, so that handlers failing together do not
    retry together; a provider's Retry-After wins when it asks for longer."""
    if isinstance(error, PermanentError) or attempts >= max_attempts:
        return None
    delay = rng.uniform(0, min(cap, base * 2 ** (attempts - 1)))
    if isinstance(error, RetryableError) and error.retry_after is not None:
        delay = max(delay, error.retry_after)
    return now + delay
