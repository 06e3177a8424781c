"""Pieces shared by bench/ingest.py and bench/lookup.py (not a script itself).

The benchmark scripts are run by path (``python bench/ingest.py``), so Python
puts this directory on sys.path and ``import common`` finds this file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import aiohttp

VN = timezone(timedelta(hours=7))


def use_uvloop() -> str:
    """Run the client on uvloop when it is installed; return the loop's name."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    uvloop.install()
    return "uvloop"


def add_server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="server base URL (default %(default)s)")
    parser.add_argument(
        "--key", default=os.environ.get("TONGDAI_BENCH_KEY"), help="API key for PUT/POST (default: $TONGDAI_BENCH_KEY)"
    )


def run_tag() -> str:
    """A tag that keeps one run's dossier codes apart from earlier runs'."""
    return format(time.time_ns() // 1_000_000, "x")


def iso_now() -> str:
    return datetime.now(VN).isoformat(timespec="seconds")


def dossier_body(index: int, phone: str) -> dict:
    # Within TONGDAI_NOTIFY_MAX_EVENT_AGE_HOURS (24): a day-old registration would be history, never notified.
    received = datetime.now(VN) - timedelta(hours=12)
    return {
        "procedure": "Cấp giấy phép xây dựng (benchmark)",
        "agency": "Sở Xây dựng",
        "received_at": received.isoformat(timespec="seconds"),
        "due_at": (received + timedelta(days=15)).isoformat(timespec="seconds"),
        "applicant": {"full_name": f"Người thử tải {index}", "phone": phone},
    }


async def put_dossiers(
    session: aiohttp.ClientSession, url: str, key: str, dossiers: list[tuple[str, str]], parallel: int = 32
) -> None:
    """Create (code, phone) dossiers; a setup failure stops the benchmark with a message."""
    headers = {"Authorization": f"Bearer {key}"}
    todo = iter(enumerate(dossiers))

    async def worker() -> None:
        for index, (code, phone) in todo:
            async with session.put(
                f"{url}/api/v1/dossiers/{code}", headers=headers, json=dossier_body(index, phone)
            ) as resp:
                if resp.status not in (200, 201):
                    text = (await resp.text())[:300]
                    raise SystemExit(f"setup: PUT {code} -> HTTP {resp.status}: {text}")

    try:
        await asyncio.gather(*(worker() for _ in range(min(parallel, len(dossiers)) or 1)))
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise SystemExit(f"setup: cannot create dossiers at {url}: {type(exc).__name__}: {exc}") from None


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """Nearest-rank p50/p90/p99 and the maximum, in milliseconds."""
    if not samples_ms:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(samples_ms)

    def rank(q: int) -> float:
        return ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)]

    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1]}


class Errors:
    """Counts failed requests by HTTP status (or exception name) and keeps one sample each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, str] = {}

    def add(self, kind: str, detail: str = "") -> None:
        self.counts[kind] += 1
        self.samples.setdefault(kind, detail[:200])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def report(self) -> None:
        print(f"errors             {self.total}")
        for kind, count in sorted(self.counts.items()):
            print(f"  {kind:<16} {count:>7}   e.g. {self.samples[kind]}")


def print_latency(label: str, stats: dict[str, float]) -> None:
    print(f"{label:<18} " + "  ".join(f"{name} {value:7.2f}" for name, value in stats.items()) + "   (ms)")


def print_summary(summary: dict) -> None:
    """The last line of output: one JSON object, easy to grep out of CI logs."""
    print(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))


class KeepAliveClient:
    """A bare HTTP/1.1 client over a pool of keep-alive connections.

    aiohttp's client costs more CPU per request than the server under test,
    and on two cores that cost lands in the measured latency; this one only
    writes a request and reads status, headers and Content-Length bytes."""

    def __init__(self, url: str, max_connections: int, headers: dict[str, str] | None = None):
        parts = urlsplit(url)
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.host, self.port = parts.hostname, parts.port or 80
        self.max_connections = max_connections
        self.opened = 0
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.released = asyncio.Condition()

    async def _acquire(self):
        while True:
            if self.idle:
                return self.idle.pop()
            if self.opened < self.max_connections:
                self.opened += 1
                try:
                    return await asyncio.open_connection(self.host, self.port)
                except OSError:
                    await self._give_back(None)
                    raise
            async with self.released:
                await self.released.wait()

    async def _give_back(self, conn) -> None:
        """Return a healthy connection to the pool, or free the slot of a broken one,
        so that waiters never hang on a connection that failed."""
        if conn is None:
            self.opened -= 1
        else:
            self.idle.append(conn)
        async with self.released:
            self.released.notify()

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.request("GET", path)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        reader, writer = await self._acquire()
        try:
            length = f"Content-Length: {len(body)}\r\n" if body else ""
            writer.write(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}{length}\r\n".encode() + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            answer = await reader.readexactly(length)
        except BaseException:
            writer.close()
            await self._give_back(None)
            raise
        await self._give_back((reader, writer))
        return status, answer

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
