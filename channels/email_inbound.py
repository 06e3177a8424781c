"""Email in: an SMTP receiver behind the organisation's mail relay. Citizens'
replies become conversations, delivery status notifications become receipts
for the messages channels/email.py sent, automatic mail is dropped.

aiosmtpd runs its own event loop in a thread. Parsing (channels/email_mime.py)
happens there; only the inbox call is handed to the service's loop, and the
relay gets its 250 once the inbox has the message (451 otherwise, so the relay
tries again)."""

from __future__ import annotations

import asyncio
import hashlib
import logging

from aiosmtpd.controller import Controller

from channels.email_mime import Bounce, bare_subject, parse_email
from channels.inbound import Inbox
from channels.port import InboundService, Outgoing
from models.citizen import Channel
from models.errors import ProviderRefused, TongdaiError
from models.messages import Incoming, Reply
from models.privacy import mask_email

log = logging.getLogger(__name__)


# --- the receiver --------------------------------------------------------------


class _Handler:
    """aiosmtpd's handler: runs on the receiver's own loop, in its thread."""

    def __init__(self, receiver: EmailReceiver):
        self._receiver = receiver

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.rpartition("@")[2].lower() != self._receiver.domain:
            return "550 5.1.2 Not a mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        receiver = self._receiver
        try:
            item = parse_email(envelope.original_content or envelope.content)
        except Exception:
            log.exception("email in: cannot parse a message; asking the relay to retry")
            return "451 4.3.0 Cannot process the message now"
        if isinstance(item, Incoming) and envelope.mail_from in ("", "<>"):
            # A null sender (RFC 5321 4.5.5) that is not a readable DSN: some
            # other automatic notice, never a citizen.
            item = None
        if item is None:
            return "250 2.0.0 OK"
        try:
            if receiver.loop is None:  # set by start(), before the server takes mail
                raise RuntimeError("email in: the receiver is not started")
            handed = asyncio.run_coroutine_threadsafe(receiver.hand_over(item), receiver.loop)
            await asyncio.wait_for(asyncio.wrap_future(handed), receiver.timeout)
        except Exception:  # anything but a 4xx here would make the relay bounce a citizen's mail
            log.exception("email in: the inbox did not take the message; asking the relay to retry")
            return "451 4.3.0 Cannot store the message now, try again later"
        return "250 2.0.0 OK"


class EmailReceiver(InboundService):
    """The SMTP listener the relay delivers to. `replier` (an SmtpProvider),
    when given, sends the inbox's immediate replies back by email."""

    channel = Channel.EMAIL
    name = "smtp_inbound"

    def __init__(
        self,
        inbox: Inbox,
        *,
        host: str,
        port: int,
        domain: str,
        provider_name: str = "smtp",
        replier=None,
        timeout: float = 60.0,
        max_bytes: int = 10 * 1024 * 1024,
    ):
        self.inbox = inbox
        self.host, self.port = host, port
        self.domain = domain.strip().lower()
        self.provider_name = provider_name
        self.timeout = timeout
        self._replier = replier
        self._max_bytes = max_bytes
        self._controller: Controller | None = None
        self._replying: set[asyncio.Task] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings, inbox: Inbox, replier=None) -> EmailReceiver | None:
        if not settings.smtp_inbound_host:
            return None
        return cls(
            inbox,
            host=settings.smtp_inbound_host,
            port=settings.smtp_inbound_port,
            domain=settings.smtp_inbound_domain,
            replier=replier,
        )

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, data_size_limit=self._max_bytes, ident="Tong dai"
        )
        # Controller.start blocks until its thread is listening.
        await asyncio.to_thread(controller.start)
        self._controller = controller

    async def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            await asyncio.to_thread(controller.stop)
        if self._replying:
            await asyncio.gather(*self._replying, return_exceptions=True)

    async def hand_over(self, item: Incoming | Bounce) -> None:
        """On the service's loop: into the inbox."""
        if isinstance(item, Bounce):
            await self.inbox.receipt(self.provider_name, item.original_message_id, item.status, item.error)
            return
        replies = await self.inbox.receive(item)
        if replies and self._replier is not None:
            # The relay's 250 need not wait for our answer to go out.
            task = asyncio.create_task(self._reply(item, replies))
            self._replying.add(task)
            task.add_done_callback(self._replying.discard)

    async def _reply(self, to: Incoming, replies: list[Reply]) -> None:
        # Ids derived from the citizen's message: a redelivered message is
        # answered with the same Message-IDs, which receivers can deduplicate.
        stem = hashlib.sha256(to.provider_message_id.encode()).hexdigest()[:24]
        bare = bare_subject(to.subject or "")
        subject = f"Re: {bare}" if bare else "Re:"
        for index, reply in enumerate(replies):
            message = Outgoing(
                attempt_id=f"reply-{stem}-{index}",
                channel=Channel.EMAIL,
                address=to.address,
                text=render_reply(reply),
                subject=subject,
            )
            try:
                await self._replier.send(message, in_reply_to=to.provider_message_id)
            except ProviderRefused as exc:
                log.error(
                    "email in: the relay refused us, reply to %s not sent: %s",
                    mask_email(to.address),
                    exc,
                    extra={"provider": exc.provider},
                )
            except TongdaiError as exc:
                log.warning("email in: reply to %s failed: %s", mask_email(to.address), exc)


def render_reply(reply: Reply) -> str:
    """Email has no buttons: they become numbered options."""
    options = [f"{number}. {button.title}" for number, button in enumerate(reply.buttons, 1)]
    return "\n\n".join(filter(None, (reply.text, "\n".join(options))))
