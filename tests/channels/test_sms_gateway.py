"""The generic HTTP gateway against a small aiohttp server standing in for a
Vietnamese brandname gateway (none has a public emulator). Its configuration
and its webhooks have test files of their own."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiohttp import web

from channels.port import Limit, Outgoing
from channels.sms_gateway import GatewaySmsProvider
from channels.sms_gateway_config import render
from hub.settings import Settings
from models import smstext
from models.citizen import Channel
from models.errors import PermanentError, ProviderRefused, RetryableError
from models.notifications import DeliveryStatus as D
from tests.support.sms_gateway import config

PHONE = "+84912345678"
TEXT = "Hồ sơ của Ông/Bà đã được tiếp nhận. Kết quả dự kiến ngày 15/01."


@pytest.fixture
def provider(gateway_provider):
    return gateway_provider


def outgoing(text: str = TEXT, attempt: str = "att-1") -> Outgoing:
    return Outgoing(attempt_id=attempt, channel=Channel.SMS, address=PHONE, text=text)


async def test_a_send_fills_the_template_and_reads_the_id(gateway, provider):
    sent = await provider.send(outgoing())
    assert (sent.provider_ref, sent.status) == ("vnpt-1", D.SENT)
    [(headers, body)] = gateway.requests
    assert headers["X-Partner"] == "ubnd"
    assert body == {
        "msisdn": "84912345678",
        "content": TEXT,
        "brandname": "UBND-TINH",
        "requestId": "att-1",
        "meta": {"channel": "sms", "tags": ["UBND-TINH"]},
    }
    assert provider.limits(outgoing()) == [Limit("sms:vnpt:UBND-TINH", 5.0, 5)]


async def test_an_unaccented_gateway_sends_one_gsm_segment(gateway):
    provider = GatewaySmsProvider(config(gateway.url, unaccented=True))
    try:
        await provider.send(outgoing())
    finally:
        await provider.close()
    content = gateway.requests[0][1]["content"]
    assert content == "Ho so cua Ong/Ba da duoc tiep nhan. Ket qua du kien ngay 15/01."
    assert smstext.count(content).encoding == smstext.GSM7 and smstext.count(content).segments == 1
    # As written it would have cost the dearer alphabet.
    assert smstext.count(TEXT).encoding == smstext.UCS2


async def test_a_citizens_braces_are_not_placeholders(gateway, provider):
    await provider.send(outgoing(text="Mã {to} và {ref} giữ nguyên"))
    assert gateway.requests[0][1]["content"] == "Mã {to} và {ref} giữ nguyên"


async def test_an_unavailable_gateway_is_retried_when_it_says(gateway, provider):
    gateway.answers.append(web.Response(status=503, text="bảo trì", headers={"Retry-After": "30"}))
    with pytest.raises(RetryableError) as caught:
        await provider.send(outgoing())
    assert caught.value.retry_after == 30


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (web.json_response({"code": "14", "message": "số thuê bao không hợp lệ"}, status=400), PermanentError),
        (web.json_response({"code": "99", "message": "hệ thống bận"}), RetryableError),
        (web.json_response({"code": "14", "message": "số thuê bao không hợp lệ"}), PermanentError),
        (web.Response(status=429), RetryableError),
        (web.json_response({"message": "hết hạn mức"}, status=402), ProviderRefused),
    ],
)
async def test_gateway_answers_map_to_the_error_tree(gateway, provider, answer, kind):
    gateway.answers.append(answer)
    with pytest.raises(kind) as caught:
        await provider.send(outgoing())
    assert type(caught.value) is kind


async def test_wrong_credentials_refuse_us_not_the_citizen(gateway):
    provider = GatewaySmsProvider({**config(gateway.url), "auth": {"type": "bearer", "token": "wrong"}})
    try:
        with pytest.raises(ProviderRefused) as caught:
            await provider.send(outgoing())
    finally:
        await provider.close()
    assert caught.value.provider == provider.name


async def test_a_slow_gateway_is_retryable(gateway, provider):
    class Slow(web.Response):
        async def prepare(self, request):
            await asyncio.sleep(3)
            return await super().prepare(request)

    gateway.answers.append(Slow(status=200))
    with pytest.raises(RetryableError):
        await provider.send(outgoing())


async def test_without_receipts_the_send_counts_as_delivered_and_without_an_id_the_attempt_names_it(gateway):
    provider = GatewaySmsProvider({**config(gateway.url, receipts=False), "id_field": "data.nothing"})
    try:
        sent = await provider.send(outgoing(attempt="att-9"))
    finally:
        await provider.close()
    assert (sent.provider_ref, sent.status) == ("att-9", D.DELIVERED)


def test_render_and_from_settings():
    assert render({"a": ["{x}", {"b": "{text}!"}], "n": 3}, {"text": "hi"}) == {"a": ["{x}", {"b": "hi!"}], "n": 3}
    text = orjson.dumps([config("https://sms.example.vn/send")]).decode()
    [provider] = GatewaySmsProvider.from_settings(Settings(sms_gateways=text))
    assert provider.name == "vnpt"
    assert GatewaySmsProvider.from_settings(Settings()) == []
