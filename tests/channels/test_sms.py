"""Twilio SMS against Prism serving Twilio's own OpenAPI description, Twilio's
webhooks signed by the SDK's own validator, and the health-weighted failover."""

from __future__ import annotations

import asyncio
import random
import xml.etree.ElementTree as ET

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from channels import sms
from channels.inbound import RecordingInbox
from channels.port import Limit, Outgoing, Provider, Sent
from channels.sms import INBOUND_PATH, STATUS_PATH, TwilioSmsProvider, e164, twilio_routes
from channels.sms_failover import FailoverSms
from channels.sms_status import retry_after
from hub.api.errors import json_errors
from hub.settings import Settings
from models.citizen import Channel
from models.errors import PermanentError, ProviderRefused, RetryableError
from models.messages import Button, Reply
from models.notifications import DeliveryStatus as D
from tests.support.clock import FakeClock

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-test-auth-token"
PUBLIC = "https://tongdai.example.gov.vn"
PHONE = "+84912345678"
TEXT = "Hồ sơ 000.00.01.H12-240101-0001 đã được tiếp nhận. Tra cứu: TRACUU <mã> <4 số cuối>."


def outgoing(text: str = TEXT, address: str = PHONE, attempt: str = "att-1") -> Outgoing:
    return Outgoing(attempt_id=attempt, channel=Channel.SMS, address=address, text=text)


# sending, against Prism


async def test_a_vietnamese_sms_is_accepted_by_twilio(prism):
    provider = TwilioSmsProvider(SID, TOKEN, "+15005550006", public_url=PUBLIC, base_url=prism)
    await provider.start()
    try:
        sent = await provider.send(outgoing())
    finally:
        await provider.close()
    assert sent.provider_ref.startswith("SM") and len(sent.provider_ref) == 34
    assert sent.status is D.SENT


async def test_a_messaging_service_sender_is_accepted(prism):
    provider = TwilioSmsProvider(SID, TOKEN, "MG" + "ab" * 16, public_url=PUBLIC, base_url=prism)
    try:
        sent = await provider.send(outgoing(address="0912 345 678"))
    finally:
        await provider.close()
    assert sent.provider_ref.startswith("SM")


async def test_a_request_that_breaks_twilios_schema_is_permanent(prism):
    provider = TwilioSmsProvider("AC-not-a-sid", TOKEN, "+15005550006", public_url=PUBLIC, base_url=prism)
    try:
        with pytest.raises(PermanentError) as caught:
            await provider.send(outgoing())
    finally:
        await provider.close()
    assert not isinstance(caught.value, RetryableError)
    assert "422" in str(caught.value)


async def test_credentials_twilio_refuses_are_provider_refused(prism, monkeypatch):
    # Prism accepts any well-formed Basic credentials; without any it answers
    # the 401 Twilio gives for credentials it does not know.
    original = sms._HttpClient.request

    async def without_auth(self, method, url, params=None, data=None, headers=None, auth=None, **kwargs):
        return await original(self, method, url, params, data, headers, None, **kwargs)

    monkeypatch.setattr(sms._HttpClient, "request", without_auth)
    provider = TwilioSmsProvider(SID, TOKEN, "+15005550006", public_url=PUBLIC, base_url=prism)
    try:
        with pytest.raises(ProviderRefused) as caught:
            await provider.send(outgoing())
    finally:
        await provider.close()
    assert caught.value.provider == "twilio"
    assert "401" in str(caught.value)


async def test_a_number_that_is_not_vietnamese_is_refused_before_calling_twilio():
    provider = TwilioSmsProvider(SID, TOKEN, "+15005550006", public_url=PUBLIC, base_url="http://127.0.0.1:9")
    with pytest.raises(PermanentError, match="không hợp lệ"):
        await provider.send(outgoing(address="12345"))
    assert e164("0912.345.678") == PHONE


# error mapping, against a stub that answers what Prism cannot be made to


@pytest.fixture
async def twilio_stub():
    answers: list[web.Response] = []
    seen: list[dict] = []

    async def create(request: web.Request) -> web.Response:
        seen.append(dict(await request.post()))
        return answers.pop(0)

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", create)
    async with TestServer(app) as server:
        provider = TwilioSmsProvider(
            SID, TOKEN, "UBND-TINH", public_url=PUBLIC + "/", base_url=str(server.make_url("")), timeout=2
        )
        yield provider, answers, seen
        await provider.close()


