"""Issue 11 item 11: an SMS reply "2" to a message that offered numbered
options was taken as free text (and escalated as a complaint). Through the
whole service: Twilio's inbound webhook signed by the SDK's own validator,
the inbox, the assistant (a scripted engine, so that what it is asked is
known), the TwiML answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import count

import pytest
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from assistant.scripted import ScriptedEngine
from channels.sms import INBOUND_PATH
from hub.app import create_app
from hub.settings import Settings
from models.messages import Button, Reply

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-test-auth-token"
PUBLIC = "https://tongdai.example.gov.vn"
PHONE = "+84912345611"

MENU = Reply(
    "Ông/Bà hỏi lệ phí của thủ tục nào?",
    (
        Button("Đăng ký khai sinh", '/ask_fee{"procedure":"khai_sinh"}'),
        Button("Đăng ký kết hôn", '/ask_fee{"procedure":"ket_hon"}'),
        Button("Tra cứu hồ sơ", "TRACUU"),
    ),
)
FALLBACK = "Xin lỗi, tôi chưa hiểu câu hỏi của Ông/Bà."


class Engine(ScriptedEngine):
    """Remembers every text the assistant classified, turn or not (a text it
    does not understand twice is handed to a person without a turn)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed: list[str] = []

    async def parse(self, text: str):
        self.parsed.append(text)
        return await super().parse(text)


@pytest.fixture
def engine() -> Engine:
    return Engine(
        {"le phi bao nhieu": MENU, "ask_fee": "Lệ phí: miễn phí.", "xin chao": "Chào Ông/Bà."},
        intents={"le phi bao nhieu": "fee_question"},
        fallback=FALLBACK,
    )


@pytest.fixture
async def client(tmp_path, engine):
    settings = Settings(
        data_dir=tmp_path,
        public_url=PUBLIC,
        twilio_account_sid=SID,
        twilio_auth_token=TOKEN,
        twilio_from="+15005550006",
        bus_poll_seconds=0.05,
    )
    app = await create_app(settings, engine=engine)
    async with TestClient(TestServer(app)) as client:
        yield client


_sids = count(1)


async def sms(client, body: str, sender: str = PHONE) -> list[str]:
    """The citizen texts `body`; the lines of the TwiML answer."""
    form = {
        "MessageSid": f"SM{next(_sids):032d}",
        "AccountSid": SID,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + INBOUND_PATH, form)
    response = await client.post(INBOUND_PATH, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status == 200, await response.text()
    return [m.text or "" for m in ET.fromstring(await response.text()).findall("Message")]  # noqa: S314  our own TwiML


def asked(engine: Engine) -> str:
    return engine.parsed[-1]


async def test_a_number_answers_the_options_the_last_message_offered(client, engine):
    [menu] = await sms(client, "le phi bao nhieu")
    assert menu.splitlines()[1:] == ["1. Đăng ký khai sinh", "2. Đăng ký kết hôn", "3. Tra cứu hồ sơ"]

    assert await sms(client, "2") == ["Lệ phí: miễn phí."]
    assert asked(engine) == '/ask_fee{"procedure":"ket_hon"}'


async def test_full_width_digits_and_a_trailing_dot_count(client, engine):
    await sms(client, "le phi bao nhieu")
    assert await sms(client, " １. ") == ["Lệ phí: miễn phí."]
    assert asked(engine) == '/ask_fee{"procedure":"khai_sinh"}'


async def test_an_option_that_is_a_keyword_is_taken_as_the_keyword(client, engine):
    await sms(client, "le phi bao nhieu")
    # "TRACUU" alone: the assistant asks for the code (the keyword alone goes to it).
    await sms(client, "3")
    assert asked(engine) == "TRACUU"


async def test_a_number_without_options_or_out_of_range_is_text(client, engine):
    await sms(client, "xin chao")
    await sms(client, "2")
    assert asked(engine) == "2"

    # Two texts not understood handed that conversation to a person, who has
    # it now (the assistant stays silent there): the rest is another sender's.
    other = "+84912345612"
    await sms(client, "le phi bao nhieu", sender=other)
    await sms(client, "4", sender=other)
    assert asked(engine) == "4"
    # The options belong to the turn that offered them: after "4", "1" is text too.
    await sms(client, "1", sender=other)
    assert asked(engine) == "1"


async def test_options_belong_to_their_own_conversation(client, engine):
    await sms(client, "le phi bao nhieu")
    await sms(client, "2", sender="+84912345699")
    assert asked(engine) == "2"
