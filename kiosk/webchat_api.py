"""HTTP and websocket routes of the web chat (docs/KIOSK_WEBCHAT.md, "Web chat").

Every route is public, rate-limited (scope `webchat`, hub/app.py) and open
to the configured origins only: CORS headers are added to every answer on
/webchat (errors and 429s included, so the widget can show them), a
preflight or a request from another origin is refused with a 403, and so is
a websocket whose Origin is foreign: a page elsewhere cannot drive a
citizen's session from their browser."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import cast

import orjson
from aiohttp import WSMsgType, web

from channels.inbound import INBOX
from channels.registry import REGISTRY
from hub.api import body as b
from hub.api.errors import ApiError
from hub.api.ratelimit import limit_sender
from hub.api.replies import reply
from hub.keys import CLOCK, STORE
from hub.lookup import http_asker
from kiosk.webchat import CHANNEL, PAGE, WebChatHub, issue_token, public_message, valid_token
from models.citizen import ConsentRecord
from models.events import new_id
from models.messages import Incoming

WEBCHAT = web.AppKey("webchat", WebChatHub)
ORIGINS: web.AppKey[frozenset[str]] = web.AppKey("webchat_origins")

PREFIX = "/webchat/"
MAX_TEXT = 2000
MAX_CLIENT_ID = 64
HEARTBEAT = 20.0
GOING_AWAY = 1001
ALLOW_HEADERS = "Content-Type"
MAX_AGE = "600"
NOT_FOUND = "Phiên trò chuyện không tồn tại. Xin tải lại trang để bắt đầu phiên mới."
FOREIGN = "Trang này không được phép dùng khung trò chuyện của Tổng đài."
NO_CONVERSATION = "Xin gửi câu hỏi trước, rồi để lại số điện thoại hoặc email để nhận câu trả lời."
WITHDRAWN = "{label} này đã từ chối nhận tin của Tổng đài; xin để lại cách liên lạc khác."
# A contact a visitor leaves, by the field they fill in: the channel that
# keeps such an address and carries an answer once they have left the page.
CONTACT_FIELDS = {
    spec.address_field: channel
    for channel, spec in reversed(REGISTRY.items())
    if spec.away_contact and spec.notifies and spec.address_field in ("phone", "email")
}

routes = web.RouteTableDef()


def setup(app: web.Application, hub: WebChatHub, origins: frozenset[str]) -> None:
    """The routes, the hub and the CORS headers on the app (hub/app.py calls it once)."""
    app[WEBCHAT] = hub
    app[ORIGINS] = origins
    app.on_response_prepare.append(_cors_headers)
    app.add_routes(routes)


def _origin_allowed(request: web.Request) -> bool:
    """No Origin (not a browser, or a same-origin GET) or an allowed one."""
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/").lower() in request.app[ORIGINS]


async def _cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    if not request.path.startswith(PREFIX):
        return
    origin = request.headers.get("Origin")
    response.headers["Vary"] = "Origin"
    if origin is not None and _origin_allowed(request):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"


def _session(request: web.Request) -> str:
    """The session's address; 403 from a foreign page, 404 for a token this service did not issue."""
    if not _origin_allowed(request):
        raise ApiError(403, FOREIGN)
    hub = request.app[WEBCHAT]
    token = request.match_info.get("token", "")
    if not valid_token(hub.secret, token):
        raise ApiError(404, NOT_FOUND)
    return hub.address(token)


def _after(request: web.Request) -> int | None:
    raw = request.query.get("after")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ApiError(422, "Tham số 'after' phải là số thứ tự tin nhắn (số nguyên không âm).", field="after")
    return int(raw)


async def _preflight(request: web.Request) -> web.Response:
    if request.headers.get("Origin") is None or not _origin_allowed(request):
        raise ApiError(403, FOREIGN)
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
        },
    )


routes.options("/webchat/sessions")(_preflight)
routes.options("/webchat/sessions/{token}/messages")(_preflight)
routes.options("/webchat/sessions/{token}/contact")(_preflight)


@routes.post("/webchat/sessions")
async def new_session(request: web.Request) -> web.Response:
    if not _origin_allowed(request):
        raise ApiError(403, FOREIGN)
    return reply({"token": issue_token(request.app[WEBCHAT].secret)}, status=201)


@routes.get("/webchat/sessions/{token}/messages")
async def history(request: web.Request) -> web.Response:
    address = _session(request)
    after = _after(request) or 0
    messages = await request.app[WEBCHAT].history(address, after)
    return reply({"messages": messages, "last": messages[-1]["id"] if messages else after})


