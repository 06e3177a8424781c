"""One contract, every channel provider, each against its real peer where one
exists: recording; Twilio SMS against Prism serving Twilio's OpenAPI
description; the generic SMS HTTP gateway against its stand-in; SMTP against
aiosmtpd; Telegram against telegram-test-api."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import web

from channels.email import SmtpProvider
from channels.inbound import RecordingInbox
from channels.port import Outgoing, Provider, Sent
from channels.recording import MemorySink, RecordingProvider
from channels.sms import TwilioSmsProvider
from channels.sms_gateway import GatewaySmsProvider
from channels.telegram import TelegramProvider, make_bot
from models.citizen import Channel
from models.errors import PermanentError, RetryableError
from tests.support.server import free_port
from tests.support.sms_gateway import config
from tests.support.smtp import Sink
from tests.support.telegram_peer import AnswerGetMe

pytestmark = pytest.mark.timeout(120)

SID, TOKEN = "AC" + "0123456789abcdef" * 2, "twilio-test-auth-token"
PUBLIC = "https://tongdai.example.gov.vn"
_bot_ids = itertools.count(7_100_001)
_attempts = itertools.count(1)


@dataclass
class Case:
    """A provider that works, and how to make the next send fail either way."""

    make: Callable[[], Provider]
    address: str
    fail: Callable[[str], Awaitable[Provider]]  # "temporary" | "permanent" -> a provider whose next send fails so
    prepare: Callable[[], Awaitable[None]] | None = None  # start the peer, in the test's event loop

    def outgoing(self, provider: Provider, address: str | None = None) -> Outgoing:
        return Outgoing(
            attempt_id=f"att-{next(_attempts)}",
            channel=provider.channel,
            address=address or self.address,
            text="Hồ sơ của Ông/Bà đã được tiếp nhận.",
        )


def _recording() -> Case:
    async def fail(mode):
        return RecordingProvider(Channel.SMS, MemorySink(), fail=mode)

    return Case(lambda: RecordingProvider(Channel.SMS, MemorySink()), "+84912345678", fail)


def _twilio(prism_url: str) -> Case:
    async def fail(mode):
        if mode == "temporary":  # nothing listens there
            return TwilioSmsProvider(SID, TOKEN, "+15005550006", public_url=PUBLIC, base_url="http://127.0.0.1:9")
        return TwilioSmsProvider("AC-not-a-sid", TOKEN, "+15005550006", public_url=PUBLIC, base_url=prism_url)

    return Case(
        lambda: TwilioSmsProvider(SID, TOKEN, "+15005550006", public_url=PUBLIC, base_url=prism_url),
        "+84912345678",
        fail,
    )


def _gateway(stub) -> Case:
    async def fail(mode):
        code = "99" if mode == "temporary" else "14"  # the stand-in's configuration: 99 busy, others refused
        stub.answers.append(web.json_response({"code": code, "message": "lỗi"}))
        return GatewaySmsProvider(config(stub.url, timeout=1))

    return Case(lambda: GatewaySmsProvider(config(stub.url, timeout=1)), "+84912345678", fail)


def _smtp(start_server) -> Case:
    sink, port = Sink(), free_port()

    async def prepare():
        await start_server(sink, port=port)

    def make():
        return SmtpProvider(
            host="127.0.0.1",
            port=port,
            tls="none",
            timeout=5.0,
            pool_size=2,
            sender="Tổng đài <no-reply@tongdai.example.gov.vn>",
            message_id_domain="tongdai.example.gov.vn",
        )

    async def fail(mode):
        address = "busy@example.vn" if mode == "temporary" else "nobody@example.vn"
        sink.refuse[address] = "451 4.3.0 try again later" if mode == "temporary" else "550 5.1.1 no such user"
        provider = make()
        provider._contract_address = address
        return provider

    return Case(make, "citizen@example.vn", fail, prepare)


def _telegram(url: str) -> Case:
    def make(base: str = url):
        bot = make_bot(f"{next(_bot_ids)}:TEST-token", base)
        bot.session.middleware(AnswerGetMe())
        return TelegramProvider(bot, RecordingInbox())

    async def fail(mode):
        if mode == "temporary":
            return make(f"http://127.0.0.1:{free_port()}")
        provider = make()
        provider._contract_address = "+84912345678x"  # not a chat id
        return provider

    return Case(make, "5550001", fail)


@pytest.fixture(params=["recording", "twilio-prism", "sms-gateway", "smtp-aiosmtpd", "telegram-emulator"])
def peer_case(request) -> Case:
    # Not async: only a plain fixture can ask for the async peer fixtures by name.
    name = request.param
    if name == "recording":
        return _recording()
    if name == "twilio-prism":
        return _twilio(request.getfixturevalue("prism"))
    if name == "sms-gateway":
        return _gateway(request.getfixturevalue("gateway"))
    if name == "smtp-aiosmtpd":
        return _smtp(request.getfixturevalue("start_server"))
    return _telegram(request.getfixturevalue("emulator"))


@pytest.fixture
async def case(peer_case) -> Case:
    if peer_case.prepare is not None:
        await peer_case.prepare()
    return peer_case


@pytest.fixture
async def started(case):
    made: list[Provider] = []

    async def start(provider: Provider) -> Provider:
        await provider.start()
        made.append(provider)
        return provider

    yield start
    for provider in made:
        await provider.close()


async def test_send_returns_a_sent_with_a_provider_reference(case, started):
    provider = await started(case.make())
    sent = await provider.send(case.outgoing(provider))
    assert isinstance(sent, Sent) and isinstance(sent.provider_ref, str) and sent.provider_ref


async def test_name_and_channel(case):
    provider = case.make()
    assert isinstance(provider.name, str) and provider.name
    assert isinstance(provider.channel, Channel)
    assert isinstance(provider.limits(case.outgoing(provider)), list)


@pytest.mark.parametrize(("mode", "error"), [("temporary", RetryableError), ("permanent", PermanentError)])
async def test_failures_are_the_error_trees(case, started, mode, error):
    provider = await started(await case.fail(mode))
    address = getattr(provider, "_contract_address", None)
    with pytest.raises(error):
        await provider.send(case.outgoing(provider, address))


async def test_send_many_answers_each_message_in_order(case, started):
    provider = await started(case.make())
    messages = [case.outgoing(provider) for _ in range(3)]
    results = await provider.send_many(messages)
    assert len(results) == 3 and all(isinstance(r, Sent) and r.provider_ref for r in results)


async def test_close_is_idempotent_and_safe_before_start(case):
    unstarted = case.make()
    await unstarted.close()
    provider = case.make()
    await provider.start()
    await provider.close()
    await provider.close()
