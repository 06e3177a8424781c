"""Fault injection: every provider down for 60 s during a burst of 2,000
notices, against a real `tongdai serve`. SMTP is an aiosmtpd sink that is
stopped and started again; Twilio is Prism and Telegram the Bot API emulator,
each behind a switch (tests/support/faults.py) whose port is closed for the
outage, which is what a stopped peer is to the service. When they return,
Prism and the emulator answer 429 with a Retry-After for a few seconds.

Proved: every notice reaches its peer once the peers are back, none twice,
no retry comes before the Retry-After it was given, and the retry queue shows
in /metrics while the peers are down and drains after. The sender's retry
budget is set so that its guaranteed span (equal jitter: half of each step,
2+4+8+10×5 = 64 s) outlasts the outage, as the defaults' (225 s) do."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter

import aiohttp
import pytest
from aiosmtpd.controller import Controller

from tests.support.faults import FaultyPeer, telegram_429, twilio_429
from tests.support.peers_prism import prism  # noqa: F401
from tests.support.report import say
from tests.support.server import cli, free_port, serve
from tests.support.smtp import Sink, parse
from tests.support.telegram_peer import emulator  # noqa: F401
from tests.support.waiting import eventually

pytestmark = pytest.mark.timeout(420)

NOTICES = 2000
OUTAGE = 60.0
RETRY_AFTER = 25  # longer than any backoff step (20 s): a wait this long is the Retry-After's doing
THROTTLE = 4.0
SID = "AC" + "0" * 32
MARKER = re.compile(rb"FI-261130-\d{4}")
BACKLOG = re.compile(r'^tongdai_notify_backlog\{status="(\w+)"\} ([0-9.e+]+)$', re.M)
CHANNELS = ("email", "sms", "telegram")
PENDING = ("queued", "sending", "temporary_failure", "deferred")


def dossier(i: int) -> dict:
    channel = CHANNELS[i % 3]
    applicant: dict = {"full_name": f"Công dân {i}", "preferred_channels": [channel]}
    if channel == "email":
        applicant["email"] = f"cd{i}@example.vn"
    elif channel == "sms":
        applicant["phone"] = f"09{i:08d}"
    else:
        applicant["telegram_chat_id"] = 7_000_000 + i
    applicant["consents"] = [{"channel": channel, "granted": True}]
    return {
        "procedure": "Đăng ký khai sinh",
        "agency": "UBND phường Phú Lợi",
        "received_at": "2026-11-30T08:00:00+07:00",
        "due_at": "2026-12-05T17:00:00+07:00",
        "applicant": applicant,
    }


class Smtp:
    """The aiosmtpd sink, stopped and started again on its port."""

    def __init__(self):
        self.sink = Sink()
        self.port = free_port()
        self.controller: Controller | None = None

    async def up(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self.controller.start)

    async def down(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            await asyncio.to_thread(controller.stop)

    def delivered(self) -> list[str]:
        found = []
        for raw in self.sink.messages:
            match = MARKER.search(str(parse(raw)["Subject"]).encode())
            found.append(match.group(0).decode() if match else "?")
        return found


async def backlog(http, base: str) -> dict[str, float]:
    async with http.get(base + "/metrics") as response:
        return {status: float(n) for status, n in BACKLOG.findall(await response.text())}


async def test_providers_down_for_a_minute_lose_and_repeat_nothing(tmp_path, request, prism, emulator):  # noqa: F811
    smtp = Smtp()
    twilio = FaultyPeer(prism, MARKER, twilio_429)
    telegram = FaultyPeer(emulator, MARKER, telegram_429)
    await smtp.up()
    await twilio.start()
    await telegram.start()
    key = await cli(tmp_path, "apikey", "create", "--name", "fault")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = await serve(
        tmp_path,
        port,
        ready_within=60,  # a busy CI machine: adapters and the assistant load first
        public_url="https://tongdai.example.gov.vn",
        quiet_hours="00:00-00:00",
        notify_max_event_age_hours="0",  # the dossiers' dates are fixed
        bus_poll_seconds="0.05",
        # Commits without an fsync each: the burst must fit in the outage on a busy
        # machine; what is tested is the sender, not durability across a crash.
        sqlite_synchronous="NORMAL",
        smtp_host="127.0.0.1",
        smtp_port=str(smtp.port),
        smtp_tls="none",
        smtp_timeout_seconds="5",
        twilio_account_sid=SID,
        twilio_auth_token="fault-token",  # noqa: S106 - Prism checks no credentials
        twilio_from="+15005550006",
        twilio_base_url=twilio.url,
        telegram_bot_token="5550000:FAULT-token",
        telegram_api_url=telegram.url,
        notify_max_attempts="9",
        notify_backoff_base_seconds="4",
        notify_backoff_max_seconds="20",
    )
    peers = {"email": smtp, "sms": twilio, "telegram": telegram}
    try:
        async with aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bearer {key}"}

            # Everything down, then the burst.
            down_at = time.monotonic()
            await asyncio.gather(smtp.down(), twilio.down(), telegram.down())
            gate = asyncio.Semaphore(16)

            async def put(i: int) -> int:
                async with (
                    gate,
                    http.put(f"{base}/api/v1/dossiers/FI-261130-{i:04d}", json=dossier(i), headers=auth) as r,
                ):
                    return r.status

            statuses = Counter(await asyncio.gather(*(put(i) for i in range(NOTICES))))
            burst = time.monotonic() - down_at
            assert statuses == {201: NOTICES}, statuses
            assert burst < OUTAGE - 5, f"the burst took {burst:.0f} s: the outage would not cover it"

            # While down: the retry queue shows in /metrics.
            queued: dict[str, float] = {}
            while time.monotonic() - down_at < OUTAGE:
                seen = await backlog(http, base)
                if seen.get("temporary_failure", 0) > queued.get("temporary_failure", 0):
                    queued = seen
                await asyncio.sleep(2)
            assert queued.get("temporary_failure", 0) > 0, queued
            assert not any(p.delivered() for p in (twilio, telegram)) and not smtp.sink.messages

            # Back, Twilio and Telegram saying "slow down" for a few seconds first.
            returned_at = time.monotonic()
            await smtp.up()
            await twilio.up(throttle_for=THROTTLE, retry_after=RETRY_AFTER)
            await telegram.up(throttle_for=THROTTLE, retry_after=RETRY_AFTER)

            async def settled() -> bool:
                if sum(len(set(p.delivered())) for p in peers.values()) >= NOTICES:
                    return True
                # Or nothing left to try: what is missing now is lost.
                waiting = await backlog(http, base)
                return time.monotonic() - returned_at > 5 and not any(waiting.get(s, 0) for s in PENDING)

            await eventually(settled, within=150, interval=0.5)
            drained = time.monotonic() - returned_at
            await asyncio.sleep(3)  # a duplicate would come now
            final = await backlog(http, base)
    finally:
        server.terminate()
        await server.wait()
        await asyncio.gather(smtp.down(), twilio.close(), telegram.close())

    expected = {ch: {f"FI-261130-{i:04d}" for i in range(NOTICES) if CHANNELS[i % 3] == ch} for ch in CHANNELS}
    figures = {}
    for channel, peer in peers.items():
        got = Counter(peer.delivered())
        lost = expected[channel] - set(got)
        duplicated = {m: n for m, n in got.items() if n > 1}
        figures[channel] = (len(set(got) & expected[channel]), len(lost), sum(n - 1 for n in duplicated.values()))
        assert set(got) <= expected[channel]
    # (delivered, lost, duplicated) by channel, all of them in the message.
    assert all(lost == duplicated == 0 for _, lost, duplicated in figures.values()), figures

    # Retry-After honoured: after a 429, the same notice came back no sooner.
    throttled, shortest = 0, float("inf")
    for peer in (twilio, telegram):
        by_marker: dict[str, list] = {}
        for call in peer.calls:
            if call.marker:
                by_marker.setdefault(call.marker, []).append(call)
        for calls in by_marker.values():
            for refused, following in zip(calls, calls[1:], strict=False):
                if refused.status == 429:
                    throttled += 1
                    shortest = min(shortest, following.at - refused.at)
    assert throttled > 0, "no 429 was answered: the Retry-After check proved nothing"
    assert shortest >= RETRY_AFTER - 0.05, f"a retry came {shortest:.2f} s after a Retry-After of {RETRY_AFTER} s"
    assert final.get("temporary_failure", 0) == 0 and final.get("queued", 0) == 0, final

    line = (
        f"fault injection: {NOTICES} notices in a {burst:.1f} s burst during a {OUTAGE:.0f} s outage; "
        f"retry queue at its peak {queued}; all delivered {drained:.1f} s after the peers returned; "
        f"(delivered, lost, duplicated) by channel {figures}; {throttled} answers of 429, "
        f"the shortest wait after one {shortest:.2f} s (Retry-After {RETRY_AFTER} s)"
    )
    say(request.config, line)
