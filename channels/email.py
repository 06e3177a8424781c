"""Email out: SMTP through aiosmtplib, over a small pool of open connections,
so that a broadcast is not one TCP and TLS handshake per citizen.

Citizens' replies and bounces come back through channels/email_inbound.py."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from base64 import b64encode
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import policy
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib

from channels.port import Outgoing, Provider, Sent
from channels.vendor import RECIPIENT, REFUSED, RETRY, Outcome
from models.citizen import Channel
from models.errors import PermanentError, RetryableError, TongdaiError
from models.notifications import DeliveryStatus
from models.privacy import mask_email

log = logging.getLogger(__name__)

TLS_MODES = ("starttls", "implicit", "none")

# The stdlib's compat32 classes, not EmailMessage: the new header machinery
# re-parses and refolds every header, about 4 ms a message (profiled), ten
# times the cost of everything else together, on the event loop. Headers here
# are written RFC 2047-encoded with email.header (any relay takes them; no
# SMTPUTF8 needed) and bodies go base64, so a hop without 8BITMIME cannot
# mangle Vietnamese text.
_WIRE = policy.compat32.clone(linesep="\r\n")

# The attempt id goes verbatim into the Message-ID, so that a resend of the
# same attempt carries the same id and receipts find their attempt.
_ID_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")

# Servers drop idle sessions after a few minutes (RFC 5321 suggests 5); a
# connection idle longer than this is closed rather than trusted.
IDLE_SECONDS = 60.0


# What an aiosmtplib failure means for the attempt, first match wins: the
# exception type, the SMTP reply codes it applies to (None for any), and the
# outcome. Refusals of our own configuration are ProviderRefused: no other
# message would get through either until an operator fixes it, so the notifier
# falls back to the citizen's next channel (see models/errors.py).
_SMTP = range(500, 600)
_ERRORS: tuple[tuple[type[BaseException], range | None, Outcome], ...] = (
    (aiosmtplib.SMTPAuthenticationError, _SMTP, Outcome(REFUSED, "credentials refused")),
    # 454: a temporary authentication failure on the relay's side.
    (aiosmtplib.SMTPAuthenticationError, None, Outcome(RETRY, "authentication failed", retry_after=300.0)),
    (aiosmtplib.SMTPSenderRefused, _SMTP, Outcome(REFUSED, "sender address refused")),
    (aiosmtplib.SMTPSenderRefused, None, Outcome(RETRY, "sender address deferred", retry_after=300.0)),
    (aiosmtplib.SMTPRecipientsRefused, _SMTP, Outcome(RECIPIENT, "recipient refused")),
    (aiosmtplib.SMTPRecipientsRefused, None, Outcome(RETRY, "recipient deferred")),
    (aiosmtplib.SMTPDataError, _SMTP, Outcome(RECIPIENT, "message refused")),
    # aiosmtplib raises it only for SMTPUTF8, which _ascii_address keeps us from needing.
    (aiosmtplib.SMTPNotSupported, None, Outcome(RETRY, "the relay lacks a required extension", retry_after=300.0)),
    (aiosmtplib.SMTPResponseException, _SMTP, Outcome(RECIPIENT, "refused")),
    (aiosmtplib.SMTPResponseException, None, Outcome(RETRY, "deferred")),
    # Disconnects, timeouts and refused connections (all OSError subclasses).
    (aiosmtplib.SMTPException, None, Outcome(RETRY, "SMTP failure")),
    (OSError, None, Outcome(RETRY, "connection failed")),
)


def _code(exc: BaseException) -> int | None:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return exc.recipients[0].code
    return getattr(exc, "code", None)


def translate(exc: BaseException) -> TongdaiError:
    """An aiosmtplib or socket failure as the error tree's type."""
    code = _code(exc)
    text = f"smtp: {type(exc).__name__}: {exc}"
    for kind, codes, outcome in _ERRORS:
        if isinstance(exc, kind) and (codes is None or (code is not None and code in codes)):
            return outcome.error(text, provider=SmtpProvider.name)
    return RetryableError(text)


def _one_line(text: str) -> str:
    """No line breaks in a header value: a template cannot inject headers."""
    return " ".join(text.split())


