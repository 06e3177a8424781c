"""The whole service over HTTP on a clock the test sets: the one-stop-shop's
key, and waiting until the bus and the sender have nothing left to do."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime

from aiohttp.test_utils import TestClient, TestServer

from hub.api.auth import ApiKeys
from hub.app import SERVICE, create_app
from hub.keys import BUS, STORE
from hub.settings import Settings
from models.timeutil import VN_TZ
from tests.support.clock import FakeClock

# A Wednesday mid-morning: no quiet hours, no holiday.
DAY = datetime(2026, 11, 25, 10, 0, tzinfo=VN_TZ)
# Issue 11's day-one application: a name and a phone, nothing else (no consent).
PHONE_ONLY = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-25T09:55:00+07:00",
    "due_at": "2099-11-25T17:00:00+07:00",
    "applicant": {"full_name": "Trần Thị Bình", "phone": "0913000901"},
}


@asynccontextmanager
async def served(tmp_path, at: datetime, **overrides):
    """(client, clock, auth headers) for a service whose clock reads `at`."""
    clock = FakeClock()
    clock.set(at)
    settings = Settings(
        data_dir=tmp_path / "data",
        bus_poll_seconds=0.05,
        bus_backoff_base_seconds=0.01,
        bus_backoff_max_seconds=0.05,
        **overrides,
    )
    async with TestClient(TestServer(await create_app(settings, clock=clock))) as client:
        key = await ApiKeys(client.app[STORE]).create("one-stop-shop")
        yield client, clock, {"Authorization": f"Bearer {key}"}


async def settle(client) -> None:
    """Until events are planned and what is due is sent (three rounds: a
    send can queue a fallback, a fallback a receipt)."""
    for _ in range(3):
        await client.app[BUS].wait_idle()
        await client.app[SERVICE].notifier.sender.wait_idle()


async def notifications(client, auth, **query) -> list[dict]:
    response = await client.get("/api/v1/notifications", params=query, headers=auth)
    assert response.status == 200
    return (await response.json())["notifications"]
