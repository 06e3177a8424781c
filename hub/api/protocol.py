"""The HTTP connection level, below the handlers: slow clients are cut off,
one address holds a bounded number of connections, and what aiohttp itself
refuses (a request that is not HTTP) leaves in the JSON error shape without
repeating the request's bytes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable

from aiohttp import web

from hub.api.errors import error_response, passthrough_headers

log = logging.getLogger(__name__)

BAD_HTTP = "Yêu cầu HTTP không hợp lệ."
SLOW_BODY = "Nội dung yêu cầu gửi quá chậm; kết nối đã bị đóng."
UNREADABLE = "Nội dung yêu cầu không đọc được."
# nginx's name for a client that left before the answer: not a server error.
CLIENT_CLOSED = 499
LOG_EVERY = 10.0  # seconds


def _closing(status: int, message: str | None = None) -> web.Response:
    # The rest of the request is not worth reading: answer and hang up.
    response = error_response(status, message)
    response.force_close()
    return response


def body_deadline(seconds: float):
    """Read the whole body, within `seconds`, before the handler: one byte
    every few seconds would otherwise hold the connection for as long as the
    client likes. Handlers then read it from memory."""

    @web.middleware
    async def read_body_in_time(request: web.Request, handler):
        if request.body_exists:
            try:
                async with asyncio.timeout(seconds):
                    await request.read()  # raises 413 past client_max_size
            except TimeoutError:
                return _closing(408, SLOW_BODY)
            except web.RequestPayloadError:  # e.g. Content-Encoding: gzip over bytes that are not gzip
                return _closing(400, UNREADABLE)
            except ConnectionResetError:
                return web.Response(status=CLIENT_CLOSED)
        return await handler(request)

    return read_body_in_time


class ConnectionCap:
    """Open connections per client address, at most `limit` each."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic):
        self.limit, self.clock = limit, clock
        self._open: Counter[str] = Counter()
        self._refused, self._logged_at = 0, -LOG_EVERY

    def open(self, address: str) -> bool:
        if self._open[address] >= self.limit:
            self._note_refusal()
            return False
        self._open[address] += 1
        return True

    def _note_refusal(self) -> None:
        # One line per interval, however fast a client keeps trying.
        self._refused += 1
        now = self.clock()
        if now - self._logged_at >= LOG_EVERY:
            log.warning("connections refused: too many from one address", extra={"refused": self._refused})
            self._refused, self._logged_at = 0, now

    def close(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


class GuardedRequestHandler(web.RequestHandler):
    """aiohttp's connection handler with a per-address connection cap (None:
    no cap, as behind a proxy every connection comes from the proxy) and JSON
    for the errors aiohttp answers before any middleware runs."""

    def __init__(self, manager, *, cap: ConnectionCap | None = None, **kwargs):
        super().__init__(manager, **kwargs)
        self._cap, self._counted = cap, ""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if self._cap is None:
            return
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        if self._cap.open(address):
            self._counted = address
        else:
            self.force_close()

    def connection_lost(self, exc) -> None:
        if self._counted and self._cap is not None:
            self._cap.close(self._counted)
            self._counted = ""
        super().connection_lost(exc)

    async def finish_response(self, request, resp, start_time):
        # An HTTP error raised where no middleware sees it (aiohttp's answer to
        # an unknown Expect header quotes the header) leaves in our shape too.
        if isinstance(resp, web.HTTPException) and resp.status >= 400:
            resp = error_response(resp.status, headers=passthrough_headers(resp))
        return await super().finish_response(request, resp, start_time)

    def log_exception(self, *args, **kwargs) -> None:
        # Draining the rest of a refused body meets the same broken gzip or the
        # client hanging up: the client's doing, answered already, no traceback.
        if isinstance(kwargs.get("exc_info"), web.RequestPayloadError | ConnectionError):
            log.info("unread request body dropped", extra={"error": type(kwargs["exc_info"]).__name__})
            return
        super().log_exception(*args, **kwargs)

    def handle_error(self, request, status: int = 500, exc=None, message=None) -> web.StreamResponse:
        if isinstance(exc, ConnectionError):
            log.debug("client left mid-request")
        elif status >= 500:
            log.error("error outside the handlers", exc_info=exc)
        else:
            # The parser's message quotes the request's bytes: neither logged nor answered.
            log.info("malformed request refused", extra={"status": status, "error": type(exc).__name__})
        if request.writer.output_size > 0:
            raise ConnectionError("the response had started; no error response can follow")
        return _closing(status, BAD_HTTP if status == 400 else None)
