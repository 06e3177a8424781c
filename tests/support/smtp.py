"""A real SMTP server (aiosmtpd) for tests: a handler that keeps what it is
given, and a fixture that starts servers on free ports and stops them."""

from __future__ import annotations

import asyncio
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from tests.support.server import free_port


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


DOMAIN = "tongdai.example.gov.vn"


class Sink:
    """An aiosmtpd handler that keeps what it is given, refusing on request."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.sessions: list[tuple[bool | None, bool]] = []  # (authenticated, over TLS)
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply
        self.data_reply: str | None = None
        self.refuse_sender: str | None = None  # the reply to MAIL FROM, when set

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append(envelope.original_content or envelope.content)
        self.sessions.append((session.authenticated, session.ssl is not None))
        return "250 OK"


class CountingController(Controller):
    """Counts TCP connections: aiosmtpd builds one SMTP protocol per connection."""

    connections = 0

    def factory(self):
        self.connections += 1
        return super().factory()


@pytest.fixture
async def start_server():
    started: list[Controller] = []

    async def start(handler=None, port: int | None = None, **kwargs) -> CountingController:
        controller = CountingController(handler or Sink(), hostname="127.0.0.1", port=port or free_port(), **kwargs)
        await asyncio.to_thread(controller.start)
        controller.connections = 0  # not the start-up probe
        started.append(controller)
        return controller

    yield start
    for controller in started:
        if controller._thread is not None:
            await asyncio.to_thread(controller.stop)


def dsn(status: str, diagnostic: str, *, headers_only: bool = False, original: str = f"<att-9@{DOMAIN}>") -> bytes:
    action = "failed" if status.startswith("5") else "delayed"
    if headers_only:
        returned = (
            "Content-Type: text/rfc822-headers\n\n"
            f"From: no-reply@{DOMAIN}\nTo: gone@example.vn\nMessage-ID: {original}\n"
            "Subject: =?utf-8?b?SOG7kyBzxqE=?=\n"
        )
    else:
        returned = (
            "Content-Type: message/rfc822\n\n"
            f"From: no-reply@{DOMAIN}\nTo: gone@example.vn\nMessage-ID: {original}\n"
            "Subject: test\nContent-Type: text/plain; charset=utf-8\n\nbody\n"
        )
    return f"""\
From: MAILER-DAEMON@relay.example.gov.vn (Mail Delivery System)
To: no-reply@{DOMAIN}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@relay.example.gov.vn>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.gov.vn
Arrival-Date: Mon, 5 Jan 2026 09:00:00 +0700

Final-Recipient: rfc822; gone@example.vn
Original-Recipient: rfc822;gone@example.vn
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.vn
Diagnostic-Code: smtp; {diagnostic}

--B0UND
{returned}
--B0UND--
""".replace("\n", "\r\n").encode()
