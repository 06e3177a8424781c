"""Issue 11 item 8: a receipt's Telegram link failed (422) for a
national-format code: the packed /start token came to 67 characters, over
Telegram's 64. Through the whole service in polling mode against the
telegram-test-api emulator: the one-stop-shop asks for the link, the citizen
opens it (/start <token> written to the emulator), the chat is linked; a
packed token printed before the change still links."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.deeplink import make_token
from hub.app import SERVICE, create_app
from hub.keys import SECRET, STORE
from hub.settings import Settings
from models.citizen import Channel
from models.timeutil import utcnow
from tests.support.telegram_peer import AnswerGetMe, emulator, user_reads, user_writes  # noqa: F401  emulator: the fixture
from tests.support.waiting import eventually

pytestmark = pytest.mark.timeout(90)

KEY = "tdk_link_codes_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
NATIONAL = "000.00.21.H12-261130-0505"
FREE_FORM = "MC2026.KHAISINH.PHUONG-PHU-LOI.000000000000123456789"
CITIZEN = {"id": 5558001, "is_bot": False, "first_name": "Mai"}
OTHER = {"id": 5558002, "is_bot": False, "first_name": "Lan"}


def dossier(phone: str) -> dict:
    return {
        "procedure": "Đăng ký khai sinh",
        "agency": "UBND phường Phú Lợi",
        "received_at": "2026-11-28T08:00:00+07:00",
        "due_at": "2026-12-05T17:00:00+07:00",
        "applicant": {"full_name": "Trần Thị Mai", "phone": phone},
    }


@pytest.fixture
async def service(tmp_path, emulator):  # noqa: F811  the fixture imported above
    bot_token = "5558000:LINKCODES-token"
    settings = Settings(
        data_dir=tmp_path,
        public_url="https://tongdai.example.gov.vn",
        telegram_bot_token=bot_token,
        telegram_api_url=emulator,
        telegram_mode="polling",
        telegram_bot_username="tongdai_test_bot",
        bus_poll_seconds=0.05,
    )
    app = await create_app(settings)
    for part in app[SERVICE].adapters.services:
        if hasattr(part, "bot"):
            part.bot.session.middleware(AnswerGetMe())  # the emulator's getMe quirk
    async with TestClient(TestServer(app)) as client, aiohttp.ClientSession() as http:
        await client.app[STORE].add_api_key("links", hashlib.sha256(KEY.encode()).hexdigest())
        yield client, http, emulator, bot_token


async def link_for(client, code: str, phone: str) -> str:
    assert (await client.put(f"/api/v1/dossiers/{code}", json=dossier(phone), headers=AUTH)).status in (200, 201)
    r = await client.get(f"/api/v1/dossiers/{code}/telegram-link", headers=AUTH)
    body = await r.json()
    assert r.status == 200, body
    [token] = parse_qs(urlsplit(body["url"]).query)["start"]
    return token


async def opens(http, peer: str, bot_token: str, user: dict, token: str) -> str:
    """The user sends /start <token> to the bot; the bot's answer."""
    await user_writes(http, peer, bot_token, f"/start {token}", user=user)
    seen: list[str] = []

    async def answered() -> bool:
        seen.extend(m["text"] for m in await user_reads(http, peer, bot_token, user["id"]))
        return bool(seen)

    await eventually(answered, within=20)
    return seen[0]


async def linked_chat(client, code: str) -> int | None:
    store = client.app[STORE]
    citizen = await store.get_citizen((await store.get_dossier(code)).applicant_id)
    return citizen.telegram_chat_id


async def test_a_national_format_code_gets_a_link_that_links_the_chat(service):
    client, http, peer, bot_token = service
    token = await link_for(client, NATIONAL, "0912345801")
    assert len(token) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    # Asked again (a reprinted receipt), the link is the same one.
    assert await link_for(client, NATIONAL, "0912345801") == token

    answer = await opens(http, peer, bot_token, CITIZEN, token)
    assert "Đã liên kết" in answer and NATIONAL in answer
    assert await linked_chat(client, NATIONAL) == CITIZEN["id"]
    citizen = await client.app[STORE].get_citizen((await client.app[STORE].get_dossier(NATIONAL)).applicant_id)
    assert citizen.consent_for(Channel.TELEGRAM)

    # Still a bearer credential that binds once.
    assert "đã được dùng" in await opens(http, peer, bot_token, OTHER, token)
    assert await linked_chat(client, NATIONAL) == CITIZEN["id"]


async def test_any_code_the_api_accepts_gets_a_working_link(service):
    client, http, peer, bot_token = service
    token = await link_for(client, FREE_FORM, "0912345802")
    assert len(token) <= 64
    assert "Đã liên kết" in await opens(http, peer, bot_token, CITIZEN, token)
    assert await linked_chat(client, FREE_FORM) == CITIZEN["id"]


async def test_a_link_that_is_not_one_of_ours_links_nothing(service):
    client, http, peer, bot_token = service
    await link_for(client, NATIONAL, "0912345803")
    assert "không hợp lệ" in await opens(http, peer, bot_token, CITIZEN, "A" * 24)
    assert await linked_chat(client, NATIONAL) is None


async def test_a_packed_token_printed_before_still_links(service):
    client, http, peer, bot_token = service
    code = "BD-261130-0505"
    await link_for(client, code, "0912345804")
    store = client.app[STORE]
    applicant = (await store.get_dossier(code)).applicant_id
    old = make_token(client.app[SECRET], applicant, code, utcnow() + timedelta(days=30))
    assert "Đã liên kết" in await opens(http, peer, bot_token, CITIZEN, old)
    assert await linked_chat(client, code) == CITIZEN["id"]
