"""An agent's reply reaches the citizen through the real peers: the Bot API
emulator (telegram-test-api), Twilio's API as Prism serves it, and an SMTP
server (aiosmtpd) that shows the reply threaded under the citizen's letter.
The service is built by bootstrap() with those providers; the citizen's
message comes in through the inbox as the adapters hand it over."""

from __future__ import annotations

import functools
import itertools

import aiohttp
import pytest

from channels.email import SmtpProvider
from channels.inbound import RecordingInbox
from channels.sms import TwilioSmsProvider
from channels.telegram import TelegramProvider, make_bot
from hub.app import bootstrap
from hub.settings import Settings
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from models.messages import Incoming
from models.notifications import DeliveryStatus, Receipt
from tests.support import waiting
from tests.support.peers_prism import prism  # noqa: F401  the fixture, by name
from tests.support.server import free_port
from tests.support.smtp import Sink, parse, start_server  # noqa: F401  the fixture, by name
from tests.support.telegram_peer import AnswerGetMe, emulator, read_until  # noqa: F401  the fixture, by name

pytestmark = pytest.mark.timeout(120)

SID, TOKEN = "AC" + "0123456789abcdef" * 2, "twilio-test-auth-token"
PUBLIC = "https://tongdai.example.gov.vn"
CHAT = 5550777
_bots = itertools.count(7_300_001)
eventually = functools.partial(waiting.eventually, within=20.0, interval=0.05)


@pytest.fixture
async def world(tmp_path, prism, emulator, start_server):  # noqa: F811
    sink, port = Sink(), free_port()
    await start_server(sink, port=port)
    token = f"{next(_bots)}:REPLY-token"
    bot = make_bot(token, emulator)
    bot.session.middleware(AnswerGetMe())  # the emulator's getMe lacks is_bot
    providers = [
        TelegramProvider(bot, RecordingInbox()),
        TwilioSmsProvider(SID, TOKEN, "+15005550006", public_url=PUBLIC, base_url=prism),
        SmtpProvider(
            host="127.0.0.1",
            port=port,
            tls="none",
            timeout=5.0,
            sender="Tổng đài <no-reply@tongdai.example.gov.vn>",
            message_id_domain="tongdai.example.gov.vn",
        ),
    ]
    service = await bootstrap(
        Settings(data_dir=tmp_path, public_url=PUBLIC, org_name="Trung tâm PVHCC"),
        store=SqliteStore(tmp_path / "peers.sqlite3"),
        providers=providers,
        secret=b"k" * 32,
    )
    await service.open()
    for provider in providers:
        await provider.start()
    agent, _ = await service.agents.create("Nguyễn Văn An", "an@example.vn", "agent", "Một cửa", "cli:test")
    yield service, agent, sink, token, emulator
    for provider in providers:
        await provider.close()
    await service.close()


async def conversation(service, message: Incoming) -> str:
    await service.inbox.receive(message)
    [found] = await service.store.list_conversations(channel=message.channel, limit=1)
    return found["id"]


async def sent(service) -> None:
    sender = service.notifier.sender
    while await sender.run_once():
        pass


async def test_a_reply_to_a_telegram_chat_reaches_it_through_the_bot_api(world):
    service, agent, _, token, url = world
    cid = await conversation(service, Incoming(Channel.TELEGRAM, str(CHAT), "cho hỏi hồ sơ", "tg-1", name="Lan"))
    message = await service.replies.send(cid, agent, "Chào Ông/Bà,\nhồ sơ đã có kết quả, mời Ông/Bà đến nhận.")
    await sent(service)
    async with aiohttp.ClientSession() as http:
        [got] = await read_until(http, url, token, CHAT, 1)
    assert got["text"] == "Chào Ông/Bà,\nhồ sơ đã có kết quả, mời Ông/Bà đến nhận."
    # The Bot API answers at once: the chat has it.
    [stored] = [m for m in await service.store.conversation_messages(cid) if m["id"] == message["id"]]
    assert stored["delivery"] == {"status": "delivered", "reason": None, "channel": "telegram"}


async def test_a_reply_to_an_sms_goes_through_twilio_and_its_receipt_lands_on_the_message(world):
    service, agent, *_ = world
    cid = await conversation(service, Incoming(Channel.SMS, "+84912345678", "hồ sơ tôi sao rồi", "SMin-1"))
    message = await service.replies.send(cid, agent, "Dạ, hồ sơ đang chờ ký duyệt.")
    await sent(service)
    # `tongdai outbox tail` shows it on the citizen's channel.
    [tail] = await service.store.last_sent(1)
    assert (tail["channel"], tail["provider"], tail["status"], tail["purpose"]) == (
        "sms",
        "twilio",
        "sent",
        "agent_reply",
    )
    assert tail["text"] == "Dạ, hồ sơ đang chờ ký duyệt."
    citizen = await service.store.find_contact(Channel.SMS, "+84912345678")
    [notification] = await service.store.list_notifications(citizen=citizen)
    [attempt] = notification.attempts
    assert attempt.provider_ref and attempt.provider_ref.startswith("SM")  # Twilio's message SID
    await service.notifier.receipts.apply([Receipt("twilio", attempt.provider_ref, DeliveryStatus.DELIVERED)])
    [stored] = [m for m in await service.store.conversation_messages(cid) if m["id"] == message["id"]]
    assert stored["delivery"] == {"status": "delivered", "reason": None, "channel": "sms"}
    statuses = [r.payload for r in await service.store.feed_since(0) if r.kind == "message.status"]
    assert [s["delivery"]["status"] for s in statuses] == ["sent", "delivered"]


async def test_an_email_reply_is_threaded_under_the_citizens_letter(world):
    service, agent, sink, *_ = world
    letter = Incoming(
        Channel.EMAIL,
        "lan@example.vn",
        "Xin hỏi lệ phí đăng ký khai sinh?",
        "<letter-42@mail.example.vn>",
        subject="Hỏi lệ phí",
    )
    cid = await conversation(service, letter)
    await service.replies.send(cid, agent, "Kính gửi Ông/Bà,\nđăng ký khai sinh đúng hạn không mất lệ phí.")
    await sent(service)

    async def arrived():
        return sink.messages

    await eventually(arrived)
    [mail] = [parse(raw) for raw in sink.messages]
    assert mail["To"] == "lan@example.vn" and mail["Subject"] == "Re: Hỏi lệ phí"
    assert mail["In-Reply-To"] == "<letter-42@mail.example.vn>"
    assert mail["References"] == "<letter-42@mail.example.vn>"
    assert mail["List-Unsubscribe"] is None
    body = mail.get_body(("plain",)).get_content()
    assert "đăng ký khai sinh đúng hạn không mất lệ phí" in body
