"""Issue 11 item 9 end to end: the whole service with its Telegram adapter
against the Bot API emulator. The one-stop shop prints the receipt's deep link
(GET /api/v1/dossiers/{code}/telegram-link); the applicant opens it, then asks
in her own words where her dossier is and is answered without a code; her
sister, writing from another chat, is asked for the code."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import SERVICE, create_app
from hub.keys import STORE
from hub.settings import Settings
from tests.support.telegram_peer import AnswerGetMe, emulator, read_until, user_writes  # noqa: F401

pytestmark = pytest.mark.timeout(120)

CODE, OTHER = "BD-261128-0042", "BD-261129-0043"
KEY = "tdk_item9_test_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
HONG = {"id": 5559001, "is_bot": False, "first_name": "Hồng"}
SISTER = {"id": 5559002, "is_bot": False, "first_name": "Lan"}
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Phú Lợi",
    "received_at": "2026-11-28T08:00:00+07:00",
    "due_at": "2099-12-05T17:00:00+07:00",
    # No chat id: only the deep link ties a chat to her.
    "applicant": {"full_name": "Lê Thị Hồng", "id_number": "079190001234", "phone": "0912345042"},
}


@pytest.fixture
async def service(tmp_path, emulator):  # noqa: F811
    bot_token = f"{HONG['id'] + 7}:ITEM9-token"
    settings = Settings(
        data_dir=tmp_path,
        bus_poll_seconds=0.05,
        telegram_bot_token=bot_token,
        telegram_bot_username="TongDaiTestBot",
        telegram_api_url=emulator,
        telegram_mode="polling",
    )
    app = await create_app(settings)
    for adapter in app[SERVICE].adapters.services:
        if hasattr(adapter, "bot"):
            adapter.bot.session.middleware(AnswerGetMe())  # the emulator's getMe quirk
    async with TestClient(TestServer(app)) as client:
        await client.app[STORE].add_api_key("item9", hashlib.sha256(KEY.encode()).hexdigest())
        await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)
        yield client, bot_token, emulator


async def test_a_chat_linked_by_the_receipt_is_answered_from_her_dossiers(service):
    client, bot_token, emulator_url = service  # noqa: F811
    for code, procedure in ((CODE, "Đăng ký khai sinh"), (OTHER, "Đăng ký thường trú")):
        body = {**DOSSIER, "procedure": procedure}
        assert (await client.put(f"/api/v1/dossiers/{code}", json=body, headers=AUTH)).status == 201
    link = await (await client.get(f"/api/v1/dossiers/{CODE}/telegram-link", headers=AUTH)).json()
    start = parse_qs(urlparse(link["url"]).query)["start"][0]

    async with aiohttp.ClientSession() as http:

        async def exchange(user: dict, text: str) -> dict:
            await user_writes(http, emulator_url, bot_token, text, user=user)
            [reply] = await read_until(http, emulator_url, bot_token, user["id"], 1)
            return reply

        linked = await exchange(HONG, f"/start {start}")
        assert CODE in linked["text"]
        which = await exchange(HONG, "hồ sơ của tôi đến đâu rồi")
        assert which["text"].startswith("Ông/Bà có 2 hồ sơ:")
        assert f"- {CODE} (Đăng ký khai sinh)" in which["text"] and f"- {OTHER} (Đăng ký thường trú)" in which["text"]
        assert "0912345042" not in which["text"] and "Lê Thị Hồng" not in which["text"]
        typed = await exchange(HONG, OTHER)
        assert typed["text"].startswith(f"Hồ sơ {OTHER} (Đăng ký thường trú): Mới đăng ký")

        stranger = await exchange(SISTER, "hồ sơ của tôi đến đâu rồi")
        assert "mã hồ sơ" in stranger["text"] and CODE not in stranger["text"]
