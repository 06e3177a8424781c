"""A switch in front of an HTTP peer (Prism, the Telegram emulator) for
fault-injection tests: up (requests forwarded, each recorded with the marker
found in its body), throttled (429 with a Retry-After, as the vendor words
it), or down (its port closed: to the service, exactly a stopped peer)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

# Hop-by-hop and framing headers: aiohttp sets its own on each leg.
_DROP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}


@dataclass(slots=True)
class Call:
    marker: str | None
    at: float  # time.monotonic() when answered
    status: int


@dataclass
class FaultyPeer:
    upstream: str
    marker: re.Pattern[bytes]
    # The vendor's 429: (body, headers) for a Retry-After of n seconds.
    throttled: Callable[[int], web.Response]
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    throttle_until: float = 0.0
    retry_after: int = 0
    _runner: web.AppRunner | None = None
    _http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def down(self) -> None:
        """Close the port and every open connection."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def up(self, *, throttle_for: float = 0.0, retry_after: int = 0) -> None:
        self.throttle_until = time.monotonic() + throttle_for
        self.retry_after = retry_after
        await self.start()

    async def close(self) -> None:
        await self.down()
        if self._http is not None:
            await self._http.close()

    def delivered(self) -> list[str]:
        return [c.marker for c in self.calls if c.marker and 200 <= c.status < 300]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        found = self.marker.search(body)
        marker = found.group(0).decode() if found else None
        if marker and time.monotonic() < self.throttle_until:
            self.calls.append(Call(marker, time.monotonic(), 429))
            return self.throttled(self.retry_after)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP}
        assert self._http is not None
        async with self._http.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            content = await answer.read()
            status = answer.status
            out = {k: v for k, v in answer.headers.items() if k.lower() not in _DROP}
        self.calls.append(Call(marker, time.monotonic(), status))
        return web.Response(body=content, status=status, headers=out)


def twilio_429(seconds: int) -> web.Response:
    return web.json_response(
        {"code": 20429, "message": "Too Many Requests", "status": 429},
        status=429,
        headers={"Retry-After": str(seconds)},
    )


def telegram_429(seconds: int) -> web.Response:
    return web.json_response(
        {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {seconds}",
            "parameters": {"retry_after": seconds},
        },
        status=429,
    )
