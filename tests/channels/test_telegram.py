"""The Telegram channel against telegram-test-api, a real Bot API emulator run
with Node; error mapping against a small stub Bot API; start tokens alone."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiogram.methods import AnswerCallbackQuery, GetUpdates, SetWebhook
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from channels.deeplink import MAX_LENGTH, make_token, read_token, start_link
from channels.inbound import RecordingInbox
from channels.limits import telegram_limits
from channels.port import Outgoing
from channels.telegram import BLOCKED_VIA, SECRET_HEADER, TelegramBot, TelegramProvider, make_bot
from hub.settings import Settings
from models.citizen import Channel
from models.errors import PermanentError, ProviderRefused, RetryableError
from models.messages import Button, Reply
from models.notifications import DeliveryStatus
from tests.support.server import free_port
from tests.support.telegram_peer import USER, AnswerGetMe, private_message, read_until, user_reads, user_writes  # noqa: F401
from tests.support.waiting import eventually

pytestmark = pytest.mark.timeout(60)

SECRET = b"k" * 32
CITIZEN = "0123456789abcdef0123456789abcdef"  # models.events.new_id's shape
DOSSIER = "000.00.12.H42-240615-0001"  # the national dossier code format, long
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
WEBHOOK_SECRET = "s3cret-Token_for-webhook"
_bot_ids = itertools.count(7_000_001)


@pytest.fixture
def token() -> str:
    # One bot per test: the emulator keeps every bot's messages apart.
    return f"{next(_bot_ids)}:TEST-token"


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def emulated_bot(token: str, url: str):
    bot = make_bot(token, url)
    calls = AnswerGetMe()
    bot.session.middleware(calls)
    return bot, calls


def answer_with_buttons(message) -> list[Reply]:
    long_payload = "/theodoi " + "Hồ sơ số " * 20  # well past 64 bytes, multi-byte letters
    return [
        Reply(
            f"Đã nhận: {message.text}", buttons=(Button("Theo dõi", "/theodoi 0001"), Button("Rất dài", long_payload))
        )
    ]


# --- the bot, polling the emulator -------------------------------------------


async def test_polling_hands_messages_to_the_inbox_and_sends_replies(emulator, token, http):
    bot, calls = emulated_bot(token, emulator)
    inbox = RecordingInbox(answer_with_buttons)
    telegram = TelegramBot(bot, inbox, webhook_secret="", mode="polling", empty_poll_pause=0.05)
    await telegram.start()
    try:
        link = make_token(SECRET, CITIZEN, DOSSIER, NOW + timedelta(days=30))
        for text in ("/tracuu 0001", "/theodoi 0001", "/huy", "Hồ sơ của tôi đến đâu rồi?", f"/start {link}"):
            await user_writes(http, emulator, token, text)
        await eventually(lambda: len(inbox.received) == 5)

        by_text = {m.text: m for m in inbox.received}
        assert set(by_text) == {"/tracuu 0001", "/theodoi 0001", "/huy", "Hồ sơ của tôi đến đâu rồi?", f"/start {link}"}
        first = by_text["/tracuu 0001"]
        assert first.channel is Channel.TELEGRAM
        assert first.address == str(USER["id"])
        assert first.name == "An Nguyễn Văn"
        assert first.link_token is None
        chat, _, message_id = first.provider_message_id.partition(":")
        assert chat == str(USER["id"]) and message_id.isdigit()
        assert len({m.provider_message_id for m in inbox.received}) == 5

        # The QR code's token reaches the inbox as it was, for the inbox to verify.
        assert by_text[f"/start {link}"].link_token == link
        assert read_token(SECRET, link, NOW) == (CITIZEN, DOSSIER)

        replies = await read_until(http, emulator, token, USER["id"], 5)
        assert {r["text"] for r in replies} == {f"Đã nhận: {m.text}" for m in inbox.received}
        rows = replies[0]["reply_markup"]["inline_keyboard"]
        assert [[b["text"] for b in row] for row in rows] == [["Theo dõi"], ["Rất dài"]]
        assert rows[0][0]["callback_data"] == "/theodoi 0001"
        cut = rows[1][0]["callback_data"]
        assert len(cut.encode()) <= 64 and answer_with_buttons(first)[0].buttons[1].payload.startswith(cut)

        # The emulator answers getUpdates at once; polling must pace itself,
        # and take nothing twice.
        before = calls.count(GetUpdates)
        started = time.monotonic()
        await eventually(lambda: calls.count(GetUpdates) >= before + 5)
        assert time.monotonic() - started >= 4 * 0.05 * 0.9
        assert len(inbox.received) == 5
    finally:
        await telegram.stop()


async def test_plain_start_greets_without_the_inbox(emulator, token, http):
    bot, _ = emulated_bot(token, emulator)
    inbox = RecordingInbox(answer_with_buttons)
    telegram = TelegramBot(
        bot,
        inbox,
        webhook_secret="",
        mode="polling",
        empty_poll_pause=0.05,
        org_name="Trung tâm Phục vụ hành chính công tỉnh",
    )
    await telegram.start()
    try:
        await user_writes(http, emulator, token, "/start")
        [greeting] = await read_until(http, emulator, token, USER["id"], 1)
        assert greeting["text"].startswith("Xin chào! Đây là kênh Telegram của Trung tâm Phục vụ")
        assert "reply_markup" not in greeting or greeting["reply_markup"] is None
        assert inbox.received == []
    finally:
        await telegram.stop()


# --- the provider, sending to the emulator -------------------------------------


async def test_provider_sends_plain_text_and_counts_it_delivered(emulator, token, http):
    inbox = RecordingInbox()
    provider = TelegramProvider.from_settings(Settings(telegram_bot_token=token, telegram_api_url=emulator), inbox)
    text = "Hồ sơ H42-0001 đã có kết quả <b>không phải HTML</b> & *không phải Markdown*_"
    try:
        sent = await provider.send(Outgoing("attempt-1", Channel.TELEGRAM, str(USER["id"]), text))
    finally:
        await provider.close()
    assert sent.status is DeliveryStatus.DELIVERED
    chat, _, message_id = sent.provider_ref.partition(":")
    assert chat == str(USER["id"]) and int(message_id) > 0
    [seen] = await user_reads(http, emulator, token, USER["id"])
    assert seen["text"] == text
    assert "parse_mode" not in seen
    assert inbox.withdrawals == []


async def test_webhook_mode_registers_the_webhook_with_its_secret(emulator, token):
    bot, calls = emulated_bot(token, emulator)
    telegram = TelegramBot(
        bot, RecordingInbox(), webhook_secret=WEBHOOK_SECRET, base_url="https://tongdai.example.gov.vn/"
    )
    telegram.webhook_route("/hooks/tg")
    await telegram.start()
    try:
        await eventually(lambda: calls.count(SetWebhook))
        [registered] = [m for m in calls.calls if isinstance(m, SetWebhook)]
        assert registered.url == "https://tongdai.example.gov.vn/hooks/tg"
        assert registered.secret_token == WEBHOOK_SECRET
        assert set(registered.allowed_updates) == {"message", "callback_query"}
    finally:
        await telegram.stop()


def test_provider_limits_and_settings(token):
    assert TelegramProvider.from_settings(Settings(), RecordingInbox()) is None
    assert TelegramBot.from_settings(Settings(), RecordingInbox()) is None
    provider = TelegramProvider(make_bot(token), RecordingInbox())
    message = Outgoing("a", Channel.TELEGRAM, "42", "x")
    assert provider.limits(message) == telegram_limits(token.split(":")[0], "42")
    assert (provider.name, provider.channel) == ("telegram", Channel.TELEGRAM)
    with pytest.raises(ValueError, match="TONGDAI_TELEGRAM_BOT_TOKEN") as caught:
        make_bot("not-a-token")
    assert "not-a-token" not in str(caught.value)
    with pytest.raises(ValueError, match="webhook or polling"):
        TelegramBot.from_settings(Settings(telegram_bot_token=token, telegram_mode="push"), RecordingInbox())


# --- the webhook route ----------------------------------------------------------


async def webhook_client(telegram: TelegramBot) -> TestClient:
    app = web.Application()
    app.add_routes([telegram.webhook_route()])
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_webhook_takes_only_updates_with_the_secret(emulator, token, http):
    bot, _ = emulated_bot(token, emulator)
    inbox = RecordingInbox(lambda m: [Reply("Đã nhận.")])
    telegram = TelegramBot(bot, inbox, webhook_secret=WEBHOOK_SECRET)
    client = await webhook_client(telegram)
    try:
        for headers in (
            {},
            {SECRET_HEADER: "wrong"},
            {SECRET_HEADER: WEBHOOK_SECRET[:-1]},
            {SECRET_HEADER: "Không phải ASCII"},
        ):
            r = await client.post("/webhooks/telegram", json=private_message(1, "/huy"), headers=headers)
            assert r.status == 403
            body = await r.json()
            assert body["error"] == "forbidden" and body["message"]
        assert inbox.received == []

        ok = {SECRET_HEADER: WEBHOOK_SECRET}
        for garbage in (b"{not json", b"[]", b'{"message": {"text": "x"}}', b"\xff\xfe"):
            r = await client.post("/webhooks/telegram", data=garbage, headers=ok)
            assert r.status == 400, garbage
            assert (await r.json())["error"] == "bad_request"
        assert inbox.received == []

        r = await client.post("/webhooks/telegram", json=private_message(2, "/tracuu 0001"), headers=ok)
        assert r.status == 200
        [incoming] = inbox.received
        assert (incoming.text, incoming.address, incoming.provider_message_id) == (
            "/tracuu 0001",
            str(USER["id"]),
            f"{USER['id']}:20",
        )
        # Processed before the 200: the reply is already in the chat.
        [seen] = await user_reads(http, emulator, token, USER["id"])
        assert seen["text"] == "Đã nhận."
    finally:
        await client.close()
        await telegram.stop()


async def test_webhook_without_a_configured_secret_refuses_everything(emulator, token):
    bot, _ = emulated_bot(token, emulator)
    inbox = RecordingInbox()
    telegram = TelegramBot(bot, inbox, webhook_secret="")
    client = await webhook_client(telegram)
    try:
        for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: "anything"}):
            r = await client.post("/webhooks/telegram", json=private_message(1, "/huy"), headers=headers)
            assert r.status == 403
        assert inbox.received == []
    finally:
        await client.close()
        await telegram.stop()


async def test_button_press_becomes_a_message_and_is_answered(emulator, token, http):
    bot, calls = emulated_bot(token, emulator)
    inbox = RecordingInbox(lambda m: [Reply("Đã đăng ký theo dõi.")])
    telegram = TelegramBot(bot, inbox, webhook_secret=WEBHOOK_SECRET)
    client = await webhook_client(telegram)
    # The emulator's own callback updates lack chat_instance, so post a
    # complete one as Telegram would.
    pressed = {
        "update_id": 9,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": USER,
            "chat_instance": "-1234",
            "data": "/theodoi 0001",
            "message": {
                "message_id": 77,
                "date": int(time.time()),
                "text": "Hồ sơ ...",
                "chat": {"id": USER["id"], "type": "private", "first_name": "An"},
            },
        },
    }
    try:
        r = await client.post("/webhooks/telegram", json=pressed, headers={SECRET_HEADER: WEBHOOK_SECRET})
        assert r.status == 200
        [incoming] = inbox.received
        assert incoming.text == "/theodoi 0001"
        assert incoming.address == str(USER["id"])
        assert incoming.provider_message_id == "callback:4382bfdwdsb323b2d9"
        assert incoming.name == "An Nguyễn Văn"
        assert calls.count(AnswerCallbackQuery) == 1
        [seen] = await user_reads(http, emulator, token, USER["id"])
        assert seen["text"] == "Đã đăng ký theo dõi."
    finally:
        await client.close()
        await telegram.stop()


async def test_webhook_asks_for_redelivery_when_the_inbox_fails(emulator, token):
    bot, _ = emulated_bot(token, emulator)

    def down(message):
        raise RetryableError("store unavailable")

    telegram = TelegramBot(bot, RecordingInbox(down), webhook_secret=WEBHOOK_SECRET)
    client = await webhook_client(telegram)
    try:
        r = await client.post(
            "/webhooks/telegram", json=private_message(3, "xin chào"), headers={SECRET_HEADER: WEBHOOK_SECRET}
        )
        assert r.status == 503
    finally:
        await client.close()
        await telegram.stop()


# --- error mapping, against a stub Bot API ---------------------------------------

FAILURES = {
    "1": (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    ),
    "2": (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    "3": (403, {"ok": False, "error_code": 403, "description": "Forbidden: user is deactivated"}),
    "4": (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
    "5": (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
    "6": (502, "<html>502 Bad Gateway</html>"),
    "7": (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
}


@pytest.fixture
async def stub_api():
    async def send_message(request: web.Request) -> web.Response:
        form = await request.post()
        status, body = FAILURES[form["chat_id"]]
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html")
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", send_message)
    server = TestServer(app)
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.mark.parametrize(
    ("chat_id", "error", "retry_after", "withdrawn"),
    [
        ("1", RetryableError, 7, False),
        ("2", PermanentError, None, True),
        ("3", PermanentError, None, True),
        ("4", PermanentError, None, False),
        ("5", RetryableError, None, False),
        ("6", RetryableError, None, False),
    ],
)
async def test_send_failures_map_to_the_error_tree(stub_api, token, chat_id, error, retry_after, withdrawn):
    inbox = RecordingInbox()
    provider = TelegramProvider(make_bot(token, stub_api), inbox)
    try:
        with pytest.raises(error) as caught:
            await provider.send(Outgoing("a", Channel.TELEGRAM, chat_id, "Xin chào"))
    finally:
        await provider.close()
    assert type(caught.value) is error
    assert getattr(caught.value, "retry_after", None) == retry_after
    assert inbox.withdrawals == ([(Channel.TELEGRAM, chat_id, BLOCKED_VIA)] if withdrawn else [])


async def test_a_revoked_token_is_provider_refused(stub_api, token):
    inbox = RecordingInbox()
    provider = TelegramProvider(make_bot(token, stub_api), inbox)
    try:
        with pytest.raises(ProviderRefused) as caught:
            await provider.send(Outgoing("a", Channel.TELEGRAM, "7", "Xin chào"))
    finally:
        await provider.close()
    assert not isinstance(caught.value, RetryableError)
    assert caught.value.provider == "telegram"
    assert inbox.withdrawals == []  # our token, not the citizen's choice


async def test_unreachable_api_and_bad_addresses(token):
    provider = TelegramProvider(make_bot(token, f"http://127.0.0.1:{free_port()}"), RecordingInbox())
    try:
        with pytest.raises(RetryableError):
            await provider.send(Outgoing("a", Channel.TELEGRAM, "42", "x"))
        with pytest.raises(PermanentError):
            await provider.send(Outgoing("a", Channel.TELEGRAM, "+84912345678x", "x"))
    finally:
        await provider.close()


async def test_a_blocked_bot_found_while_replying_withdraws_consent(stub_api, token):
    inbox = RecordingInbox(lambda m: [Reply("Đã nhận.")])
    telegram = TelegramBot(make_bot(token, stub_api), inbox, webhook_secret=WEBHOOK_SECRET)
    client = await webhook_client(telegram)
    blocked = {"id": 2, "is_bot": False, "first_name": "Bình"}
    try:
        r = await client.post(
            "/webhooks/telegram",
            json=private_message(4, "/tracuu 0002", blocked),
            headers={SECRET_HEADER: WEBHOOK_SECRET},
        )
        assert r.status == 200  # the message is stored; sending it again would not help
        assert len(inbox.received) == 1
        assert inbox.withdrawals == [(Channel.TELEGRAM, "2", BLOCKED_VIA)]
    finally:
        await client.close()
        await telegram.stop()


# --- start tokens -------------------------------------------------------------


def test_start_token_round_trip_fits_telegram():
    token = make_token(SECRET, CITIZEN, DOSSIER, NOW + timedelta(days=90))
    assert len(token) <= MAX_LENGTH
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in token)
    assert read_token(SECRET, token, NOW) == (CITIZEN, DOSSIER)
    assert start_link("@tongdai_bot", token) == f"https://t.me/tongdai_bot?start={token}"
    for citizen, dossier in (("c-Nguyễn", "h12-0001"), ("42", "H12-0001"), ("ABCDEF", "a/b")):
        assert read_token(SECRET, make_token(SECRET, citizen, dossier, NOW + timedelta(hours=1)), NOW) == (
            citizen,
            dossier,
        )


def test_expired_start_token_is_refused():
    token = make_token(SECRET, CITIZEN, DOSSIER, NOW)
    assert read_token(SECRET, token, NOW - timedelta(seconds=1)) == (CITIZEN, DOSSIER)
    assert read_token(SECRET, token, NOW) is None
    assert read_token(SECRET, token, NOW + timedelta(days=1)) is None


def test_forged_or_damaged_start_tokens_are_refused():
    token = make_token(SECRET, CITIZEN, DOSSIER, NOW + timedelta(days=1))
    assert read_token(b"another key", token, NOW) is None
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert read_token(SECRET, flipped, NOW) is None
    for garbage in ("", "x", "!!!!", token + "A", token[:-1], "A" * 65, "é" * 10):
        assert read_token(SECRET, garbage, NOW) is None


def test_ids_too_long_for_a_start_token_are_refused():
    with pytest.raises(ValueError, match="64"):
        make_token(SECRET, CITIZEN, DOSSIER + "-EXTRA-LONG-SUFFIX", NOW)
    with pytest.raises(ValueError):
        make_token(SECRET, "", DOSSIER, NOW)
