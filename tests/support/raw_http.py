"""HTTP spoken by hand over a socket, for requests aiohttp's client refuses
to send (bytes that are not UTF-8, broken framing, a body cut short)."""

from __future__ import annotations

import asyncio

import orjson


async def exchange(port: int, data: bytes, *, host: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    """Send `data` (a whole request, best with Connection: close) and read the
    answer to the end: status, headers (lower-cased names), body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(10):
            answer = await reader.read()
    finally:
        writer.close()
    return parse(answer)


def parse(answer: bytes) -> tuple[int, dict, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def request(method: str, path: str, headers: list[tuple[str, bytes | str]] = (), body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    for name, value in headers:
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))
    if body:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def json_error(body: bytes) -> dict:
    """The API's error shape, or an AssertionError saying what came instead."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise AssertionError(f"not JSON: {body[:200]!r}") from None
    assert isinstance(parsed, dict) and {"error", "message"} <= set(parsed), parsed
    return parsed
