"""The generic HTTP gateway against a small aiohttp server standing in for a
Vietnamese brandname gateway (none has a public emulator), and its signed
inbound and status webhooks."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from channels.inbound import RecordingInbox, Reply
from channels.port import Outgoing
from channels.sms_gateway import GatewaySmsProvider, gateway_routes, parse_gateways, render, sign
from channels.sms_status import ProviderRefused
from hub.api.errors import json_errors
from hub.settings import Settings
from models import smstext
from models.citizen import Channel
from models.errors import PermanentError, RetryableError
from models.messages import Button
from models.notifications import DeliveryStatus as D
from notify.ratelimit import Limit
from tests.support.sms_gateway import SECRET, Gateway, config, gateway  # noqa: F401  (fixture)

PHONE = "+84912345678"
TEXT = "Hồ sơ của Ông/Bà đã được tiếp nhận. Kết quả dự kiến ngày 15/01."


@pytest.fixture
async def provider(gateway):
    provider = GatewaySmsProvider(config(gateway.url, timeout=1))
    await provider.start()
    yield provider
    await provider.close()


def outgoing(text: str = TEXT, attempt: str = "att-1") -> Outgoing:
    return Outgoing(attempt_id=attempt, channel=Channel.SMS, address=PHONE, text=text)


async def test_a_send_fills_the_template_and_reads_the_id(gateway, provider):
    sent = await provider.send(outgoing())
    assert (sent.provider_ref, sent.status) == ("vnpt-1", D.SENT)
    [(headers, body)] = gateway.requests
    assert headers["X-Partner"] == "ubnd"
    assert body == {"msisdn": "84912345678", "content": TEXT, "brandname": "UBND-TINH", "requestId": "att-1",
                    "meta": {"channel": "sms", "tags": ["UBND-TINH"]}}
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


@pytest.mark.parametrize(("answer", "kind"), [
    (web.json_response({"code": "14", "message": "số thuê bao không hợp lệ"}, status=400), PermanentError),
    (web.json_response({"code": "99", "message": "hệ thống bận"}), RetryableError),
    (web.json_response({"code": "14", "message": "số thuê bao không hợp lệ"}), PermanentError),
    (web.Response(status=429), RetryableError),
    (web.json_response({"message": "hết hạn mức"}, status=402), ProviderRefused),
])
async def test_gateway_answers_map_to_the_error_tree(gateway, provider, answer, kind):
    gateway.answers.append(answer)
    with pytest.raises(kind) as caught:
        await provider.send(outgoing())
    assert type(caught.value) is kind


async def test_wrong_credentials_refuse_us_not_the_citizen(gateway):
    provider = GatewaySmsProvider({**config(gateway.url), "auth": {"type": "bearer", "token": "wrong"}})
    try:
        with pytest.raises(ProviderRefused):
            await provider.send(outgoing())
    finally:
        await provider.close()


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


@pytest.mark.parametrize(("change", "message"), [
    ({"url": "ftp://x"}, "url"),
    ({"body": {"to": "{to}", "content": "{txt}"}}, "unknown placeholder {txt}"),
    ({"body": {"content": "{text}"}}, "must contain"),
    ({"auth": {"type": "basic", "username": "u"}}, "auth.password"),
    ({"name": "twilio"}, "name"),
    ({"rate": -1}, "rate"),
    ({"id_feild": "x"}, "id_feild: unknown key"),
    ({"method": "GET"}, "method"),
])
def test_bad_gateway_configuration_is_named(change, message):
    with pytest.raises(ValueError, match=message):
        parse_gateways(orjson.dumps([{**config("https://sms.example.vn/send"), **change}]).decode())


def test_gateway_list_errors():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_gateways("[{")
    with pytest.raises(ValueError, match="JSON list"):
        parse_gateways("{}")
    with pytest.raises(ValueError, match="duplicate name 'vnpt'"):
        parse_gateways(orjson.dumps([config("https://a.vn"), config("https://b.vn")]).decode())
    assert parse_gateways("  ") == []


# webhooks

def _answer(message):
    if message.text == "MENU":
        return [Reply("Chọn:", (Button("Tra cứu", "lookup"), Button("Gặp cán bộ", "agent")))]
    return []


@pytest.fixture
async def webhooks(gateway, provider):
    inbox = RecordingInbox(_answer)
    unsigned = GatewaySmsProvider({**config(gateway.url), "name": "viettel", "inbound_secret": ""})
    app = web.Application(middlewares=[json_errors])
    app.add_routes(gateway_routes(inbox, [provider, unsigned]))
    async with TestClient(TestServer(app)) as client:
        yield client, inbox
    await unsigned.close()


def _post(client, path: str, payload: dict, secret: str | None = SECRET, signature: str | None = None):
    raw = orjson.dumps(payload)
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Signature"] = signature
    elif secret is not None:
        headers["X-Signature"] = sign(secret, raw)
    return client.post(path, data=raw, headers=headers)


MO = {"from": "0912345678", "text": "MENU", "id": "mo-1"}


async def test_an_inbound_sms_is_stored_and_the_replies_go_back_through_the_gateway(webhooks, gateway):
    client, inbox = webhooks
    response = await _post(client, "/webhooks/sms/vnpt/inbound", MO)
    assert response.status == 200
    assert await response.json() == {"received": True, "replies": 1, "unsent": 0}
    [message] = inbox.received
    assert (message.channel, message.address, message.text) == (Channel.SMS, PHONE, "MENU")
    assert message.provider_message_id == "vnpt:mo-1"
    [(_, body)] = gateway.requests
    assert body["msisdn"] == "84912345678"
    assert body["content"] == "Chọn:\n1. Tra cứu\n2. Gặp cán bộ"


async def test_a_reply_that_cannot_be_sent_does_not_lose_the_inbound_message(webhooks, gateway):
    client, inbox = webhooks
    gateway.answers.append(web.Response(status=503))
    response = await _post(client, "/webhooks/sms/vnpt/inbound", MO)
    assert response.status == 200 and (await response.json())["unsent"] == 1
    assert len(inbox.received) == 1


@pytest.mark.parametrize(("path", "secret", "signature", "status"), [
    ("/webhooks/sms/vnpt/inbound", "not-the-secret", None, 403),
    ("/webhooks/sms/vnpt/inbound", None, None, 403),
    ("/webhooks/sms/vnpt/inbound", None, "sha256=" + "0" * 64, 403),
    ("/webhooks/sms/viettel/inbound", "", None, 403),  # no secret configured: nobody is trusted
    ("/webhooks/sms/mobifone/inbound", SECRET, None, 404),
    ("/webhooks/sms/vnpt/status", "not-the-secret", None, 403),
])
async def test_unsigned_or_unknown_is_refused_and_touches_nothing(webhooks, gateway, path, secret, signature,
                                                                    status):
    client, inbox = webhooks
    response = await _post(client, path, {**MO, "status": "DELIVRD"}, secret=secret, signature=signature)
    assert response.status == status
    assert (await response.json())["error"] == {403: "forbidden", 404: "not_found"}[status]
    assert inbox.received == [] and inbox.receipts == [] and gateway.requests == []


async def test_a_signed_but_malformed_message_is_named(webhooks):
    client, inbox = webhooks
    response = await _post(client, "/webhooks/sms/vnpt/inbound", {"from": "12", "text": "x", "id": "1"})
    assert response.status == 422 and (await response.json())["field"] == "from"
    response = await _post(client, "/webhooks/sms/vnpt/inbound", {"from": "0912345678", "text": "x"})
    assert response.status == 422 and (await response.json())["field"] == "id"
    assert inbox.received == []


@pytest.mark.parametrize(("word", "expected"), [
    ("DELIVRD", D.DELIVERED), ("delivered", D.DELIVERED), ("UNDELIV", D.TEMPORARY_FAILURE),
    ("REJECTD", D.PERMANENT_FAILURE), ("ENROUTE", D.SENDING),
])
async def test_delivery_reports_become_receipts(webhooks, word, expected):
    client, inbox = webhooks
    response = await _post(client, "/webhooks/sms/vnpt/status", {"id": "vnpt-7", "status": word, "error": None})
    assert response.status == 204
    assert inbox.receipts == [("vnpt", "vnpt-7", expected, None)]
