"""What generic SMS gateways post to us: citizens' messages and delivery
reports, each signed with the gateway's inbound_secret (the format is in
channels/sms_gateway_config.py)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable

from aiohttp import web

from channels.inbound import Inbox
from channels.port import Outgoing
from channels.sms import as_text
from channels.sms_gateway import GatewaySmsProvider
from channels.sms_status import GATEWAY_STATUSES
from hub.api.body import parse_object
from hub.api.errors import ApiError
from hub.api.ratelimit import limit_sender
from hub.api.replies import reply as json_reply
from models.citizen import Channel
from models.errors import TongdaiError
from models.messages import Incoming
from models.phone import normalize_phone
from models.privacy import mask_phone, mask_text

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
FORBIDDEN = "Chữ ký X-Signature thiếu hoặc không hợp lệ."
MAX_TEXT = 2000


def sign(secret: str, body: bytes) -> str:
    """The X-Signature value a gateway sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
        # A header of other bytes arrives as undecodable surrogates: no signature at all.
        if not secret or not given.isascii() or not hmac.compare_digest(given.encode(), sign(secret, raw).encode()):
            raise ApiError(403, FORBIDDEN)
        return provider, parse_object(raw)

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
        limit_sender(request, "webhook_sender", f"sms:{address}")
        given = body.get("text")
        text = given if isinstance(given, str) else ""
        if len(text) > MAX_TEXT:  # the stored-text policy (README): longer than any SMS a phone sends
            raise ApiError(422, f"Trường 'text' dài quá {MAX_TEXT} ký tự.", field="text")
        # The inbox commits the message and its replies before it returns, so the
        # 200 below is only ever given for a message that is stored. The replies
        # go out before answering, not after: an answer the gateway already has
        # cannot be taken back if the send then fails.
        replies = await inbox.receive(
            Incoming(
                channel=Channel.SMS, address=address, text=text, provider_message_id=f"{provider.name}:{message_id}"
            )
        )
        unsent = 0
        for index, answer in enumerate(replies):
            outgoing = Outgoing(
                attempt_id=f"reply:{provider.name}:{message_id}:{index}",
                channel=Channel.SMS,
                address=address,
                text=as_text(answer),
            )
            try:
                await provider.send(outgoing)
            except TongdaiError as exc:
                # A redelivered webhook would find the message stored and produce no
                # replies, so an error status would not bring this one back; the reply
                # stays in the conversation for an agent to see.
                unsent += 1
                log.error(
                    "reply to an inbound SMS not sent",
                    extra={"provider": provider.name, "to": mask_phone(address), "error": mask_text(str(exc))},
                )
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

    return [web.post("/webhooks/sms/{provider}/inbound", inbound), web.post("/webhooks/sms/{provider}/status", status)]