def _twilio_error(status: int, code: int, headers: dict | None = None) -> web.Response:
    return web.json_response({"code": code, "message": "nope", "status": status}, status=status, headers=headers)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 21211, PermanentError),
        (400, 21610, PermanentError),
        (400, 21614, PermanentError),
        (401, 20003, ProviderRefused),
        (400, 21408, ProviderRefused),
        (503, 20503, RetryableError),
        (500, 99999, RetryableError),
        (404, 99999, PermanentError),
    ],
)
async def test_twilio_errors_map_to_the_error_tree(twilio_stub, status, code, kind):
    provider, answers, _ = twilio_stub
    answers.append(_twilio_error(status, code))
    with pytest.raises(kind) as caught:
        await provider.send(outgoing())
    assert type(caught.value) is kind


async def test_too_many_requests_is_retried_after_what_twilio_says(twilio_stub):
    provider, answers, seen = twilio_stub
    answers.append(_twilio_error(429, 20429, {"Retry-After": "7"}))
    with pytest.raises(RetryableError) as caught:
        await provider.send(outgoing())
    assert caught.value.retry_after == 7
    assert seen[0]["To"] == PHONE and seen[0]["From"] == "UBND-TINH" and seen[0]["Body"] == TEXT
    assert seen[0]["StatusCallback"] == PUBLIC + STATUS_PATH


async def test_a_timeout_is_retryable(twilio_stub):
    provider, answers, _ = twilio_stub
    provider._timeout = 0.2

    class Slow(web.Response):
        async def prepare(self, request):
            await asyncio.sleep(1)
            return await super().prepare(request)

    answers.append(Slow(status=201))
    with pytest.raises(RetryableError):
        await provider.send(outgoing())


def test_retry_after_takes_seconds_or_a_date():
    from datetime import UTC, datetime

    now = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert retry_after("120") == 120
    assert retry_after("Wed, 01 Jan 2025 00:00:30 GMT", now) == 30
    assert retry_after("soon") is None and retry_after(None) is None


def test_from_settings():
    assert TwilioSmsProvider.from_settings(Settings()) is None
    provider = TwilioSmsProvider.from_settings(
        Settings(
            twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_from="UBND-TINH", rate_limits="sms:twilio=2/s:5"
        )
    )
    assert provider.limits(outgoing()) == [Limit("sms:twilio:UBND-TINH", 2.0, 5)]
    with pytest.raises(ValueError, match="TWILIO_FROM"):
        TwilioSmsProvider.from_settings(Settings(twilio_account_sid=SID, twilio_auth_token=TOKEN))


# webhooks


def _answer(message):
    if message.text.strip().upper() == "MENU":
        return [Reply("Chọn một mục:", (Button("Tra cứu hồ sơ", "lookup"), Button("Gặp cán bộ", "agent")))]
    return []


@pytest.fixture
async def webhooks():
    inbox = RecordingInbox(_answer)
    settings = Settings(public_url=PUBLIC + "/", twilio_account_sid=SID, twilio_auth_token=TOKEN)
    app = web.Application(middlewares=[json_errors])
    app.add_routes(twilio_routes(inbox, settings))
    async with TestClient(TestServer(app)) as client:
        yield client, inbox


def _signed(path: str, params: dict, url: str | None = None) -> dict:
    signature = RequestValidator(TOKEN).compute_signature(url or PUBLIC + path, params)
    return {"X-Twilio-Signature": signature}


INBOUND = {
    "MessageSid": "SM" + "1" * 32,
    "AccountSid": SID,
    "From": PHONE,
    "To": "+15005550006",
    "Body": "MENU",
    "NumMedia": "0",
}


async def test_an_inbound_sms_reaches_the_inbox_and_is_answered_in_twiml(webhooks):
    client, inbox = webhooks
    response = await client.post(INBOUND_PATH, data=INBOUND, headers=_signed(INBOUND_PATH, INBOUND))
    assert response.status == 200
    assert response.content_type == "text/xml"
    [message] = inbox.received
    assert (message.channel, message.address, message.text) == (Channel.SMS, PHONE, "MENU")
    assert message.provider_message_id == INBOUND["MessageSid"]
    [element] = ET.fromstring(await response.text()).findall("Message")  # noqa: S314  our own TwiML reply
    assert element.text.splitlines() == ["Chọn một mục:", "1. Tra cứu hồ sơ", "2. Gặp cán bộ"]


