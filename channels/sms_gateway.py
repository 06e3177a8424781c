"""A generic HTTP SMS gateway: Vietnamese brandname providers (VNPT, Viettel,
FPT, eSMS…) each have their own small JSON API, described here by
configuration instead of one adapter apiece.

TONGDAI_SMS_GATEWAYS is a JSON list of objects:

    {"name": "vnpt",                       # provider name; receipts are filed under it
     "url": "https://sms.example.vn/api/send",
     "method": "POST",                     # POST | PUT
     "encoding": "json",                   # json | form
     "headers": {"X-Partner": "ubnd"},
     "auth": {"type": "bearer", "token": "…"},   # or basic (username, password), or none
     "body": {"to": "{to_84}", "content": "{text}", "brandname": "{sender}", "requestId": "{ref}"},
     "sender": "UBND-TINH",
     "id_field": "data.messageId",         # dotted path to the gateway's id in a 2xx answer
     "success_field": "code", "success_values": ["00"],  # some answer 200 with an error inside
     "retry_values": ["99"],               # ...of which these are temporary
     "rate": 10, "burst": 10,              # messages a second for this sender
     "timeout": 15,
     "inbound_secret": "…",                # signs what the gateway posts to us
     "receipts": true,                     # false: the gateway never reports delivery
     "unaccented": false}                  # send Vietnamese without diacritics (GSM-7, 160 a part)

Placeholders, replaced in string values of "body": {to} (+84…), {to_84}
(84…), {to_0} (0…), {text}, {sender}, {ref} (our attempt id: a gateway that
deduplicates by it makes a retried send harmless).

What the gateway posts to us, signed with `X-Signature: sha256=<hex HMAC-SHA256
of the raw body with inbound_secret>`:

    POST /webhooks/sms/{name}/inbound  {"from": "0912345678", "text": "TRACUU …", "id": "mo-123"}
    POST /webhooks/sms/{name}/status   {"id": "<the id of the sent message>", "status": "DELIVRD", "error": null}

Status words are SMPP receipt words (DELIVRD, UNDELIV, EXPIRED, REJECTD…) or
plain ones (delivered, failed…), see channels.sms_status.GATEWAY_STATUSES."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Iterable

import aiohttp
import orjson
from aiohttp import web

from channels.inbound import Inbox, Incoming
from channels.port import Outgoing, Provider, Sent
from channels.sms import as_text, e164
from channels.sms_status import GATEWAY_STATUSES, http_error, retry_after
from hub.api.errors import ApiError
from hub.api.replies import reply as json_reply
from models.citizen import Channel
from models.errors import PermanentError, RetryableError, TongdaiError
from models.notifications import DeliveryStatus
from models.phone import normalize_phone
from models.privacy import mask_phone, mask_text
from models.smstext import unaccent
from notify.ratelimit import Limit

log = logging.getLogger(__name__)

PLACEHOLDERS = ("to", "to_84", "to_0", "text", "sender", "ref")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
RESERVED_NAMES = frozenset({"sms", "twilio"})  # the failover and the Twilio adapter file receipts under these
SIGNATURE_HEADER = "X-Signature"
FORBIDDEN = "Chữ ký X-Signature thiếu hoặc không hợp lệ."


# configuration

def parse_gateways(text: str) -> list[dict]:
    """TONGDAI_SMS_GATEWAYS into checked configurations with defaults filled in;
    ValueError names the gateway and the key that is wrong."""
    if not text.strip():
        return []
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"sms_gateways: not valid JSON ({exc})") from None
    if not isinstance(raw, list):
        _invalid("sms_gateways: expected a JSON list of gateway objects")
    gateways = [check_gateway(item, index) for index, item in enumerate(raw)]
    names = [g["name"] for g in gateways]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"sms_gateways: duplicate name {duplicates[0]!r}")
    return gateways


def check_gateway(item, index: int = 0) -> dict:
    if not isinstance(item, dict):
        _invalid(f"sms_gateways[{index}]: expected an object")
    where = f"sms_gateways[{index}]"
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or name in RESERVED_NAMES:
        raise ValueError(f"{where}.name: expected lower-case letters, digits, - or _ (not sms or twilio)")
    where = f"sms gateway {name!r}"

    def fail(key: str, why: str):
        raise ValueError(f"{where}: {key}: {why}")

    url = item.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        fail("url", "expected an http(s) URL")
    method = str(item.get("method", "POST")).upper()
    if method not in ("POST", "PUT"):
        fail("method", "expected POST or PUT")
    encoding = item.get("encoding", "json")
    if encoding not in ("json", "form"):
        fail("encoding", "expected json or form")
    headers = item.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        fail("headers", "expected an object of strings")
    auth = item.get("auth", {"type": "none"})
    needs = {"none": (), "bearer": ("token",), "basic": ("username", "password")}
    if not isinstance(auth, dict) or auth.get("type") not in needs:
        fail("auth.type", "expected bearer, basic or none")
    for key in needs[auth["type"]]:
        if not isinstance(auth.get(key), str) or not auth[key]:
            fail(f"auth.{key}", "required")
    body = item.get("body")
    if not isinstance(body, dict) or not body:
        fail("body", "expected a JSON object template")
    if encoding == "form" and not all(isinstance(v, str) for v in body.values()):
        fail("body", "a form body takes string values only")
    unknown = sorted(set(_placeholders(body)) - set(PLACEHOLDERS))
    if unknown:
        fail("body", f"unknown placeholder {{{unknown[0]}}}; known: " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    if "text" not in set(_placeholders(body)) or not {"to", "to_84", "to_0"} & set(_placeholders(body)):
        fail("body", "must contain {text} and one of {to}, {to_84}, {to_0}")
    sender = item.get("sender", "")
    rate, burst = item.get("rate"), item.get("burst")
    if rate is not None and (not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0):
        fail("rate", "expected a positive number of messages a second")
    if burst is not None and (not isinstance(burst, int) or isinstance(burst, bool) or burst < 1):
        fail("burst", "expected a whole number, at least 1")
    timeout = item.get("timeout", 15)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        fail("timeout", "expected seconds")
    for key in ("sender", "id_field", "success_field", "inbound_secret"):
        if not isinstance(item.get(key, ""), str):
            fail(key, "expected a string")
    for key in ("success_values", "retry_values"):
        if not isinstance(item.get(key, []), list):
            fail(key, "expected a list")
    for key in ("unaccented", "receipts"):
        if not isinstance(item.get(key, False), bool):
            fail(key, "expected true or false")
    unknown_keys = sorted(set(item) - _KEYS)
    if unknown_keys:
        fail(unknown_keys[0], "unknown key")  # most likely a typo that would silently do nothing
    return {
        "name": name, "url": url, "method": method, "encoding": encoding, "headers": dict(headers), "auth": auth,
        "body": body, "sender": sender, "id_field": item.get("id_field", ""),
        "success_field": item.get("success_field", ""),
        "success_values": [str(v) for v in item.get("success_values", [])],
        "retry_values": [str(v) for v in item.get("retry_values", [])],
        "rate": float(rate) if rate is not None else None,
        "burst": burst if burst is not None else (max(1, int(rate)) if rate is not None else None),
        "timeout": float(timeout), "inbound_secret": item.get("inbound_secret", ""),
        "receipts": item.get("receipts", True), "unaccented": item.get("unaccented", False),
    }


def _invalid(message: str):
    # Always ValueError, whatever was wrong: callers report configuration errors by catching one type.
    raise ValueError(message)


_KEYS = frozenset({"name", "url", "method", "encoding", "headers", "auth", "body", "sender", "id_field",
                   "success_field", "success_values", "retry_values", "rate", "burst", "timeout",
                   "inbound_secret", "receipts", "unaccented"})


def _placeholders(template) -> Iterable[str]:
    if isinstance(template, str):
        yield from _PLACEHOLDER.findall(template)
    elif isinstance(template, dict):
        for value in template.values():
            yield from _placeholders(value)
    elif isinstance(template, list):
        for value in template:
            yield from _placeholders(value)


def render(template, values: dict[str, str]):
    """The template with placeholders replaced in one pass, so a citizen's text
    that happens to contain "{to}" stays as it is."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    return template


