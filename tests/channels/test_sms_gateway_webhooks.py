"""What a generic SMS gateway posts to us, signed: citizens' messages, whose
replies go back through the gateway, and delivery reports."""

from __future__ import annotations

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from channels.inbound import RecordingInbox
from channels.sms_gateway import GatewaySmsProvider
from channels.sms_gateway_webhooks import gateway_routes, sign
from hub.api.errors import json_errors
from models.citizen import Channel
from models.messages import Button, Reply
from models.notifications import DeliveryStatus as D
from tests.support.sms_gateway import SECRET, config

PHONE = "+84912345678"


def _answer(message):
    if message.text == "MENU":
        return [Reply("Chọn:", (Button("Tra cứu", "lookup"), Button("Gặp cán bộ", "agent")))]
    return []


@pytest.fixture
async def webhooks(gateway, gateway_provider):
    inbox = RecordingInbox(_answer)
    unsigned = GatewaySmsProvider({**config(gateway.url), "name": "viettel", "inbound_secret": ""})
    app = web.Application(middlewares=[json_errors])
    app.add_routes(gateway_routes(inbox, [gateway_provider, unsigned]))
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


@pytest.mark.parametrize(
    ("path", "secret", "signature", "status"),
    [
        ("/webhooks/sms/vnpt/inbound", "not-the-secret", None, 403),
        ("/webhooks/sms/vnpt/inbound", None, None, 403),
        ("/webhooks/sms/vnpt/inbound", None, "sha256=" + "0" * 64, 403),
        ("/webhooks/sms/viettel/inbound", "", None, 403),  # no secret configured: nobody is trusted
        ("/webhooks/sms/mobifone/inbound", SECRET, None, 404),
        ("/webhooks/sms/vnpt/status", "not-the-secret", None, 403),
    ],
)
async def test_unsigned_or_unknown_is_refused_and_touches_nothing(webhooks, gateway, path, secret, signature, status):
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


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("DELIVRD", D.DELIVERED),
        ("delivered", D.DELIVERED),
        ("UNDELIV", D.TEMPORARY_FAILURE),
        ("REJECTD", D.PERMANENT_FAILURE),
        ("ENROUTE", D.SENDING),
    ],
)
async def test_delivery_reports_become_receipts(webhooks, word, expected):
    client, inbox = webhooks
    response = await _post(client, "/webhooks/sms/vnpt/status", {"id": "vnpt-7", "status": word, "error": None})
    assert response.status == 204
    assert inbox.receipts == [("vnpt", "vnpt-7", expected, None)]