async def test_no_reply_is_an_empty_response(webhooks):
    client, inbox = webhooks
    form = {**INBOUND, "Body": "Xin chào", "From": "0912345678"}
    response = await client.post(INBOUND_PATH, data=form, headers=_signed(INBOUND_PATH, form))
    root = ET.fromstring(await response.text())  # noqa: S314  our own TwiML reply
    assert root.tag == "Response" and list(root) == []
    assert inbox.received[0].address == PHONE


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "Zm9yZ2Vk"},
        # signed for the URL we were reached on rather than the public one Twilio calls
        None,
    ],
)
async def test_a_forged_or_missing_signature_is_refused_and_touches_nothing(webhooks, headers):
    client, inbox = webhooks
    if headers is None:
        headers = _signed(INBOUND_PATH, INBOUND, url=str(client.make_url(INBOUND_PATH)))
    response = await client.post(INBOUND_PATH, data=INBOUND, headers=headers)
    assert response.status == 403
    body = await response.json()
    assert body["error"] == "forbidden" and "chữ ký" in body["message"].lower()
    assert inbox.received == [] and inbox.receipts == []


async def test_a_tampered_body_is_refused(webhooks):
    client, inbox = webhooks
    tampered = {**INBOUND, "Body": "HUY"}
    response = await client.post(INBOUND_PATH, data=tampered, headers=_signed(INBOUND_PATH, INBOUND))
    assert response.status == 403 and inbox.received == []


async def test_without_a_twilio_account_every_webhook_is_refused():
    inbox = RecordingInbox()
    app = web.Application(middlewares=[json_errors])
    app.add_routes(twilio_routes(inbox, Settings(public_url=PUBLIC)))
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    signature = RequestValidator("").compute_signature(PUBLIC + STATUS_PATH, form)
    async with TestClient(TestServer(app)) as client:
        response = await client.post(STATUS_PATH, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status == 403 and inbox.receipts == []


@pytest.mark.parametrize(
    ("status", "code", "expected", "error"),
    [
        ("queued", None, D.QUEUED, None),
        ("sent", None, D.SENT, None),
        ("delivered", None, D.DELIVERED, None),
        ("undelivered", "30003", D.TEMPORARY_FAILURE, "twilio 30003: unreachable handset"),
        ("undelivered", None, D.TEMPORARY_FAILURE, None),
        ("failed", "30005", D.PERMANENT_FAILURE, "twilio 30005: unknown destination handset"),
        ("failed", "30001", D.TECHNICAL_FAILURE, "twilio 30001: queue overflow"),
        ("failed", None, D.TECHNICAL_FAILURE, None),
    ],
)
async def test_status_callbacks_become_receipts(webhooks, status, code, expected, error):
    client, inbox = webhooks
    form = {"MessageSid": "SM" + "2" * 32, "MessageStatus": status, "AccountSid": SID}
    if code:
        form["ErrorCode"] = code
    path = STATUS_PATH + "?attempt=a1"  # Twilio signs the query string too
    response = await client.post(path, data=form, headers=_signed(path, form))
    assert response.status == 204
    assert inbox.receipts == [("twilio", form["MessageSid"], expected, error)]


async def test_a_status_we_do_not_know_is_acknowledged_and_dropped(webhooks):
    client, inbox = webhooks
    form = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "received"}
    response = await client.post(STATUS_PATH, data=form, headers=_signed(STATUS_PATH, form))
    assert response.status == 204 and inbox.receipts == []


# failover


class Fake(Provider):
    channel = Channel.SMS

    def __init__(self, name: str, fail=lambda n: None, limits=()):
        self.name, self.fail, self.calls, self._limits = name, fail, 0, list(limits)

    def limits(self, message):
        return self._limits

    async def send(self, message):
        self.calls += 1
        error = self.fail(self.calls)
        if error is not None:
            raise error
        return Sent(provider_ref=f"{self.name}-{self.calls}")