def _header(text: str, name: str) -> Header | str:
    text = _one_line(text)
    return text if text.isascii() else Header(text, "utf-8", header_name=name)


def _mailbox(name: str, address: str) -> str:
    if name.isascii():
        return formataddr((name, address))
    # RFC 2047 allows 75 characters an encoded word, and formataddr makes one
    # of any length. Splitting between words (the space travels inside the next
    # word) keeps a syllable whole for the clients that show the whitespace
    # between encoded words, which RFC 2047 says to drop.
    chunks: list[str] = []
    for word in name.split():
        if chunks and len((chunks[-1] + " " + word).encode()) <= 45:
            chunks[-1] += " " + word
        else:
            chunks.append(f" {word}" if chunks else word)
    words = " ".join(f"=?utf-8?b?{b64encode(chunk.encode()).decode()}?=" for chunk in chunks)
    return f"{words} <{address}>"


def _ascii_address(address: str) -> str:
    """Without SMTPUTF8 the address must be ASCII: an internationalised domain
    goes out in its IDNA form; a non-ASCII local part cannot be sent."""
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain or any(c.isspace() or c in '<>,;"' for c in address.strip()):
        raise PermanentError(f"smtp: {mask_email(address)} is not an email address")
    if not local.isascii():
        raise PermanentError(f"smtp: {mask_email(address)} needs SMTPUTF8, which this sender does not use")
    return f"{local}@{domain if domain.isascii() else domain.encode('idna').decode('ascii')}"


def _text_part(text: str, subtype: str) -> MIMEText:
    # Text bodies are CRLF-terminated on the wire (RFC 2046 canonical form);
    # base64 hides the line ends, so they are made right before encoding.
    canonical = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return MIMEText(canonical, subtype, "utf-8")


class _Pool:
    """Up to `size` SMTP sessions, each carrying one message at a time; an idle
    session is reused by the next message instead of being logged out."""

    def __init__(self, connect, size: int):
        self._connect = connect
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self.opened = 0  # sessions ever opened, for tests and benchmarks

    @asynccontextmanager
    async def lease(self, fresh: bool = False) -> AsyncIterator[tuple[aiosmtplib.SMTP, bool]]:
        """A connected session and whether it was reused. A session that fails
        with anything but an SMTP reply is dropped, never handed out again."""
        async with self._slots:
            client, reused = await self._take(fresh)
            try:
                yield client, reused
            except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
                # The server answered: the session is still in step (aiosmtplib
                # has sent RSET), unless the answer was 421 "closing".
                self._put_back(client)
                raise
            except BaseException:
                client.close()
                raise
            else:
                self._put_back(client)

    async def _take(self, fresh: bool) -> tuple[aiosmtplib.SMTP, bool]:
        now = time.monotonic()
        while self._idle and not fresh:
            client, since = self._idle.pop()
            if client.is_connected and now - since < IDLE_SECONDS:
                return client, True
            client.close()
        client = await self._connect()
        self.opened += 1
        return client, False

    def _put_back(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected:
            self._idle.append((client, time.monotonic()))

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(client) for client, _ in idle))


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


