"""Issue 10, item 5: a receipt's QR deep link (/start <token>) could be used
by any chat, and each use moved the citizen's notices there: whoever
photographed the receipt took the notices over. Through the whole service
(create_app with Telegram in webhook mode, the Bot API emulator for replies):
the first chat binds, another chat is refused, the same chat again is fine."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.deeplink import make_token
from channels.telegram import SECRET_HEADER
from hub.app import SERVICE, create_app
from hub.keys import BUS, SECRET, STORE
from hub.settings import Settings
from models.citizen import Channel
from tests.support.telegram_peer import AnswerGetMe, emulator, user_reads  # noqa: F401  emulator: the fixture
from tests.support.waiting import eventually

pytestmark = pytest.mark.timeout(90)

CODE = "BD-261130-0005"
KEY = "tdk_deeplink_test_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
HOOK_SECRET = "deeplink-hook-secret"
CITIZEN = {"id": 5551001, "is_bot": False, "first_name": "Hồng"}
THIEF = {"id": 5551999, "is_bot": False, "first_name": "X"}
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Phú Lợi",
    "received_at": "2026-11-28T08:00:00+07:00",
    "due_at": "2026-12-05T17:00:00+07:00",
    "applicant": {"full_name": "Lê Thị Hồng", "phone": "0912345005"},
}


@pytest.fixture
async def service(tmp_path, emulator):  # noqa: F811  the fixture imported above
    bot_token = "5551000:DEEPLINK-token"
    settings = Settings(
        data_dir=tmp_path,
        public_url="https://tongdai.example.gov.vn",
        telegram_bot_token=bot_token,
        telegram_api_url=emulator,
        telegram_mode="webhook",
        telegram_webhook_secret=HOOK_SECRET,
        telegram_bot_username="tongdai_test_bot",
        quiet_hours="00:00-00:00",  # notices go out whatever the hour the test runs
        notify_max_event_age_hours=0,  # the events' dates are fixed
        bus_poll_seconds=0.05,
    )
    app = await create_app(settings)
    for part in app[SERVICE].adapters.services:
        if hasattr(part, "bot"):
            part.bot.session.middleware(AnswerGetMe())  # the emulator's getMe quirk
    async with TestClient(TestServer(app)) as client, aiohttp.ClientSession() as http:
        await client.app[STORE].add_api_key("deeplink", hashlib.sha256(KEY.encode()).hexdigest())
        yield client, http, emulator, bot_token


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_updates = iter(range(1, 1_000_000))


async def start_from(client, user: dict, token: str) -> None:
    n = next(_updates)
    update = {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "text": f"/start {token}",
            "from": user,
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
        },
    }
    r = await client.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: HOOK_SECRET})
    assert r.status == 200


class Chats:
    """What the bot sent to each user's chat, read from the emulator."""

    def __init__(self, http, peer: str, bot_token: str):
        self.http, self.peer, self.bot_token = http, peer, bot_token
        self.seen: dict[int, list[str]] = {}

    async def read(self, user: dict) -> list[str]:
        new = [m["text"] for m in await user_reads(self.http, self.peer, self.bot_token, user["id"])]
        self.seen.setdefault(user["id"], []).extend(new)
        return new

    async def await_text(self, user: dict, fragment: str) -> str:
        """The next message to `user` that contains `fragment` (others are kept in `seen`)."""
        found: list[str] = []

        async def arrived() -> bool:
            found.extend(text for text in await self.read(user) if fragment in text)
            return bool(found)

        await eventually(arrived, within=20)
        return found[0]


async def settle(client) -> None:
    for _ in range(3):
        await client.app[BUS].wait_idle()
        await client.app[SERVICE].notifier.sender.wait_idle()


async def receipt_token(client, code: str = CODE) -> str:
    assert (await client.put(f"/api/v1/dossiers/{code}", json=DOSSIER, headers=AUTH)).status == 201
    r = await client.get(f"/api/v1/dossiers/{code}/telegram-link", headers=AUTH)
    assert r.status == 200
    [token] = parse_qs(urlsplit((await r.json())["url"]).query)["start"]
    return token


async def applicant(client):
    store = client.app[STORE]
    dossier = await store.get_dossier(CODE)
    return await store.get_citizen(dossier.applicant_id)


async def test_a_receipt_link_binds_the_first_chat_and_refuses_another(service):
    client, http, peer, bot_token = service
    token = await receipt_token(client)

    await start_from(client, CITIZEN, token)
    chats = Chats(http, peer, bot_token)
    assert CODE in await chats.await_text(CITIZEN, "Đã liên kết")
    assert (await applicant(client)).telegram_chat_id == CITIZEN["id"]

    # Someone photographed the receipt: their chat is refused, the citizen keeps the notices.
    await start_from(client, THIEF, token)
    await chats.await_text(THIEF, "đã được dùng")
    citizen = await applicant(client)
    assert citizen.telegram_chat_id == CITIZEN["id"] and citizen.consent_for(Channel.TELEGRAM)
    thief = await client.app[STORE].find_contact(Channel.TELEGRAM, THIEF["id"])
    assert thief != citizen.id

    # The citizen opening the same link again is no problem.
    await start_from(client, CITIZEN, token)
    await chats.await_text(CITIZEN, "Đã liên kết")
    assert (await applicant(client)).telegram_chat_id == CITIZEN["id"]

    # The dossier moves: the notice reaches the citizen's chat, never the other one.
    event = {"event_id": "dl-1", "status": "received", "at": "2026-11-28T09:00:00+07:00", "actor": "Một cửa"}
    assert (await client.post(f"/api/v1/dossiers/{CODE}/events", json=event, headers=AUTH)).status == 201
    await chats.await_text(CITIZEN, "tiếp nhận")
    await settle(client)
    assert not [text for text in await chats.read(THIEF) if CODE in text or "Hồng" in text]
    assert all(CODE not in text for text in chats.seen[THIEF["id"]])


async def test_another_spelling_of_the_same_token_is_not_another_link(service):
    client, http, peer, bot_token = service
    # Base64's last character carries spare bits unless the token's length is
    # a multiple of 4; the code's length decides it (three characters, two
    # bytes). Receipts now carry a 24-character link id (issue 11 item 8),
    # which has none; packed tokens printed before still do.
    await receipt_token(client)
    applicant_id = (await applicant(client)).id
    expires = datetime.now(UTC) + timedelta(days=30)
    tokens = [make_token(client.app[SECRET], applicant_id, code, expires) for code in (CODE, CODE + "-A1")]
    [token, *_] = [t for t in tokens if len(t) % 4]
    chats = Chats(http, peer, bot_token)
    await start_from(client, CITIZEN, token)
    await chats.await_text(CITIZEN, "Đã liên kết")
    # Flip the spare bits: the same bytes under a new string.
    data = unb64(token)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variants = [token[:-1] + c for c in alphabet if c != token[-1] and unb64(token[:-1] + c) == data]
    assert variants
    for variant in variants[:3]:
        await start_from(client, THIEF, variant)
        await chats.await_text(THIEF, "không hợp lệ")
    assert all("Đã liên kết" not in text for text in chats.seen[THIEF["id"]])
    assert (await applicant(client)).telegram_chat_id == CITIZEN["id"]
