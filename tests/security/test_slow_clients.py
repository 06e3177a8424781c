"""Issue 10, item 7: a body sent one byte every 10 s held a connection for
120 s, and 1,100 such connections made /healthz fail. Against a real
`tongdai serve`: slow bodies and slow headers are cut off after their
timeout, one address cannot hold more than its share of connections, and
the service keeps answering everyone else (another loopback address,
127.0.0.2, stands for another client) meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp
import pytest

from tests.support.raw_http import json_error, parse
from tests.support.server import free_port, serve

CAP, BODY_TIMEOUT, IDLE_TIMEOUT = 20, 2.0, 3.0
OTHER_CLIENT = "127.0.0.2"


@pytest.fixture
async def server(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    proc = await serve(
        data_dir,
        port,
        max_connections_per_address=str(CAP),
        body_read_timeout_seconds=str(BODY_TIMEOUT),
        idle_timeout_seconds=str(IDLE_TIMEOUT),
        public_rate_limits="off",  # what is measured here is the connection level
    )
    yield port
    proc.terminate()
    await proc.wait()


class Slow:
    """A connection that sends `head` and then one byte every half second."""

    def __init__(self, port: int, head: bytes):
        self.port, self.head = port, head
        self.answer = b""
        self.closed_after: float | None = None

    async def run(self) -> None:
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(self.head)
        reading = asyncio.create_task(self._read(reader))
        try:
            while not reading.done():
                with contextlib.suppress(ConnectionError):
                    writer.write(b"x")
                await asyncio.wait([reading], timeout=0.5)
            self.closed_after = time.monotonic() - started
        finally:
            reading.cancel()
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        # Chunk by chunk: a server that closes with our bytes unread resets the
        # connection, and what had arrived before must not be lost with it.
        with contextlib.suppress(ConnectionResetError):
            while chunk := await reader.read(65536):
                self.answer += chunk


SLOW_BODY = (
    b"POST /api/v1/assistant/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n"
)
SLOW_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "


async def _healthz_elsewhere(port: int) -> float:
    connector = aiohttp.TCPConnector(local_addr=(OTHER_CLIENT, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.monotonic()
        async with http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as r:
            assert r.status == 200
        return time.monotonic() - started


async def test_slow_bodies_are_cut_off_and_the_service_keeps_answering(server):
    slow = [Slow(server, SLOW_BODY) for _ in range(CAP)]
    held = [asyncio.create_task(s.run()) for s in slow]
    await asyncio.sleep(0.5)
    assert await _healthz_elsewhere(server) < 1.0
    await asyncio.wait_for(asyncio.gather(*held), BODY_TIMEOUT + 5)
    for s in slow:
        assert s.closed_after is not None and s.closed_after < BODY_TIMEOUT + 3
        status, headers, body = parse(s.answer)
        assert status == 408 and json_error(body)["error"] == "request_timeout"


async def test_one_address_cannot_take_every_connection(server):
    slow = [Slow(server, SLOW_BODY) for _ in range(CAP * 3)]
    held = [asyncio.create_task(s.run()) for s in slow]
    await asyncio.sleep(1.0)
    # Past the cap, connections are closed at once, unanswered; the first CAP wait for their timeout.
    cut = [s for s in slow if s.closed_after is not None]
    assert len(cut) >= CAP * 2 - 2 and all(s.answer == b"" for s in cut)
    assert await _healthz_elsewhere(server) < 1.0
    await asyncio.wait_for(asyncio.gather(*held), BODY_TIMEOUT + 5)
    # Once they are gone the address is served again.
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, _, _ = parse(await asyncio.wait_for(reader.read(), 5))
    writer.close()
    assert status == 200


async def test_slow_headers_are_cut_off_at_the_idle_timeout(server):
    slow = [Slow(server, SLOW_HEADERS) for _ in range(5)]
    await asyncio.wait_for(asyncio.gather(*(s.run() for s in slow)), IDLE_TIMEOUT + 5)
    assert all(s.closed_after is not None and s.closed_after < IDLE_TIMEOUT + 2 for s in slow)
