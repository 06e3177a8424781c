"""SMS through Twilio: the provider that sends, and the webhooks Twilio calls
back with delivery receipts and citizens' replies.

Twilio has no two-way SMS in Vietnam and alphanumeric senders must be
registered there first; the inbound webhook still serves numbers elsewhere
(and tests), and answers with TwiML."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Mapping
from contextvars import ContextVar

import aiohttp
from aiohttp import web
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from channels.inbound import Inbox
from channels.limits import parse_rates
from channels.port import Limit, Outgoing, Provider, Sent
from channels.sms_status import TWILIO_DELIVERY_ERRORS, TWILIO_ERRORS, TWILIO_STATUSES, http_outcome, retry_after
from hub.api.errors import ApiError
from hub.api.ratelimit import limit_sender
from models.citizen import Channel
from models.errors import PermanentError, RetryableError
from models.messages import Incoming, Reply
from models.phone import normalize_phone
from models.privacy import mask_phone

log = logging.getLogger(__name__)

TWILIO = "twilio"  # the provider name receipts are filed under: the sender and the webhooks must agree
STATUS_PATH = "/webhooks/twilio/sms/status"
INBOUND_PATH = "/webhooks/twilio/sms/inbound"
FORBIDDEN = "Chữ ký Twilio (X-Twilio-Signature) thiếu hoặc không hợp lệ."
_MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def e164(address: str) -> str:
    """Our stored phones are already E.164 (+84…); a typed one is normalised."""
    try:
        return normalize_phone(address)
    except ValueError as exc:
        raise PermanentError(str(exc)) from None


def as_text(reply: Reply) -> str:
    """SMS has no buttons: they become numbered options the citizen can answer with."""
    options = [f"{i}. {button.title}" for i, button in enumerate(reply.buttons, start=1)]
    return "\n".join([reply.text, *options]) if options else reply.text


# The response headers of the Twilio call made in the current task: the SDK
# raises without them, and Retry-After lives there. A context variable, not
# an attribute, because many sends share one HTTP client concurrently.
_headers: ContextVar[Mapping[str, str] | None] = ContextVar("twilio_response_headers", default=None)


class _HttpClient(AsyncTwilioHttpClient):
    async def request(self, method, url, params=None, data=None, headers=None, auth=None, **kwargs):
        _headers.set(None)
        if auth is not None:  # as a header: aiohttp deprecates the SDK's BasicAuth objects
            pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers = {**(headers or {}), "Authorization": "Basic " + pair}
        response = await super().request(method, url, params, data, headers, None, **kwargs)
        _headers.set(response.headers)
        return response


class TwilioSmsProvider(Provider):
    channel = Channel.SMS
    name = TWILIO

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        public_url: str,
        base_url: str | None = None,
        rate: tuple[float, int] | None = None,
        timeout: float = 30.0,
    ):
        self._sid, self._token, self._sender = account_sid, auth_token, sender
        self._status_callback = public_url.rstrip("/") + STATUS_PATH
        self._base_url = base_url or None
        self._limits = [Limit(f"sms:{TWILIO}:{sender}", *rate)] if rate else []
        self._timeout = timeout
        self._client: Client | None = None

    @classmethod
    def from_settings(cls, settings) -> TwilioSmsProvider | None:
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            return None
        if not settings.twilio_from:
            raise ValueError(
                "TONGDAI_TWILIO_FROM is required with a Twilio account (a number, a registered "
                "sender id or a Messaging Service SID MG…)"
            )
        return cls(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from,
            public_url=settings.base_url,
            base_url=settings.twilio_base_url or None,
            rate=parse_rates(settings.rate_limits).get(f"sms:{TWILIO}"),
        )

    async def start(self) -> None:
        self._connect()

    def _connect(self) -> Client:
        # Made inside the event loop: the SDK's HTTP client opens an aiohttp session at once.
        if self._client is None:
            self._client = Client(self._sid, self._token, http_client=_HttpClient())
            if self._base_url:
                self._client.api.base_url = self._base_url
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.http_client.close()
            self._client = None

    def limits(self, message: Outgoing) -> list:
        return self._limits

    async def send(self, message: Outgoing) -> Sent:
        to = e164(message.address)
        sender = (
            {"messaging_service_sid": self._sender}
            if _MESSAGING_SERVICE.match(self._sender)
            else {"from_": self._sender}
        )
        try:
            async with asyncio.timeout(self._timeout):
                created = await self._connect().messages.create_async(
                    to=to, body=message.text, status_callback=self._status_callback, **sender
                )
        except TwilioException as exc:
            raise _error(exc, _headers.get()) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Twilio has no idempotency key for messages: after a timeout the SMS may
            # have gone, and a retry may send it twice. Rarer than losing it.
            raise RetryableError(f"twilio: {type(exc).__name__}: {exc}") from None
        return Sent(provider_ref=created.sid)


def _error(exc: TwilioException, headers: Mapping[str, str] | None) -> Exception:
    status = getattr(exc, "status", None) or 0
    code = getattr(exc, "code", None)
    known = TWILIO_ERRORS.get(code) if isinstance(code, int) else None
    row = known or http_outcome(status)
    # Without a known code, Twilio's own message says more than the HTTP status.
    reason = known.reason if known else getattr(exc, "msg", "") or type(exc).__name__
    text = f"twilio {status} (code {code}): {reason}"
    return row.error(text, provider=TWILIO, retry_after=retry_after((headers or {}).get("Retry-After")))


# webhooks


def twilio_routes(inbox: Inbox, settings) -> list[web.RouteDef]:
    """Mount with app.add_routes(...), inside the app whose middleware renders ApiError."""
    validator = RequestValidator(settings.twilio_auth_token) if settings.twilio_auth_token else None
    public = settings.base_url

    async def signed_form(request: web.Request):
        """The form Twilio posted, once its signature proves it came from Twilio."""
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if validator is None or not signature:
            raise ApiError(403, FORBIDDEN)
        # Twilio signs the parameters of a urlencoded form, and never posts anything else:
        # a multipart body (costly to parse, unsigned anyway) is refused unread.
        if request.content_type != "application/x-www-form-urlencoded":
            raise ApiError(415, "Chỉ nhận biểu mẫu application/x-www-form-urlencoded như Twilio gửi.")
        try:
            form = await request.post()
        except ValueError:  # a malformed multipart or urlencoded body
            raise ApiError(400, "Nội dung yêu cầu không đọc được.") from None
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        # The public URL, not the one we were reached on: behind a proxy they differ,
        # and Twilio signed the one it called.
        url = public + request.path_qs
        if validator is None or not signature or not validator.validate(url, form, signature, algorithm):
            raise ApiError(403, FORBIDDEN)
        return form

    async def status(request: web.Request) -> web.Response:
        form = await signed_form(request)
        sid, word = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus") or form.get("SmsStatus")
        delivery = TWILIO_STATUSES.get(word or "")
        if not sid or delivery is None:
            # Nothing we can file; answering an error would only make Twilio log alerts.
            log.warning("twilio status callback ignored", extra={"status": word})
            return web.Response(status=204)
        error = None
        code_text = form.get("ErrorCode") or ""
        # isdigit() alone takes "²", which int() refuses (a 500, found by the fuzz); Twilio's codes are ASCII.
        if code_text.isascii() and code_text.isdigit() and int(code_text) != 0:
            row = TWILIO_DELIVERY_ERRORS.get(int(code_text))
            delivery, reason = (row.status, row.reason) if row and row.status else (delivery, "error")
            error = f"twilio {code_text}: {reason}"
        await inbox.receipt(TWILIO, sid, delivery, error)
        return web.Response(status=204)

    async def inbound(request: web.Request) -> web.Response:
        form = await signed_form(request)
        sender, sid = form.get("From", ""), form.get("MessageSid") or form.get("SmsSid")
        address = _inbound_address(sender)
        if address is None or not sid:
            log.warning("twilio inbound SMS ignored", extra={"from": mask_phone(sender)})
            return _twiml([])
        limit_sender(request, "webhook_sender", f"sms:{address}")
        replies = await inbox.receive(
            Incoming(channel=Channel.SMS, address=address, text=form.get("Body", ""), provider_message_id=sid)
        )
        return _twiml(replies)

    return [web.post(STATUS_PATH, status), web.post(INBOUND_PATH, inbound)]


def _inbound_address(sender: str) -> str | None:
    try:
        return normalize_phone(sender)
    except ValueError:
        # A number abroad is still a number to answer, in the E.164 form we store.
        return sender if _E164.match(sender) else None


def _twiml(replies: list[Reply]) -> web.Response:
    response = MessagingResponse()
    for reply in replies:
        response.message(as_text(reply))
    return web.Response(text=str(response), content_type="text/xml", charset="utf-8")
