"""The email channel against a real SMTP server (aiosmtpd) started here: what
the server received, byte for byte, and what the receiver hands the inbox."""

from __future__ import annotations

import asyncio
import re
import ssl
import subprocess
from email.message import EmailMessage

import aiosmtplib
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from channels.email import SmtpProvider
from channels.email_inbound import EmailReceiver
from channels.inbound import RecordingInbox
from channels.port import Outgoing, Sent
from hub.settings import Settings
from models.citizen import Channel
from models.errors import PermanentError, ProviderRefused, RetryableError
from models.messages import Button, Reply
from models.notifications import DeliveryStatus
from tests.support.server import free_port
from tests.support.smtp import DOMAIN, CountingController, Sink, dsn, parse  # noqa: F401  (start_server: conftest)

pytestmark = pytest.mark.timeout(60)

SENDER = f"Tổng đài Hành chính công <no-reply@{DOMAIN}>"
SUBJECT = "Hồ sơ HS-2026-000123: Yêu cầu bổ sung giấy tờ — hạn 15/01/2026"
TEXT = "Kính gửi ông Nguyễn Văn Đức,\nHồ sơ của ông cần bổ sung bản sao căn cước công dân.\nTrân trọng."
HTML = "<p>Kính gửi ông <b>Nguyễn Văn Đức</b>,</p><p>Hồ sơ cần bổ sung giấy tờ.</p>"
USER, PASSWORD = "tongdai", "đúng-mật-khẩu"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def client_tls(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certificate[0])


