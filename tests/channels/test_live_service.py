"""The whole service configured with its real adapters, each talking to a
real peer: mail to aiosmtpd and bounces back through our SMTP receiver, SMS
through Twilio's API as Prism serves it, Telegram through the Bot API
emulator. A dossier event reaches the citizen, a bounce moves the message to
the next channel, and what citizens write on each channel is answered and
kept as conversations."""

from __future__ import annotations

import functools
import hashlib

import aiohttp
import aiosmtplib
import pytest
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from hub.app import SERVICE, create_app
from hub.keys import BUS, STORE
from hub.settings import Settings
from tests.support import waiting
from tests.support.server import free_port
from tests.support.smtp import Sink, parse
from tests.support.telegram_peer import AnswerGetMe, read_until, user_writes

pytestmark = pytest.mark.timeout(120)

CODE = "BD-261128-0042"
TOKEN = "ab" * 16
SID = "AC" + "0" * 32
PUBLIC = "https://tongdai.example.gov.vn"
CHAT = 5550042
KEY = "tdk_live_test_key"


@pytest.fixture
async def service(tmp_path, start_server, prism, emulator):
    sink = Sink()
    smtp = await start_server(sink)
    inbound_port = free_port()
    bot_token = f"{CHAT + 1}:LIVE-token"
    settings = Settings(
        data_dir=tmp_path,
        public_url=PUBLIC,
        bus_poll_seconds=0.05,
        quiet_hours="00:00-00:00",
        notify_max_event_age_hours=0,  # the events' dates are fixed
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        smtp_from="Tổng đài <no-reply@tongdai.test>",
        smtp_inbound_host="127.0.0.1",
        smtp_inbound_port=inbound_port,
        smtp_inbound_domain="tongdai.test",
        twilio_account_sid=SID,
        twilio_auth_token=TOKEN,
        twilio_from="+15005550006",
        twilio_base_url=prism,
        telegram_bot_token=bot_token,
        telegram_api_url=emulator,
        telegram_mode="polling",
    )
    app = await create_app(settings)
    for service in app[SERVICE].adapters.services:
        if hasattr(service, "bot"):
            service.bot.session.middleware(AnswerGetMe())  # the emulator's getMe quirk
    async with TestClient(TestServer(app)) as client:
        await client.app[STORE].add_api_key("live", hashlib.sha256(KEY.encode()).hexdigest())
        yield client, sink, inbound_port, bot_token, emulator


async def settle(client) -> None:
    for _ in range(3):
        await client.app[BUS].wait_idle()
        await client.app[SERVICE].notifier.sender.wait_idle()


eventually = functools.partial(waiting.eventually, within=20.0, interval=0.05)


AUTH = {"Authorization": f"Bearer {KEY}"}
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Phú Lợi",
    "received_at": "2026-11-28T08:00:00+07:00",
    "due_at": "2026-12-05T17:00:00+07:00",
    "applicant": {
        "full_name": "Lê Thị Hồng",
        "phone": "0912345042",
        "email": "hong@example.vn",
        "telegram_chat_id": CHAT,
        "preferred_channels": ["email", "sms", "telegram"],
        "consents": [{"channel": c, "granted": True} for c in ("email", "sms", "telegram")],
    },
}