def dig(document, path: str):
    """'data.items.0.id' in a decoded JSON document; None when absent."""
    for part in path.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def sign(secret: str, body: bytes) -> str:
    """The X-Signature value a gateway sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# sending

class GatewaySmsProvider(Provider):
    channel = Channel.SMS

    def __init__(self, config: dict):
        self.config = check_gateway(config)
        self.name: str = self.config["name"]
        c = self.config
        self._limits = [Limit(f"sms:{self.name}:{c['sender']}", c["rate"], c["burst"])] if c["rate"] else []
        self._headers = dict(c["headers"])
        auth = c["auth"]
        if auth["type"] == "bearer":
            self._headers["Authorization"] = "Bearer " + auth["token"]
        elif auth["type"] == "basic":
            pair = f"{auth['username']}:{auth['password']}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings) -> list[GatewaySmsProvider]:
        return [cls(config) for config in parse_gateways(settings.sms_gateways)]

    async def start(self) -> None:
        self._connect()

    def _connect(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config["timeout"]))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def limits(self, message: Outgoing) -> list:
        return self._limits

    def text_for(self, message: Outgoing) -> str:
        return unaccent(message.text) if self.config["unaccented"] else message.text

    def body_for(self, message: Outgoing) -> dict:
        to = e164(message.address)
        national = to[3:]
        values = {"to": to, "to_84": "84" + national, "to_0": "0" + national, "text": self.text_for(message),
                  "sender": self.config["sender"], "ref": message.attempt_id}
        return render(self.config["body"], values)

    async def send(self, message: Outgoing) -> Sent:
        c = self.config
        body = self.body_for(message)
        payload = {"json": body} if c["encoding"] == "json" else {"data": body}
        try:
            async with self._connect().request(c["method"], c["url"], headers=self._headers, **payload) as response:
                status, raw = response.status, await response.read()
                wait = retry_after(response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RetryableError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        try:
            answer = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            answer = None
        snippet = mask_text(raw[:200].decode("utf-8", "replace"))
        if not 200 <= status < 300:
            kind = http_error(status)
            text = f"{self.name}: HTTP {status}: {snippet}"
            raise RetryableError(text, retry_after=wait) if kind is RetryableError else kind(text)
        if c["success_field"]:
            outcome = dig(answer, c["success_field"])
            if str(outcome) not in c["success_values"]:
                kind = RetryableError if str(outcome) in c["retry_values"] else PermanentError
                raise kind(f"{self.name}: {c['success_field']}={outcome}: {snippet}")
        ref = dig(answer, c["id_field"]) if c["id_field"] else None
        # Without receipts nothing more will ever be heard: waiting for one would
        # only make the notifier fall back and send the citizen the same news twice.
        return Sent(provider_ref=str(ref) if ref not in (None, "") else message.attempt_id,
                    status=DeliveryStatus.SENT if c["receipts"] else DeliveryStatus.DELIVERED)


# webhooks

def gateway_routes(inbox: Inbox, providers: Iterable[GatewaySmsProvider]) -> list[web.RouteDef]:
    """Mount with app.add_routes(...), inside the app whose middleware renders ApiError."""
    by_name = {provider.name: provider for provider in providers}

    async def signed_json(request: web.Request) -> tuple[GatewaySmsProvider, dict]:
        name = request.match_info["provider"]
        provider = by_name.get(name)
        if provider is None:
            raise ApiError(404, f"Không có cổng SMS tên '{name}'.")
        raw = await request.read()
        secret = provider.config["inbound_secret"]
        given = request.headers.get(SIGNATURE_HEADER, "")
        # No secret configured: refuse everything rather than trust anyone.
        if not secret or not hmac.compare_digest(given.encode(), sign(secret, raw).encode()):
            raise ApiError(403, FORBIDDEN)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ApiError(422, "Nội dung gửi lên không phải JSON hợp lệ.", field="body") from None
        if not isinstance(body, dict):
            raise ApiError(422, "Nội dung gửi lên phải là một đối tượng JSON ({...}).", field="body")
        return provider, body

    def field(body: dict, key: str) -> str:
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"Thiếu trường bắt buộc '{key}'.", field=key)
        return value.strip()

    async def inbound(request: web.Request) -> web.Response:
        provider, body = await signed_json(request)
        try:
            address = normalize_phone(field(body, "from"))
        except ValueError as exc:
            raise ApiError(422, str(exc), field="from") from None
        message_id = field(body, "id")
        text = body.get("text") if isinstance(body.get("text"), str) else ""
        # The inbox commits the message and its replies before it returns, so the
        # 200 below is only ever given for a message that is stored. The replies
        # go out before answering, not after: an answer the gateway already has
        # cannot be taken back if the send then fails.
        replies = await inbox.receive(Incoming(channel=Channel.SMS, address=address, text=text,
                                               provider_message_id=f"{provider.name}:{message_id}"))
        unsent = 0
        for index, answer in enumerate(replies):
            outgoing = Outgoing(attempt_id=f"reply:{provider.name}:{message_id}:{index}", channel=Channel.SMS,
                                address=address, text=as_text(answer))
            try:
                await provider.send(outgoing)
            except TongdaiError as exc:
                # A redelivered webhook would find the message stored and produce no
                # replies, so an error status would not bring this one back; the reply
                # stays in the conversation for an agent to see.
                unsent += 1
                log.error("reply to an inbound SMS not sent", extra={
                    "provider": provider.name, "to": mask_phone(address), "error": mask_text(str(exc))})
        return json_reply({"received": True, "replies": len(replies), "unsent": unsent})

    async def status(request: web.Request) -> web.Response:
        provider, body = await signed_json(request)
        ref = field(body, "id")
        word = str(body.get("status") or "")
        delivery = GATEWAY_STATUSES.get(word.upper())
        if delivery is None:
            log.warning("gateway status ignored", extra={"provider": provider.name, "status": word[:40]})
            return web.Response(status=204)
        error = body.get("error")
        await inbox.receipt(provider.name, ref, delivery, str(error)[:500] if error else None)
        return web.Response(status=204)

    return [web.post("/webhooks/sms/{provider}/inbound", inbound),
            web.post("/webhooks/sms/{provider}/status", status)]
