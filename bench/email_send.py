"""Email throughput: N messages to a local SMTP server (aiosmtpd, started here,
a handler that only counts) through SmtpProvider.send_many, then the same N
through Apprise, one `Apprise().notify()` per message as Apprise is used.

    python bench/email_send.py -n 2000 --pool 4

Target: SmtpProvider at least 5x Apprise's messages/s. Both runs share the
machine with the server (its own thread), so both pay the same server cost.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from pathlib import Path

# Run by path, Python puts bench/ on sys.path, not the repository root the adapters are under.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import apprise
from aiosmtpd.controller import Controller

from channels.email import SmtpProvider
from channels.port import Outgoing, Sent
from models.citizen import Channel

TARGET = 5.0
SENDER = "Tổng đài Hành chính công <no-reply@tongdai.example.gov.vn>"
SUBJECT = "Hồ sơ {code}: đã được tiếp nhận"
TEXT = (
    "Kính gửi ông/bà,\nHồ sơ {code} (Đăng ký khai sinh) đã được tiếp nhận ngày 05/01/2026.\n"
    "Ngày hẹn trả kết quả: 12/01/2026.\nTrân trọng,\nTrung tâm Phục vụ hành chính công tỉnh"
)
HTML = (
    "<p>Kính gửi ông/bà,</p><p>Hồ sơ <b>{code}</b> (Đăng ký khai sinh) đã được tiếp nhận ngày 05/01/2026.</p>"
    "<p>Ngày hẹn trả kết quả: <b>12/01/2026</b>.</p><p>Trân trọng,<br>Trung tâm Phục vụ hành chính công tỉnh</p>"
)


class Counting:
    """Counts what arrives; runs on the server's own loop, one thread."""

    def __init__(self):
        self.messages = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 OK"


class CountingController(Controller):
    connections = 0

    def factory(self):
        self.connections += 1
        return super().factory()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def messages(n: int) -> list[Outgoing]:
    return [
        Outgoing(
            attempt_id=f"bench{i:06d}",
            channel=Channel.EMAIL,
            address=f"citizen{i}@example.vn",
            subject=SUBJECT.format(code=f"HS-{i:06d}"),
            text=TEXT.format(code=f"HS-{i:06d}"),
            html=HTML.format(code=f"HS-{i:06d}"),
        )
        for i in range(n)
    ]


async def run_provider(port: int, batch: list[Outgoing], pool: int) -> tuple[float, int]:
    provider = SmtpProvider(
        host="127.0.0.1",
        port=port,
        tls="none",
        pool_size=pool,
        sender=SENDER,
        message_id_domain="tongdai.example.gov.vn",
    )
    started = time.perf_counter()
    results = await provider.send_many(batch)
    elapsed = time.perf_counter() - started
    await provider.close()
    failures = [r for r in results if not isinstance(r, Sent)]
    if failures:
        raise SystemExit(f"SmtpProvider: {len(failures)} failures, first: {failures[0]!r}")
    return elapsed, provider.connections_opened


def run_apprise(port: int, batch: list[Outgoing]) -> float:
    started = time.perf_counter()
    for message in batch:
        # plain SMTP, no TLS, no login: the same server the provider used
        url = (
            f"mailto://127.0.0.1:{port}?mode=insecure&smtp=127.0.0.1"
            f"&from=no-reply@tongdai.example.gov.vn&to={message.address}&name=Tong%20dai&format=html"
        )
        notifier = apprise.Apprise()
        notifier.add(url)
        if not notifier.notify(body=message.html, title=message.subject):
            raise SystemExit(f"Apprise failed on {message.attempt_id}")
    return time.perf_counter() - started


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="messages per run (default %(default)s)")
    parser.add_argument("--pool", type=int, default=4, help="SmtpProvider pool size (default %(default)s)")
    args = parser.parse_args()

    handler = Counting()
    controller = CountingController(handler, hostname="127.0.0.1", port=free_port())
    await asyncio.to_thread(controller.start)
    batch = messages(args.n)
    try:
        base_connections = controller.connections
        provider_seconds, _ = await run_provider(controller.port, batch, args.pool)
        provider_received = handler.messages
        provider_connections = controller.connections - base_connections

        handler.messages, base_connections = 0, controller.connections
        # Apprise blocks; a worker thread keeps this loop free.
        apprise_seconds = await asyncio.to_thread(run_apprise, controller.port, batch)
        apprise_received = handler.messages
        apprise_connections = controller.connections - base_connections
    finally:
        await asyncio.to_thread(controller.stop)

    ok = provider_received == args.n and apprise_received == args.n
    provider_rate, apprise_rate = args.n / provider_seconds, args.n / apprise_seconds
    ratio = provider_rate / apprise_rate
    print(f"messages: {args.n} each (text + HTML, Vietnamese subject), server aiosmtpd on 127.0.0.1:{controller.port}")
    print(
        f"SmtpProvider.send_many (pool {args.pool}): {provider_seconds:7.2f} s  {provider_rate:8.1f} msg/s  "
        f"server received {provider_received}, connections {provider_connections}"
    )
    print(
        f"Apprise notify() per message:      {apprise_seconds:7.2f} s  {apprise_rate:8.1f} msg/s  "
        f"server received {apprise_received}, connections {apprise_connections}"
    )
    print(f"ratio: {ratio:.1f}x (target >= {TARGET:.0f}x): {'met' if ratio >= TARGET else 'NOT met'}")
    if not ok:
        print("ERROR: the server did not receive every message", file=sys.stderr)
    return 0 if ok and ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