async def relay(port: int, sender: str, recipient: str, data: bytes) -> None:
    """As the organisation's mail relay hands a message on (a bounce has the null sender)."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as smtp:
        errors, reply = await smtp.sendmail(sender, [recipient], data)
        assert not errors, errors


def bounce_for(message_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@relay.example.vn>\r\n"
        "To: no-reply@tongdai.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@relay.example.vn>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example.vn\r\n\r\n"
        "Final-Recipient: rfc822; hong@example.vn\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n"
        "Subject: =?utf-8?q?H=E1=BB=93_s=C6=A1?=\r\n--B--\r\n"
    ).encode()


async def test_a_status_change_goes_out_by_mail_and_a_bounce_moves_it_to_sms(service):
    client, sink, inbound_port, *_ = service
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=AUTH)).status == 201
    response = await client.post(
        f"/api/v1/dossiers/{CODE}/events",
        headers=AUTH,
        json={
            "event_id": "live-1",
            "status": "supplement_requested",
            "at": "2026-11-28T10:00:00+07:00",
            "actor": "Một cửa",
            "note": "- Bản sao CCCD của mẹ",
        },
    )
    assert response.status == 201
    await settle(client)
    mails = [parse(raw) for raw in sink.messages]
    supplement = next(m for m in mails if "Bản sao CCCD của mẹ" in m.get_body(("plain",)).get_content())
    assert supplement["To"] == "hong@example.vn" and CODE in supplement["Subject"]
    assert supplement["List-Unsubscribe"].strip().startswith(f"<{PUBLIC}/unsubscribe/")  # folded: long URL

    # The relay bounces it: our receiver hears of it, and the SMS goes out through Twilio.
    await relay(inbound_port, "", "bounces@tongdai.test", bounce_for(supplement["Message-ID"]))

    async def moved_to_sms():
        await settle(client)
        listed = await (await client.get("/api/v1/notifications", params={"dossier": CODE}, headers=AUTH)).json()
        mine = next(n for n in listed["notifications"] if n["source_event_id"] == "live-1")
        return mine if mine["channel"] == "sms" and mine["status"] == "sent" else None

    notification = await eventually(moved_to_sms)
    email_attempt, sms_attempt = notification["attempts"]
    assert (email_attempt["provider"], email_attempt["status"]) == ("smtp", "permanent_failure")
    assert "5.1.1" in email_attempt["error"]
    assert sms_attempt["provider"] == "twilio" and sms_attempt["provider_ref"].startswith("SM")

    # Twilio's receipt, signed as Twilio signs it, makes it delivered.
    form = {"MessageSid": sms_attempt["provider_ref"], "MessageStatus": "delivered", "AccountSid": SID}
    url = PUBLIC + "/webhooks/twilio/sms/status"
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    assert (
        await client.post("/webhooks/twilio/sms/status", data=form, headers={"X-Twilio-Signature": signature})
    ).status == 204
    forged = await client.post(
        "/webhooks/twilio/sms/status",
        data={**form, "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": signature},
    )
    assert forged.status == 403

    async def delivered():
        await settle(client)
        listed = await (await client.get("/api/v1/notifications", params={"dossier": CODE}, headers=AUTH)).json()
        mine = next(n for n in listed["notifications"] if n["source_event_id"] == "live-1")
        return mine["status"] == "delivered"

    await eventually(delivered)


async def test_citizens_write_on_every_channel_and_are_answered(service):
    client, sink, inbound_port, bot_token, emulator_url = service  # noqa: F811
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=AUTH)).status == 201

    async def assistant_ready():
        return client.app[SERVICE].assistant.ready

    # Telegram: the applicant's chat asks for the status with the keyword command.
    async with aiohttp.ClientSession() as http:
        user = {"id": CHAT, "is_bot": False, "first_name": "Hồng"}
        await user_writes(http, emulator_url, bot_token, f"/tracuu {CODE} 5042", user=user)
        [answer] = await read_until(http, emulator_url, bot_token, CHAT, 1)
        assert answer["text"].startswith(f"Hồ sơ {CODE} (Đăng ký khai sinh)")
        # A question in her own words goes to the assistant, which answers from the knowledge file.
        await eventually(assistant_ready, within=60)
        await user_writes(http, emulator_url, bot_token, "trung tâm làm việc mấy giờ vậy ạ", user=user)
        [hours] = await read_until(http, emulator_url, bot_token, CHAT, 1)
    assert "thứ Hai" in hours["text"] and "7:30" in hours["text"]

    # SMS through Twilio's inbound webhook: the reply comes back as TwiML.
    form = {
        "MessageSid": "SM" + "1" * 32,
        "From": "+84912345042",
        "To": "+15005550006",
        "Body": "HUY",
        "AccountSid": SID,
    }
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/webhooks/twilio/sms/inbound", form)
    response = await client.post("/webhooks/twilio/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status == 200 and "Đã dừng gửi thông báo qua tin nhắn SMS" in await response.text()
    unsigned = await client.post("/webhooks/twilio/sms/inbound", data={**form, "MessageSid": "SM2"})
    assert unsigned.status == 403

    # Email: a question by mail is stored and answered by the assistant, by mail, threaded.
    question = (
        f"From: =?utf-8?b?{'Lê Thị Hồng'.encode().hex()}?= <hong@example.vn>\r\n"
        "To: hotro@tongdai.test\r\nSubject: =?utf-8?q?H=E1=BB=8Fi_v=E1=BB=81_h=E1=BB=93_s=C6=A1?= "
        f"{CODE}\r\nMessage-ID: <q1@example.vn>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Bao giờ có kết quả ạ?\r\n"
    ).encode()
    before = len(sink.messages)
    await relay(inbound_port, "hong@example.vn", "hotro@tongdai.test", question)

    async def acknowledged():
        return len(sink.messages) > before

    await eventually(acknowledged)
    ack = parse(sink.messages[-1])
    assert ack["In-Reply-To"] == "<q1@example.vn>" and ack["Subject"].startswith("Re: ")
    assert "Ông/Bà" in ack.get_body(("plain",)).get_content()

    # One citizen across the three channels; conversations listed with masked addresses.
    listed = (await (await client.get("/api/v1/conversations", headers=AUTH)).json())["conversations"]
    assert {c["channel"] for c in listed} == {"telegram", "sms", "email"}
    assert len({c["citizen_id"] for c in listed}) == 1
    by_channel = {c["channel"]: c for c in listed}
    assert by_channel["email"]["dossier_code"] == CODE and by_channel["telegram"]["dossier_code"] == CODE
    assert "0912345042" not in str(listed) and "+84912345042" not in str(listed)
    consents = await (await client.get(f"/api/v1/citizens/{listed[0]['citizen_id']}/consents", headers=AUTH)).json()
    assert consents["current"]["sms"] is False and consents["current"]["telegram"] is True