@pytest.fixture
async def make_provider():
    made: list[SmtpProvider] = []

    def make(port: int, **kwargs) -> SmtpProvider:
        options = {
            "host": "127.0.0.1",
            "port": port,
            "tls": "none",
            "timeout": 5.0,
            "pool_size": 4,
            "sender": SENDER,
            "message_id_domain": DOMAIN,
        } | kwargs
        provider = SmtpProvider(**options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.close()


def outgoing(attempt_id: str = "a1b2c3", address: str = "duc.nguyen@example.vn", **kwargs) -> Outgoing:
    fields = {"subject": SUBJECT, "html": HTML, "unsubscribe_url": "https://tongdai.example.gov.vn/u/tok123"} | kwargs
    return Outgoing(attempt_id=attempt_id, channel=Channel.EMAIL, address=address, text=TEXT, **fields)


# --- out -----------------------------------------------------------------------


async def test_message_on_the_wire(start_server, make_provider):
    server = await start_server()
    provider = make_provider(server.port)

    sent = await provider.send(outgoing())

    assert sent == Sent(provider_ref=f"<a1b2c3@{DOMAIN}>", status=DeliveryStatus.SENT)
    [raw] = server.handler.messages
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    header_block.decode("ascii")  # RFC 2047: no raw 8-bit bytes in the headers
    assert b"=?utf-8?" in header_block
    mail = parse(raw)
    assert str(mail["Subject"]) == SUBJECT
    assert mail["From"].addresses[0].display_name == "Tổng đài Hành chính công"
    assert mail["From"].addresses[0].addr_spec == f"no-reply@{DOMAIN}"
    assert mail["Message-ID"] == f"<a1b2c3@{DOMAIN}>"
    assert mail["List-Unsubscribe"] == "<https://tongdai.example.gov.vn/u/tok123>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == TEXT
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == HTML


async def test_text_only_and_no_unsubscribe(start_server, make_provider):
    server = await start_server()
    provider = make_provider(server.port)

    await provider.send(outgoing(html=None, unsubscribe_url=None))

    mail = parse(server.handler.messages[0])
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == TEXT
    assert "List-Unsubscribe" not in mail and "List-Unsubscribe-Post" not in mail


async def test_a_resent_attempt_keeps_its_message_id(start_server, make_provider):
    server = await start_server()
    provider = make_provider(server.port)

    first = await provider.send(outgoing("attempt-7"))
    second = await provider.send(outgoing("attempt-7"))

    assert first.provider_ref == second.provider_ref == f"<attempt-7@{DOMAIN}>"
    assert [parse(raw)["Message-ID"] for raw in server.handler.messages] == [first.provider_ref] * 2


async def test_starttls_and_auth(start_server, make_provider, server_tls, client_tls):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        # Anything but handled=False on failure leaves the client waiting.
        return AuthResult(success=True) if ok else AuthResult(success=False, handled=False)

    server = await start_server(tls_context=server_tls, require_starttls=True, authenticator=authenticator)
    provider = make_provider(server.port, tls="starttls", username=USER, password=PASSWORD, tls_context=client_tls)

    await provider.send(outgoing())

    assert server.handler.sessions == [(True, True)]
    assert str(parse(server.handler.messages[0])["Subject"]) == SUBJECT

    wrong = make_provider(server.port, tls="starttls", username=USER, password="sai", tls_context=client_tls)
    with pytest.raises(ProviderRefused) as caught:
        await wrong.send(outgoing("a2"))
    # The operator's credentials, not the citizen's address: refused, so the
    # notifier falls back to another channel instead of waiting for a fix.
    assert not isinstance(caught.value, RetryableError)
    assert caught.value.provider == "smtp"
    assert len(server.handler.messages) == 1


async def test_a_refused_sender_address_is_provider_refused(start_server, make_provider):
    server = await start_server()
    server.handler.refuse_sender = "553 5.7.1 Sender address rejected: not owned by user"
    with pytest.raises(ProviderRefused):
        await make_provider(server.port).send(outgoing())
    server.handler.refuse_sender = "451 4.3.0 Try again later"
    with pytest.raises(RetryableError):
        await make_provider(server.port).send(outgoing("a2"))
    assert server.handler.messages == []


async def test_starttls_refuses_an_unknown_certificate(start_server, make_provider, server_tls):
    server = await start_server(tls_context=server_tls, require_starttls=True)
    provider = make_provider(server.port, tls="starttls")  # the system's CAs: the self-signed cert fails

    with pytest.raises(RetryableError):
        await provider.send(outgoing())
    assert server.handler.messages == []


async def test_implicit_tls(start_server, make_provider, server_tls, client_tls):
    server = await start_server(ssl_context=server_tls)
    provider = make_provider(server.port, tls="implicit", tls_context=client_tls)

    await provider.send(outgoing())

    assert str(parse(server.handler.messages[0])["Subject"]) == SUBJECT


@pytest.mark.parametrize(
    "reply, error",
    [
        ("550 5.1.1 No such user", PermanentError),
        ("553 5.1.3 Bad address syntax", PermanentError),
        ("451 4.3.0 Try again later", RetryableError),
        ("452 4.2.2 Mailbox full", RetryableError),
    ],
)
async def test_recipient_refused(start_server, make_provider, reply, error):
    handler = Sink()
    handler.refuse["gone@example.vn"] = reply
    server = await start_server(handler)
    provider = make_provider(server.port)

    with pytest.raises(error) as caught:
        await provider.send(outgoing(address="gone@example.vn"))
    assert reply.split()[0] in str(caught.value)
    # The session survives a refusal and carries the next message.
    await provider.send(outgoing("next"))
    assert provider.connections_opened == 1


async def test_data_refused(start_server, make_provider):
    handler = Sink()
    server = await start_server(handler)
    provider = make_provider(server.port)

    handler.data_reply = "554 5.6.0 Message rejected"
    with pytest.raises(PermanentError):
        await provider.send(outgoing())
    handler.data_reply = "451 4.7.1 Greylisted"
    with pytest.raises(RetryableError):
        await provider.send(outgoing())


async def test_connection_refused_is_retryable(make_provider):
    provider = make_provider(free_port())
    with pytest.raises(RetryableError):
        await provider.send(outgoing())


async def test_a_silent_server_times_out_as_retryable(make_provider):
    silent = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    try:
        provider = make_provider(silent.sockets[0].getsockname()[1], timeout=0.2)
        with pytest.raises(RetryableError):
            await provider.send(outgoing())
    finally:
        silent.close()
        await silent.wait_closed()


async def test_connections_are_reused(start_server, make_provider):
    server = await start_server()
    provider = make_provider(server.port, pool_size=4)

    for i in range(5):
        await provider.send(outgoing(f"one-by-one-{i}"))
    results = await provider.send_many([outgoing(f"bulk-{i}", address=f"citizen{i}@example.vn") for i in range(20)])

    assert all(isinstance(r, Sent) for r in results)
    assert [r.provider_ref for r in results] == [f"<bulk-{i}@{DOMAIN}>" for i in range(20)]
    assert len(server.handler.messages) == 25
    assert server.connections < 25
    assert server.connections <= 4
    assert provider.connections_opened == server.connections


async def test_send_many_reports_each_message(start_server, make_provider):
    handler = Sink()
    handler.refuse["gone@example.vn"] = "550 5.1.1 No such user"
    handler.refuse["later@example.vn"] = "450 4.2.1 Try later"
    server = await start_server(handler)
    provider = make_provider(server.port, pool_size=2)
    addresses = ["a@example.vn", "gone@example.vn", "b@example.vn", "later@example.vn", "c@example.vn"]

    results = await provider.send_many([outgoing(f"m{i}", address=a) for i, a in enumerate(addresses)])

    assert [type(r) for r in results] == [Sent, PermanentError, Sent, RetryableError, Sent]
    assert len(handler.messages) == 3


async def test_a_dead_pooled_connection_is_replaced(start_server, make_provider):
    first = await start_server()
    provider = make_provider(first.port)
    await provider.send(outgoing("before"))

    # The server goes away and comes back: the pooled session is dead.
    await asyncio.to_thread(first.stop)
    second = await start_server(port=first.port)
    await provider.send(outgoing("after"))

    assert [parse(raw)["Message-ID"] for raw in second.handler.messages] == [f"<after@{DOMAIN}>"]
    assert provider.connections_opened == 2


async def test_close_logs_out(start_server, make_provider):
    server = await start_server()
    provider = make_provider(server.port)
    await provider.send(outgoing())
    await provider.close()
    await provider.send(outgoing("again"))  # a closed pool opens a new session when used again
    assert provider.connections_opened == 2 == server.connections


async def test_addresses_and_header_values_are_made_safe(start_server, make_provider):
    server = await start_server()
    long_name = "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế"
    provider = make_provider(server.port, sender=f"{long_name} <no-reply@{DOMAIN}>")

    await provider.send(outgoing(address="an@bưuđiện.vn", subject="Thông báo\r\nBcc: attacker@example.com"))
    with pytest.raises(PermanentError):
        await provider.send(outgoing(address="nguyễn@example.vn"))
    with pytest.raises(PermanentError):
        await provider.send(outgoing(address="not an address"))

    [raw] = server.handler.messages
    mail = parse(raw)
    assert mail["To"] == "an@xn--buin-1ua66gr30m.vn"
    assert str(mail["Subject"]) == "Thông báo Bcc: attacker@example.com"
    assert "Bcc" not in mail
    assert " ".join(mail["From"].addresses[0].display_name.split()) == long_name
    # RFC 2047: no encoded word longer than 75 characters.
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(word) <= 75 for word in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", header_block))


def test_from_settings():
    assert SmtpProvider.from_settings(Settings()) is None
    provider = SmtpProvider.from_settings(
        Settings(
            smtp_host="relay.example.gov.vn",
            smtp_tls="implicit",
            smtp_port=465,
            smtp_inbound_domain="hcc.example.gov.vn",
        )
    )
    assert (provider.host, provider.port, provider.tls) == ("relay.example.gov.vn", 465, "implicit")
    assert provider.message_id("x1") == "<x1@hcc.example.gov.vn>"
    with pytest.raises(ValueError):
        SmtpProvider(host="h", tls="ssl")


def test_an_unusable_attempt_id_is_permanent():
    provider = SmtpProvider(host="h", message_id_domain=DOMAIN)
    with pytest.raises(PermanentError):
        provider.message_id("bad id<>@x")


# --- in ------------------------------------------------------------------------

CITIZEN_REPLY = """\
Tôi đã nộp bổ sung bản sao CCCD tại bộ phận một cửa sáng nay.
> Hồ sơ của ông cần bổ sung giấy tờ.
Xin cho biết khi nào có kết quả ạ?

Vào Th 2, 5 thg 1, 2026 vào lúc 09:00 Tổng đài Hành chính công <no-reply@tongdai.example.gov.vn> đã viết:
> Kính gửi ông Nguyễn Văn Đức,
> Hồ sơ của ông cần bổ sung bản sao căn cước công dân.
"""
CITIZEN_TEXT = "Tôi đã nộp bổ sung bản sao CCCD tại bộ phận một cửa sáng nay.\nXin cho biết khi nào có kết quả ạ?"


def citizen_mail(**headers) -> bytes:
    mail = EmailMessage()
    mail["From"] = '"Nguyễn Văn Đức" <Duc.Nguyen@Example.VN>'
    mail["To"] = f"no-reply@{DOMAIN}"
    mail["Subject"] = "Re: Hồ sơ HS-2026-000123: Yêu cầu bổ sung giấy tờ"
    mail["Message-ID"] = "<CAF=reply-1@mail.example.vn>"
    mail["In-Reply-To"] = f"<att-2@{DOMAIN}>"
    mail["References"] = f"<att-1@{DOMAIN}> <att-2@{DOMAIN}>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(CITIZEN_REPLY)
    return mail.as_bytes()


@pytest.fixture
async def receiver():
    started: list[EmailReceiver] = []

    async def start(inbox, **kwargs) -> EmailReceiver:
        receiver = EmailReceiver(inbox, host="127.0.0.1", port=free_port(), domain=DOMAIN.upper(), **kwargs)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


async def deliver(
    receiver: EmailReceiver, raw: bytes, sender: str = "duc.nguyen@example.vn", to: str = f"no-reply@{DOMAIN}"
):
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=receiver.port, timeout=10) as client:
        return await client.sendmail(sender, [to], raw)


