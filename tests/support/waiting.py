"""Waiting for something asynchronous to become true, without fixed sleeps."""

from __future__ import annotations

import asyncio
import time


async def eventually(check, within: float = 10.0, interval: float = 0.02):
    """Polls `check` (sync or async) until it returns something truthy; that is returned."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(interval)
