"""HTTP: the assistant for web chat and the kiosk."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from channels.inbound import INBOX
from channels.registry import REGISTRY
from hub.api import body as b
from hub.api.errors import ApiError
from hub.api.ratelimit import limit_sender
from hub.api.replies import reply
from hub.lookup import http_asker
from models.events import new_id
from models.messages import Incoming

routes = web.RouteTableDef()
CHANNELS = {c.value: c for c, s in REGISTRY.items() if s.web_session}


@routes.post("/api/v1/assistant/messages")
async def post_message(request: web.Request) -> web.Response:
    """One message from a web chat or kiosk session; answers with the replies.
    `sender` is the session's own id; the same `message_id` sent again (a
    retry) is answered with no replies rather than twice. A dossier look-up
    counts against the client's address, not the sender it chose."""
    body = await b.json_object(request)
    # Required: b.text gives a str or raises.
    sender = cast(str, b.text(body, "sender", max_len=100))
    text = cast(str, b.text(body, "text", max_len=2000))
    limit_sender(request, "assistant_sender", sender)
    given = body.get("channel", "webchat")
    channel = CHANNELS.get(given) if isinstance(given, str) else None
    if channel is None:
        raise ApiError(422, f"'channel' là {' hoặc '.join(repr(c) for c in CHANNELS)}.", field="channel")
    message_id = b.text(body, "message_id", required=False, max_len=100) or new_id()
    replies = await request.app[INBOX].receive(
        Incoming(
            channel=channel,
            address=sender,
            text=text,
            provider_message_id=f"{sender}:{message_id}",
            asker=http_asker(request),
        )
    )
    return reply(
        {
            "sender": sender,
            "replies": [
                {"text": r.text, "buttons": [{"title": x.title, "payload": x.payload} for x in r.buttons]}
                for r in replies
            ],
        }
    )
