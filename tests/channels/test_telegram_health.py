"""Issue 11 item 10: when getMe failed at start, Telegram polling ended for
good ("Polling stopped", nothing else) while /readyz said ready. Through the
whole service in polling mode, the telegram-test-api emulator behind a
FaultyPeer that goes down just as the bot asks getMe: the channel shows as
degraded in /readyz and /metrics, with the cause logged without the token;
once the peer is back, polling resumes and a citizen's message is handled."""

from __future__ import annotations

import logging
import re

import aiohttp
import pytest
from aiogram.methods import DeleteWebhook, GetMe
from aiogram.types import User
from aiohttp.test_utils import TestClient, TestServer

from hub.app import SERVICE, create_app
from hub.settings import Settings
from tests.support.faults import FaultyPeer, telegram_429
from tests.support.telegram_peer import emulator, user_reads, user_writes  # noqa: F401  emulator: the fixture
from tests.support.waiting import eventually

pytestmark = pytest.mark.timeout(90)

BOT_TOKEN = "5559000:HEALTH-bot-secret-Zq7"
SECRET_PART = BOT_TOKEN.partition(":")[2]
CITIZEN = {"id": 5559001, "is_bot": False, "first_name": "Hà"}
UP_LINE = 'tongdai_channel_up{channel="telegram",provider="telegram"}'


class GetMeThroughPeer:
    """The emulator's getMe lacks is_bot, which aiogram requires: answer it
    here, but only when the peer answers a harmless call (deleteWebhook) in
    its place, so that getMe fails exactly when Telegram is unreachable. The
    first getMe takes the peer down first: getMe fails at start."""

    def __init__(self, peer: FaultyPeer):
        self.peer = peer
        self.get_me_calls = 0

    async def __call__(self, make_request, bot, method):
        if not isinstance(method, GetMe):
            return await make_request(bot, method)
        self.get_me_calls += 1
        if self.get_me_calls == 1:
            await self.peer.down()
        await make_request(bot, DeleteWebhook())
        return User(id=bot.id, is_bot=True, first_name="Tổng đài", username="tongdai_test_bot")


@pytest.fixture
async def service(tmp_path, emulator):  # noqa: F811  the fixture imported above
    peer = FaultyPeer(emulator, re.compile(rb"(?!)"), telegram_429)
    await peer.start()
    settings = Settings(
        data_dir=tmp_path,
        telegram_bot_token=BOT_TOKEN,
        telegram_api_url=peer.url,
        telegram_mode="polling",
        telegram_bot_username="tongdai_test_bot",
        bus_poll_seconds=0.05,
    )
    app = await create_app(settings)
    shim = GetMeThroughPeer(peer)
    for part in app[SERVICE].adapters.services:
        if hasattr(part, "bot"):
            part.bot.session.middleware(shim)
    try:
        async with TestClient(TestServer(app)) as client, aiohttp.ClientSession() as http:
            yield client, http, emulator, peer, shim
    finally:
        await peer.close()


async def readyz(client) -> dict:
    response = await client.get("/readyz")
    assert response.status == 200  # a channel down degrades the service; it stays ready
    body = await response.json()
    assert body["status"] == "ok"
    return body


async def channel_up(client) -> str | None:
    text = await (await client.get("/metrics")).text()
    found = re.search(re.escape(UP_LINE) + r" (\S+)", text)
    return found.group(1) if found else None


async def test_polling_survives_getme_failing_at_start_and_says_so(service, caplog):
    caplog.set_level(logging.INFO)
    client, http, emulator, peer, shim = service  # noqa: F811

    async def degraded() -> bool:
        return bool((await readyz(client))["degraded"])

    await eventually(degraded, within=20)
    [entry] = (await readyz(client))["degraded"]
    assert (entry["channel"], entry["provider"]) == ("telegram", "telegram")
    assert "GetMe" in entry["reason"] and SECRET_PART not in entry["reason"]
    assert await channel_up(client) == "0.0"
    logged = [getattr(r, "error", "") for r in caplog.records if r.getMessage() == "telegram call failed, retrying"]
    assert logged and all("TelegramNetworkError" in e for e in logged)

    await peer.up()

    async def recovered() -> bool:
        return (await readyz(client))["degraded"] == []

    await eventually(recovered, within=30)
    assert await channel_up(client) == "1.0"
    assert shim.get_me_calls >= 2

    # Polling runs again: a citizen's message is taken and answered.
    await user_writes(http, emulator, BOT_TOKEN, "/huy", user=CITIZEN)
    answers: list[str] = []

    async def answered() -> bool:
        answers.extend(m["text"] for m in await user_reads(http, emulator, BOT_TOKEN, CITIZEN["id"]))
        return bool(answers)

    await eventually(answered, within=30)
    assert "Đã dừng gửi thông báo" in answers[0]

    # Telegram gone while polling: aiogram retries getUpdates by itself;
    # the channel shows degraded meanwhile and up again after.
    await peer.down()

    async def polling_degraded() -> bool:
        return any("GetUpdates" in d["reason"] for d in (await readyz(client))["degraded"])

    await eventually(polling_degraded, within=20)
    assert any(r.name == "aiogram.dispatcher" and "Failed to fetch updates" in r.getMessage() for r in caplog.records)
    await peer.up()
    await eventually(recovered, within=30)

    # Nothing logged the token, ours or aiogram's. (The FaultyPeer's own
    # access log is Telegram's side of the wire: the Bot API puts the token
    # in the path.)
    for record in caplog.records:
        if record.name == "aiohttp.access" and "/bot" in record.getMessage():
            continue
        assert SECRET_PART not in record.getMessage()
        assert SECRET_PART not in str(record.__dict__)


def test_aiogram_logs_are_redacted(caplog):
    # A connection dropped mid-request makes aiohttp name the URL, and the Bot
    # API's URL carries the token: "Can not write request body for http://…/bot<token>/getUpdates".
    from channels.telegram import REDACT

    REDACT.add(BOT_TOKEN)
    caplog.set_level(logging.INFO)
    url = f"http://127.0.0.1:9/bot{BOT_TOKEN}/getUpdates"
    logging.getLogger("aiogram.dispatcher").error("Failed to fetch updates - %s: %s", "TelegramNetworkError", url)
    try:
        raise RuntimeError(url)
    except RuntimeError:
        logging.getLogger("aiogram.event").exception("Cause exception while process update")
    assert len(caplog.records) == 2
    for record in caplog.records:
        assert SECRET_PART not in record.getMessage() and SECRET_PART not in (record.exc_text or "")
    assert caplog.records[0].getMessage().endswith("/bot***/getUpdates")


async def test_a_webhook_without_its_secret_is_degraded(tmp_path):
    settings = Settings(data_dir=tmp_path, telegram_bot_token=BOT_TOKEN, telegram_mode="webhook")
    app = await create_app(settings)
    async with TestClient(TestServer(app)) as client:
        [entry] = (await readyz(client))["degraded"]
        assert entry["channel"] == "telegram" and "TONGDAI_TELEGRAM_WEBHOOK_SECRET" in entry["reason"]
        assert await channel_up(client) == "0.0"
