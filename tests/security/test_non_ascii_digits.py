"""Issue 10, item 3: non-ASCII digits. `verify=١٢٢٢` (Arabic-Indic) passed
`str.isdigit()`, so the API took it for four digits: 500 for an existing
code once, then a 404 counted as a guess; a phone written in them was stored;
on Telegram such an update once failed with 503 (redelivered forever).
Digits, phone numbers and codes are ASCII (full-width ones are read as
ASCII); anything else is a 422 in the API and an ordinary reply on chat."""

from __future__ import annotations

import asyncio
import itertools

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.telegram import SECRET_HEADER
from hub.api.auth import ApiKeys
from hub.app import SERVICE, create_app
from hub.keys import LOOKUP_GUARD, STORE
from hub.settings import Settings
from models.phone import normalize_phone
from tests.support.dossiers import DOSSIER
from tests.support.telegram_peer import USER, AnswerGetMe, emulator, private_message, user_reads  # noqa: F401

pytestmark = pytest.mark.timeout(120)

CODE = "BD-261120-0042"
RIGHT = DOSSIER["applicant"]["phone"][-4:]  # 4321
ARABIC = "".join(chr(0x0660 + int(c)) for c in RIGHT)  # ٤٣٢١, the right digits in another script
DEVANAGARI = "".join(chr(0x0966 + int(c)) for c in RIGHT)
FULL_WIDTH = "".join(chr(0xFF10 + int(c)) for c in RIGHT)


@pytest.fixture
async def dossier(client, auth):
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)).status == 201


@pytest.mark.parametrize("digits", [ARABIC, DEVANAGARI, "٤٣2١"])
async def test_lookup_with_other_digits_is_422_whether_or_not_the_code_exists(client, dossier, digits):
    answers = []
    for code in (CODE, "BD-261120-9999"):
        response = await client.get(f"/api/v1/dossiers/{code}", params={"verify": digits})
        assert response.status == 422
        body = await response.json()
        assert body["field"] == "verify" and "chữ số 0-9" in body["message"]
        answers.append(body)
    assert answers[0] == answers[1]  # nothing tells the codes apart
    assert client.app[LOOKUP_GUARD].retry_after(f"code:{CODE}") is None


async def test_full_width_digits_are_read_as_ascii(client, dossier):
    response = await client.get(f"/api/v1/dossiers/{CODE}", params={"verify": FULL_WIDTH})
    assert response.status == 200 and (await response.json())["code"] == CODE


async def test_a_code_in_other_digits_is_422(client, dossier):
    code = "BD-" + "".join(chr(0x0660 + int(c)) for c in "261120") + "-0042"
    response = await client.get(f"/api/v1/dossiers/{code}", params={"verify": RIGHT})
    assert response.status == 422 and (await response.json())["field"] == "code"


async def test_following_with_other_digits_is_422(client, dossier):
    response = await client.post(
        f"/api/v1/dossiers/{CODE}/followers", json={"verify": ARABIC, "channel": "sms", "phone": "0912000111"}
    )
    assert response.status == 422
    body = await response.json()
    assert body["field"] == "verify" and "chữ số 0-9" in body["message"]


async def test_a_phone_in_other_digits_is_refused(client, dossier):
    phone = "09" + "".join(chr(0x0660 + int(c)) for c in "12000111")
    response = await client.post(
        f"/api/v1/dossiers/{CODE}/followers", json={"verify": RIGHT, "channel": "sms", "phone": phone}
    )
    assert response.status == 422 and (await response.json())["field"] == "phone"


@pytest.mark.parametrize("raw", ["٠٩١٢٣٤٥٦٧٨", "09١2345678", "+84९१२३४५६७८"])
def test_normalize_phone_keeps_phones_ascii(raw):
    with pytest.raises(ValueError, match="không hợp lệ"):
        normalize_phone(raw)


def test_normalize_phone_reads_full_width_digits():
    assert normalize_phone("０９１２３４５６７８") == "+84912345678"


async def test_tracuu_with_other_digits_is_an_ordinary_reply(client, dossier):
    response = await client.post(
        "/api/v1/assistant/messages", json={"sender": "web-x", "text": f"TRACUU {CODE} {ARABIC}"}
    )
    assert response.status == 200
    [reply] = (await response.json())["replies"]
    assert not reply["text"].startswith(f"Hồ sơ {CODE}")


# --- a signed Telegram update, through the service's own webhook -------------

WEBHOOK_SECRET = "non-ascii-digits-secret"
_bot_ids = itertools.count(7_300_001)  # one bot per test: the emulator keeps their chats apart


@pytest.fixture
async def telegram(tmp_path, emulator):  # noqa: F811 - the emulator fixture imported above
    token = f"{next(_bot_ids)}:NONASCII-token"
    settings = Settings(
        data_dir=tmp_path,
        telegram_bot_token=token,
        telegram_api_url=emulator,
        telegram_webhook_secret=WEBHOOK_SECRET,
        public_url="https://tongdai.example.gov.vn",
    )
    app = await create_app(settings)
    for service in app[SERVICE].adapters.services:
        if hasattr(service, "bot"):
            service.bot.session.middleware(AnswerGetMe())  # the emulator's getMe quirk
    async with TestClient(TestServer(app)) as client, aiohttp.ClientSession() as http:
        await asyncio.wait_for(app[SERVICE].engine.until_ready(), 60)  # the assistant answers, as in service
        yield client, http, emulator, token


@pytest.mark.parametrize("text", [f"/tracuu {CODE} {ARABIC}", f"/theodoi {CODE} {ARABIC}", f"/tracuu {ARABIC}"])
async def test_a_signed_telegram_update_with_other_digits_is_answered_not_redelivered(telegram, text):
    client, http, url, token = telegram
    key = await ApiKeys(client.app[STORE]).create("tests")
    put = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers={"Authorization": f"Bearer {key}"})
    assert put.status == 201
    response = await client.post(
        "/webhooks/telegram", json=private_message(1, text), headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert response.status == 200, await response.text()
    seen = [m["text"] for m in await user_reads(http, url, token, USER["id"])]
    assert seen and not any(text.startswith(f"Hồ sơ {CODE}") for text in seen)
    assert not any(text.startswith("Ông/Bà sẽ nhận thông báo") for text in seen)  # nothing followed