async def test_a_citizen_reply_reaches_the_inbox(receiver):
    inbox = RecordingInbox()
    server = await receiver(inbox)

    await deliver(server, citizen_mail())

    # The relay's 250 came after the inbox had it: no waiting needed.
    [incoming] = inbox.received
    assert incoming.channel is Channel.EMAIL
    assert incoming.address == "duc.nguyen@example.vn"
    assert incoming.name == "Nguyễn Văn Đức"
    assert incoming.subject == "Re: Hồ sơ HS-2026-000123: Yêu cầu bổ sung giấy tờ"
    assert incoming.text == CITIZEN_TEXT
    assert incoming.provider_message_id == "<CAF=reply-1@mail.example.vn>"
    assert incoming.references == (f"<att-2@{DOMAIN}>", f"<att-1@{DOMAIN}>")


async def test_bounces_become_receipts(receiver):
    inbox = RecordingInbox()
    server = await receiver(inbox)

    await deliver(server, dsn("5.1.1", "550 5.1.1 <gone@example.vn>: Recipient address rejected"), sender="")
    await deliver(
        server, dsn("4.2.2", "452 4.2.2 Mailbox full", headers_only=True, original=f"<att-10@{DOMAIN}>"), sender=""
    )

    assert inbox.received == []
    (provider, ref, status, error), (provider2, ref2, status2, error2) = inbox.receipts
    assert (provider, ref, status) == ("smtp", f"<att-9@{DOMAIN}>", DeliveryStatus.PERMANENT_FAILURE)
    assert "5.1.1" in error and "Recipient address rejected" in error
    assert (provider2, ref2, status2) == ("smtp", f"<att-10@{DOMAIN}>", DeliveryStatus.TEMPORARY_FAILURE)
    assert "Mailbox full" in error2