def _failover(*providers, clock=None, **kwargs) -> FailoverSms:
    return FailoverSms(providers, clock=clock or FakeClock(1000.0), rng=random.Random(7), **kwargs)


async def test_a_healthy_pair_shares_traffic_by_weight():
    a, b = Fake("a"), Fake("b")
    sms = _failover((a, 3.0), (b, 1.0))
    for i in range(400):
        await sms.send(outgoing(attempt=str(i)))
    assert 250 < a.calls < 350 and a.calls + b.calls == 400


async def test_a_provider_failing_half_the_time_loses_half_its_weight():
    clock = FakeClock(1000.0)
    a = Fake("a", lambda n: RetryableError("busy") if n % 2 else None)
    b = Fake("b")
    sms = _failover(a, b, clock=clock)
    for i in range(20):
        sent = await _send_via(sms, a, outgoing(attempt=str(i)))
        assert sent.provider in ("a", "b")
    weights = sms.weights()
    assert weights["b"] == 1.0
    assert 0.45 < weights["a"] < 0.6


async def _send_via(sms: FailoverSms, first, message):
    """Make the failover try `first` first, to give it a known history."""
    sms._planned[message.attempt_id] = sorted(sms._health, key=lambda h: h.provider is not first)
    return await sms.send(message)


async def test_a_failing_provider_gets_no_traffic_and_recovers_after_the_window():
    clock = FakeClock(1000.0)
    broken = True
    a = Fake("a", lambda n: RetryableError("down") if broken else None)
    b = Fake("b")
    sms = _failover(a, b, clock=clock, window=60)
    for i in range(10):
        sent = await _send_via(sms, a, outgoing(attempt=f"x{i}"))
        assert sent.provider == "b"  # the same call moved on to b
    assert sms.weights()["a"] == 0.0
    calls = a.calls
    for i in range(100):
        assert (await sms.send(outgoing(attempt=f"y{i}"))).provider == "b"
    assert a.calls == calls  # all traffic moved to the healthy one

    broken = False
    clock.now += 42  # failures fade: part of the share is back
    assert 0.0 < sms.weights()["a"] < 1.0
    clock.now += 20  # and past the window, all of it
    assert sms.weights() == {"a": 1.0, "b": 1.0}
    for i in range(100):
        await sms.send(outgoing(attempt=f"z{i}"))
    assert a.calls - calls > 25


async def test_a_bad_number_is_not_tried_elsewhere_and_costs_no_health():
    a = Fake("a", lambda n: PermanentError("21211 invalid 'To'"))
    b = Fake("b")
    sms = _failover(a, b)
    with pytest.raises(PermanentError):
        await _send_via(sms, a, outgoing())
    assert b.calls == 0 and sms.weights()["a"] == 1.0


async def test_a_provider_that_refuses_us_is_passed_over():
    a = Fake("a", lambda n: ProviderRefused("401 bad credentials"))
    b = Fake("b")
    sms = _failover(a, b)
    sent = await _send_via(sms, a, outgoing())
    assert (sent.provider, sent.provider_ref) == ("b", "b-1")
    assert sms.weights()["a"] < 1.0


async def test_when_all_fail_the_soonest_retry_wins():
    a = Fake("a", lambda n: RetryableError("429", retry_after=30))
    b = Fake("b", lambda n: RetryableError("503", retry_after=5))
    with pytest.raises(RetryableError) as caught:
        await _failover(a, b).send(outgoing())
    assert caught.value.retry_after == 5 and a.calls == b.calls == 1

    refused = _failover(Fake("c", lambda n: ProviderRefused("402")), Fake("d", lambda n: ProviderRefused("401")))
    with pytest.raises(ProviderRefused):
        await refused.send(outgoing())


async def test_the_provider_whose_rate_limit_paid_is_the_one_that_sends():
    a = Fake("a", limits=[Limit("sms:a:X", 1, 1)])
    b = Fake("b", limits=[Limit("sms:b:X", 1, 1)])
    sms = _failover(a, b)
    for i in range(20):
        message = outgoing(attempt=str(i))
        [limit] = sms.limits(message)
        sent = await sms.send(message)
        assert limit.key == f"sms:{sent.provider}:X"