class SmtpProvider(Provider):
    """The email channel's provider. `send` and `send_many` raise or return the
    error tree's types; `close()` logs the pooled sessions out."""

    name = "smtp"
    channel = Channel.EMAIL

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        username: str = "",
        password: str = "",
        tls: str = "starttls",
        timeout: float = 30.0,
        pool_size: int = 4,
        sender: str = "Tổng đài <no-reply@tongdai.example.gov.vn>",
        message_id_domain: str = "",
        tls_context: ssl.SSLContext | None = None,
    ):
        if tls not in TLS_MODES:
            raise ValueError(f"smtp tls mode {tls!r}: expected one of {', '.join(TLS_MODES)}")
        if pool_size < 1:
            raise ValueError("smtp pool size must be at least 1")
        display_name, address = parseaddr(sender)
        if "@" not in address:
            raise ValueError(f"smtp sender {sender!r}: expected 'Name <address@domain>'")
        self.host, self.port, self.tls, self.timeout = host, port, tls, timeout
        self._username, self._password = username, password
        self._tls_context = tls_context
        self.envelope_sender = _ascii_address(address)
        self._from = _mailbox(_one_line(display_name), self.envelope_sender)
        self.message_id_domain = message_id_domain or address.rpartition("@")[2]
        self._pool = _Pool(self._connect, pool_size)

    @classmethod
    def from_settings(cls, settings) -> SmtpProvider | None:
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout_seconds,
            pool_size=settings.smtp_pool_size,
            sender=settings.smtp_from,
            # Replies and bounces quote our Message-ID; the inbound
            # domain is the one that is surely ours.
            message_id_domain=settings.smtp_inbound_domain,
        )

    @property
    def connections_opened(self) -> int:
        return self._pool.opened

    def limits(self, message: Outgoing) -> list:
        return []

    def message_id(self, attempt_id: str) -> str:
        if not _ID_PART.fullmatch(attempt_id):
            raise PermanentError(f"smtp: attempt id {attempt_id!r} cannot be part of a Message-ID")
        return f"<{attempt_id}@{self.message_id_domain}>"

    def build(self, message: Outgoing, *, in_reply_to: str | None = None) -> Message:
        """The MIME message: plain text, plus HTML as the preferred alternative."""
        plain = _text_part(message.text, "plain")
        mail: MIMEText | MIMEMultipart
        if message.html is None:
            mail = plain
        else:
            mail = MIMEMultipart("alternative")
            for part in (plain, _text_part(message.html, "html")):
                del part["MIME-Version"]  # belongs on the top level only
                mail.attach(part)
        mail["From"] = self._from
        mail["To"] = _ascii_address(message.address)
        mail["Subject"] = _header(message.subject or "", "Subject")  # type: ignore[assignment]  # compat32 takes a Header
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = self.message_id(message.attempt_id)
        in_reply_to = in_reply_to or message.in_reply_to
        if in_reply_to:
            mail["In-Reply-To"] = _one_line(in_reply_to)
            mail["References"] = _one_line(in_reply_to)
        # RFC 3834: out-of-office responders leave automatic mail alone.
        mail["Auto-Submitted"] = "auto-generated"
        if message.unsubscribe_url:
            # RFC 8058: mail clients show an unsubscribe button that POSTs here.
            mail["List-Unsubscribe"] = f"<{_one_line(message.unsubscribe_url)}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return mail

    async def send(self, message: Outgoing, *, in_reply_to: str | None = None) -> Sent:
        try:
            mail = self.build(message, in_reply_to=in_reply_to)
            data = mail.as_bytes(policy=_WIRE)
        except TongdaiError:
            raise
        except (ValueError, TypeError, UnicodeError) as exc:
            raise PermanentError(f"smtp: cannot build the message: {exc}") from exc
        try:
            await self._transmit(mail["To"], data)
        except TongdaiError:
            raise
        except Exception as exc:
            error = translate(exc)
            log.warning("smtp send to %s failed: %s", mask_email(message.address), type(exc).__name__)
            raise error from exc
        return Sent(provider_ref=mail["Message-ID"], status=DeliveryStatus.SENT)

    async def send_many(self, messages: list[Outgoing]) -> list[Sent | BaseException]:
        """Concurrently, as far as the pool allows; one result or error each."""
        return list(await asyncio.gather(*(self.send(m) for m in messages), return_exceptions=True))

    async def close(self) -> None:
        await self._pool.close()

    async def _transmit(self, recipient: str, data: bytes) -> None:
        reused = False
        try:
            async with self._pool.lease() as (client, reused):
                await client.sendmail(self.envelope_sender, [recipient], data)
                return
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
            # A pooled session the server closed while it sat idle fails on
            # its first command: that says nothing about this message, so it
            # gets one fresh session. (Were the message already accepted, the
            # resend carries the same Message-ID, so it is recognisable.)
            if not reused:
                raise
            log.info("smtp: pooled session was closed by the server (%s); reconnecting", type(exc).__name__)
        async with self._pool.lease(fresh=True) as (client, _):
            await client.sendmail(self.envelope_sender, [recipient], data)

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.tls == "implicit",
            start_tls=self.tls == "starttls",
            tls_context=self._tls_context,
            username=self._username or None,
            password=self._password if self._username else None,
        )
        await client.connect()
        return client