async def test_automatic_mail_is_dropped(receiver):
    inbox = RecordingInbox()
    server = await receiver(inbox)

    await deliver(server, citizen_mail(Auto_Submitted="auto-replied"))
    await deliver(server, citizen_mail(X_Autoreply="yes"))
    await deliver(server, citizen_mail(), sender="")  # a null sender, and not a DSN

    assert inbox.received == [] and inbox.receipts == []


async def test_mail_for_another_domain_is_refused(receiver):
    inbox = RecordingInbox()
    server = await receiver(inbox)

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as caught:
        await deliver(server, citizen_mail(), to="someone@example.com")
    assert caught.value.recipients[0].code == 550
    assert inbox.received == []


async def test_an_inbox_failure_makes_the_relay_retry(receiver):
    class Broken(RecordingInbox):
        async def receive(self, message):
            raise RuntimeError("store unavailable")

    server = await receiver(Broken())

    with pytest.raises(aiosmtplib.SMTPDataError) as caught:
        await deliver(server, citizen_mail())
    assert caught.value.code == 451


async def test_immediate_replies_go_back_by_email(receiver, start_server, make_provider):
    outbound = await start_server()
    inbox = RecordingInbox(
        answer=lambda m: [Reply("Hồ sơ HS-2026-000123 đang được xử lý.", buttons=(Button("Gặp cán bộ", "agent"),))]
    )
    server = await receiver(inbox, replier=make_provider(outbound.port))

    await deliver(server, citizen_mail())
    await server.stop()  # waits for replies in flight

    [raw] = outbound.handler.messages
    reply = parse(raw)
    assert reply["To"] == "duc.nguyen@example.vn"
    assert reply["In-Reply-To"] == "<CAF=reply-1@mail.example.vn>"
    assert str(reply["Subject"]) == "Re: Hồ sơ HS-2026-000123: Yêu cầu bổ sung giấy tờ"
    assert (
        reply.get_content().replace("\r\n", "\n").rstrip() == "Hồ sơ HS-2026-000123 đang được xử lý.\n\n1. Gặp cán bộ"
    )


def test_receiver_from_settings():
    inbox = RecordingInbox()
    assert EmailReceiver.from_settings(Settings(), inbox) is None
    receiver = EmailReceiver.from_settings(Settings(smtp_inbound_host="127.0.0.1", smtp_inbound_domain="A.vn"), inbox)
    assert (receiver.host, receiver.port, receiver.domain) == ("127.0.0.1", 2525, "a.vn")
