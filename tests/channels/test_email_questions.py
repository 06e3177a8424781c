"""Issue 11 item 13: an email asking two things got one answer. Through the
whole service: the citizen's mail delivered over SMTP to the service's
receiver, the inbox, the assistant (a scripted engine, so that which
question is understood is known), and the one reply sent back over SMTP to
a real (aiosmtpd) relay: every question answered in turn, numbered, and the
one the assistant cannot answer handed to a person, saying so."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import pytest
from aiohttp.test_utils import TestClient, TestServer

from assistant.scripted import ScriptedEngine
from hub.app import create_app
from hub.keys import STORE
from hub.settings import Settings
from models.messages import Button, Reply
from tests.support.server import free_port
from tests.support.smtp import DOMAIN, parse
from tests.support.waiting import eventually

pytestmark = pytest.mark.timeout(60)

FEE = "Lệ phí đăng ký khai sinh là bao nhiêu?"
WHERE = "Làm giấy phép lái xe ở đâu?"
COMPLAINT = "Tôi muốn khiếu nại cán bộ tiếp nhận hồ sơ hôm qua?"
ANSWERS = {
    "ask_fee": "Đăng ký khai sinh đúng hạn được miễn lệ phí.",
    "ask_place": Reply("Ông/Bà hỏi địa chỉ của cơ quan nào?", (Button("Sở GTVT", "/a"), Button("Công an", "/b"))),
    "ask_duration": "Thời hạn giải quyết là 3 ngày làm việc.",
}


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine(
        ANSWERS,
        intents={
            f"Tôi đã nộp hồ sơ khai sinh cho con. {FEE}": "ask_fee",
            FEE: "ask_fee",
            WHERE: "ask_place",
            COMPLAINT: "complaint",
            "Bao lâu thì có kết quả?": "ask_duration",
        },
    )


@pytest.fixture
async def service(tmp_path, engine, start_server):
    relay = await start_server()
    settings = Settings(
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=relay.port,
        smtp_tls="none",
        smtp_inbound_host="127.0.0.1",
        smtp_inbound_port=free_port(),
        smtp_inbound_domain=DOMAIN,
        bus_poll_seconds=0.05,
    )
    app = await create_app(settings, engine=engine)
    async with TestClient(TestServer(app)) as client:
        yield client, settings, relay, engine


def letter(body: str, message_id: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = '"Nguyễn Văn Đức" <duc.nguyen@example.vn>'
    mail["To"] = f"hoidap@{DOMAIN}"
    mail["Subject"] = "Hỏi về thủ tục"
    mail["Message-ID"] = message_id
    mail.set_content(body)
    return mail.as_bytes()


async def send(settings: Settings, raw: bytes) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=settings.smtp_inbound_port, timeout=10) as smtp:
        await smtp.sendmail("duc.nguyen@example.vn", [f"hoidap@{DOMAIN}"], raw)


async def the_reply(relay, count: int = 1) -> str:
    await eventually(lambda: len(relay.handler.messages) >= count, within=20)
    reply = parse(relay.handler.messages[count - 1])
    assert reply["To"] == "duc.nguyen@example.vn"
    return reply.get_content().replace("\r\n", "\n")


async def test_each_question_is_answered_in_one_reply(service):
    client, settings, relay, engine = service
    body = (
        "Kính gửi Tổng đài,\n\n"
        f"Tôi đã nộp hồ sơ khai sinh cho con. {FEE}\n"
        f"{WHERE}\n\n"
        "Trân trọng,\nNguyễn Văn Đức\n0912345678\n"
    )
    await send(settings, letter(body, "<two-questions@mail.example.vn>"))

    text = await the_reply(relay)
    assert text.startswith("Tổng đài xin trả lời lần lượt 2 câu hỏi của Ông/Bà:")
    assert f"1. Về câu hỏi “{FEE}”\n{ANSWERS['ask_fee']}" in text
    assert f"2. Về câu hỏi “{WHERE}”\nÔng/Bà hỏi địa chỉ của cơ quan nào? (Sở GTVT; Công an)" in text
    assert "cán bộ" not in text
    assert await client.app[STORE].list_escalations() == []
    assert [question for _, question in engine.turns] == [f"Tôi đã nộp hồ sơ khai sinh cho con. {FEE}", WHERE]
    assert len(relay.handler.messages) == 1  # one reply, not one per question


async def test_the_part_it_cannot_answer_goes_to_a_person_and_the_reply_says_which(service):
    client, settings, relay, engine = service
    body = f"{COMPLAINT}\n\nBao lâu thì có kết quả?\n\n-- \nĐức\n"
    await send(settings, letter(body, "<complaint-and-question@mail.example.vn>"))

    text = await the_reply(relay)
    assert f"1. Về câu hỏi “{COMPLAINT}”\nCâu hỏi này đã được chuyển tới cán bộ hỗ trợ." in text
    assert f"2. Về câu hỏi “Bao lâu thì có kết quả?”\n{ANSWERS['ask_duration']}" in text
    assert "Tôi đã chuyển cuộc trò chuyện tới cán bộ hỗ trợ" in text  # when a person will answer
    [escalation] = await client.app[STORE].list_escalations()
    assert escalation["reason"] == "complaint"
    assert [question for _, question in engine.turns] == ["Bao lâu thì có kết quả?"]


async def test_a_letter_with_one_question_is_one_message_as_before(service):
    client, settings, relay, engine = service
    await send(settings, letter(f"{FEE}\n", "<one@mail.example.vn>"))
    text = await the_reply(relay)
    assert text.strip() == ANSWERS["ask_fee"]
    assert [question for _, question in engine.turns] == [FEE]