@routes.post("/webchat/sessions/{token}/messages")
async def post_message(request: web.Request) -> web.Response:
    """The citizen's message through the Inbox (the assistant answers, or an
    agent who has the conversation); the same `client_id` again (a resend
    after a dropped connection) stores nothing and answers as the first time."""
    address = _session(request)
    body = await b.json_object(request)
    text = cast(str, b.text(body, "text", max_len=MAX_TEXT))
    client_id = b.text(body, "client_id", required=False, max_len=MAX_CLIENT_ID) or new_id()
    limit_sender(request, "assistant_sender", address)
    hub = request.app[WEBCHAT]
    provider_id = f"{address}:{client_id}"
    await request.app[INBOX].receive(
        Incoming(
            channel=CHANNEL, address=address, text=text, provider_message_id=provider_id, asker=http_asker(request)
        )
    )
    hub.wake_session(address)  # the session's other tabs
    store = request.app[STORE]
    message_id = await store.inbound_message_id(CHANNEL, provider_id)
    if message_id is None:  # stored by receive above: never
        raise ApiError(409, "Tin nhắn chưa được lưu, xin gửi lại.")
    rows = await store.address_messages(CHANNEL, address, message_id - 1, PAGE)
    mine = [row for row in rows if row["id"] == message_id]
    replies = []
    for row in rows:
        if row["id"] <= message_id:
            continue
        if row["direction"] == "in":
            break  # the citizen's next message: what follows answers that one
        if not row["author"]:  # the assistant's; an agent's reply comes on the socket and in the history
            replies.append(public_message(row))
    return reply(
        {"message": public_message(mine[0]) if mine else None, "replies": replies, "client_id": client_id},
        status=201,
    )


@routes.post("/webchat/sessions/{token}/contact")
async def leave_contact(request: web.Request) -> web.Response:
    """A phone or an email for an agent's answer once the page is closed: put
    on the citizen of the session's conversations, with the consent given here."""
    address = _session(request)
    body = await b.json_object(request)
    given = [name for name in CONTACT_FIELDS if body.get(name) not in (None, "")]
    if len(given) != 1:
        raise ApiError(422, "Xin cho biết một số điện thoại hoặc một địa chỉ email.", field="phone")
    name = cast(str, given[0])
    channel = CONTACT_FIELDS[name]
    spec = REGISTRY[channel]
    raw = b.text(body, name, max_len=254)
    normalize = spec.normalize or str
    contact = b.parsed(name, normalize, raw)
    store = request.app[STORE]
    if not await store.address_messages(CHANNEL, address, 0, 1):
        raise ApiError(409, NO_CONVERSATION)
    citizen_id = await store.ensure_contact(channel, spec.stored(str(contact)))
    citizen = await store.get_citizen(citizen_id)
    if citizen is not None and citizen.withdrew(channel):
        # The owner of this address said stop (HUY): a form anyone can fill in does not undo that.
        raise ApiError(409, WITHDRAWN.format(label=_capital(spec.label)), field=name)
    now = datetime.fromtimestamp(request.app[CLOCK](), UTC)
    await store.add_consent(
        citizen_id, ConsentRecord(channel=channel, granted=True, at=now, via="webchat_form", legal_basis="consent")
    )
    await store.attach_citizen(CHANNEL, address, citizen_id)
    return reply({"saved": True, "channel": channel.value, "contact": spec.mask(str(contact))})


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@routes.get("/webchat/sessions/{token}/live")
async def live(request: web.Request) -> web.WebSocketResponse:
    """The session's messages as they come: a hello with the last id, then
    every message after `after` (or after the hello's last), each once."""
    address = _session(request)
    after = _after(request)
    hub = request.app[WEBCHAT]
    head = await hub.last_id(address, after or 0)
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=4096)
    await ws.prepare(request)
    hub.track(ws)
    writer: asyncio.Task | None = None
    try:
        with hub.presence.present(address):
            await ws.send_str(orjson.dumps({"kind": "hello", "last": head}).decode())
            writer = asyncio.create_task(_write(ws, hub, address, head if after is None else after))
            async for message in ws:
                # The page sends nothing but pings; a closing frame ends the loop.
                if message.type == WSMsgType.ERROR:
                    break
    finally:
        hub.untrack(ws)
        if writer is not None:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
        with contextlib.suppress(Exception):
            await ws.close(code=GOING_AWAY)
    return ws


async def _write(ws: web.WebSocketResponse, hub: WebChatHub, address: str, after: int) -> None:
    try:
        async for batch in hub.follow(address, after):
            for message in batch:
                await ws.send_str(orjson.dumps({"kind": "message", "message": message}).decode())
    except (ConnectionError, RuntimeError):
        pass  # the page went away mid-send: the reading loop ends with the socket
    with contextlib.suppress(Exception):
        await ws.close(code=GOING_AWAY)
