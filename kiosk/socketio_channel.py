"""Rasa's socket.io channel protocol on `/socket.io/` (issue 13), so that a
province whose portal already embeds a Rasa web chat client (rasa-webchat,
Botfront's widget, its own) points it at this service unchanged.

The protocol as Rasa's SocketIOInput speaks it with session persistence:
`session_request {session_id?}` → `session_confirm <session_id>` to that
socket, which joins a room named by the session; `user_uttered {message,
session_id, customData?}` → the Inbox (channel webchat) → one `bot_uttered
{text, quick_replies?}` per reply to the session's room, every tab of it.

A session id is the session's secret, as the widget's token is: its
conversation's address is `kiosk.webchat.session_address` of it, so a widget
token works as a session id too. An id a client made up is kept only when it
is long enough not to be guessed; otherwise the client is confirmed a new one
(Rasa clients adopt the id `session_confirm` gives them).

Replies are not emitted from the handler: every outbound message of the
conversation reaches the room through one follower per session (the web chat
hub's `follow`: woken by a message posted here and by the store's feed rows,
read every second anyway), so the assistant's answers and an agent's replies
from the console arrive in id order, each once. While a session has a socket
here it counts as present: an agent's reply is shown live, not also sent by
SMS or email."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol

import socketio
from aiohttp import web

from hub.api.errors import ApiError
from hub.api.guard import client_address
from hub.api.ratelimit import RateLimits
from kiosk.webchat import CHANNEL, WebChatHub
from kiosk.webchat_api import FOREIGN
from models.events import new_id
from models.messages import Incoming, Reply

log = logging.getLogger(__name__)

PATH = "/socket.io/"
MAX_TEXT = 2000  # characters, as the assistant's HTTP API takes
# Enough for any chat message; python-socketio's default (1 MB) only helps a flood.
MAX_PACKET = 64 * 1024
# Client-chosen ids shorter than this could be guessed, and whoever guesses one
# reads the agent's replies: such a client is confirmed a fresh id instead.
_SESSION_ID = re.compile(r"[A-Za-z0-9_.:-]{16,128}")
# Sessions whose cursor is kept after their last socket closed, so that a
# reconnect gets the replies written meanwhile (least recently used forgotten).
KEEP_SESSIONS = 10_000
# hub/api/ratelimit.py: a session's messages have the widget's budget (the same
# session may use both: its address is the key); a socket has the web chat's,
# so that switching session ids between messages gains nothing.
SESSION_SCOPE, SOCKET_SCOPE = "assistant_sender", "webchat"
TOO_LONG = f"Tin nhắn quá dài: tối đa {MAX_TEXT} ký tự."
TOO_BIG = f"Gói tin quá lớn: tối đa {MAX_PACKET // 1024} kB."
FAILED = "Hệ thống đang bận, chưa nhận được tin nhắn. Ông/Bà vui lòng gửi lại sau ít phút."


def bot_uttered(message: dict) -> dict:
    """A stored reply as Rasa's SocketIOOutput sends it: buttons as quick replies."""
    payload: dict = {"text": message["text"]}
    buttons = message.get("buttons") or []
    if buttons:
        payload["quick_replies"] = [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons
        ]
    return payload


def room(session_id: str) -> str:
    # Prefixed: python-socketio names a room after every socket's own sid too.
    return "rasa:" + session_id


def valid_session_id(value: object) -> str | None:
    return value if isinstance(value, str) and _SESSION_ID.fullmatch(value) else None


class Receiver(Protocol):
    async def receive(self, message: Incoming) -> list[Reply]: ...


class _Bytes:
    def __init__(self, body: bytes):
        self.body = body

    async def read(self, _length: int = -1) -> bytes:
        return self.body


class _ReadBody:
    """The request as Engine.IO reads it, its body from memory."""

    def __init__(self, request: web.Request, body: bytes):
        self._request, self.content = request, _Bytes(body)

    def __getattr__(self, name: str):
        return getattr(self._request, name)


class _Session:
    """One Rasa session: its sockets here, and the last message id its room was sent."""

    __slots__ = ("id", "address", "sids", "last", "follower", "turn")

    def __init__(self, session_id: str, address: str, last: int):
        self.id, self.address, self.last = session_id, address, last
        self.sids: set[str] = set()
        self.follower: asyncio.Task | None = None
        # python-socketio runs each event in a task of its own: one message at a
        # time per session keeps the conversation in the order the citizen wrote.
        self.turn = asyncio.Lock()


class RasaSocketIO:
    """The socket.io server and its sessions; `attach` mounts it on the app."""

    def __init__(
        self,
        hub: WebChatHub,
        inbox: Receiver,
        origins: Iterable[str],
        *,
        limits: RateLimits | None = None,
        trust_forwarded_for: int = 0,
    ):
        allowed = frozenset(o.rstrip("/").lower() for o in origins)
        self.allowed = allowed
        self.hub, self.inbox, self.limits = hub, inbox, limits
        self.trust_forwarded_for = trust_forwarded_for
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            # Browsers send Origin on the websocket and on polling; a page of
            # another site is refused. Programs (no Origin) are not browsers.
            cors_allowed_origins=lambda origin, *_: isinstance(origin, str) and origin.lower() in allowed,
            max_http_buffer_size=MAX_PACKET,
            logger=False,
            engineio_logger=False,
        )
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._of_sid: dict[str, _Session] = {}
        self._asker: dict[str, str] = {}
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)

    def attach(self, app: web.Application) -> None:
        """Routes GET, POST and OPTIONS /socket.io/; sockets closed at shutdown."""
        for method in ("GET", "POST", "OPTIONS"):
            app.router.add_route(method, PATH, self._handle)
        app.on_shutdown.append(self._close)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/").lower() not in self.allowed:
            # Engine.IO would refuse it too, with a 400 in English: the web chat's 403 instead.
            raise ApiError(403, FOREIGN)
        if request.method == "POST":
            body = await request.read()
            if len(body) > MAX_PACKET:
                # Engine.IO's own refusal waits on the client's next poll, which may never come.
                raise ApiError(413, TOO_BIG)
            # The service's middleware has read the body already (hub/api/protocol.py):
            # Engine.IO reads a polling packet from the request's stream, now empty.
            return await self.sio.handle_request(_ReadBody(request, body))
        return await self.sio.handle_request(request)

    # The events.

    async def _connect(self, sid: str, environ: dict, _auth: object = None) -> None:
        request = environ.get("aiohttp.request")
        address = client_address(request, self.trust_forwarded_for) if request is not None else "unknown"
        # The lookup guard counts a dossier guess against the client, not the session it chose.
        self._asker[sid] = "addr:" + address

    async def _disconnect(self, sid: str, *_: object) -> None:
        self._asker.pop(sid, None)
        self._leave(sid)

    def _leave(self, sid: str) -> _Session | None:
        session = self._of_sid.pop(sid, None)
        if session is not None:
            session.sids.discard(sid)
            if not session.sids and session.follower is not None:
                session.follower.cancel()
                session.follower = None
        return session

    async def _session_request(self, sid: str, data: object = None) -> None:
        given = data.get("session_id") if isinstance(data, dict) else None
        session = await self._join(sid, valid_session_id(given) or secrets.token_hex(16))
        await self.sio.emit("session_confirm", session.id, to=sid)

    async def _user_uttered(self, sid: str, data: object = None) -> None:
        if not isinstance(data, dict):
            return
        text = data.get("message")
        if not isinstance(text, str) or not text.strip():
            return  # Rasa's clients send nothing else; nothing to answer
        given = valid_session_id(data.get("session_id"))
        session = self._of_sid.get(sid)
        if given is not None and (session is None or session.id != given):
            session = await self._join(sid, given)
        elif session is None:
            # No session asked for and none named: this socket's own, confirmed so the client can keep it.
            session = await self._join(sid, secrets.token_hex(16))
            await self.sio.emit("session_confirm", session.id, to=sid)
        if len(text) > MAX_TEXT:
            await self.sio.emit("bot_uttered", {"text": TOO_LONG}, to=sid)
            return
        try:
            self._limit(SESSION_SCOPE, session.address)
            self._limit(SOCKET_SCOPE, "sio:" + sid)
        except ApiError as exc:
            await self.sio.emit("bot_uttered", {"text": exc.message}, to=sid)
            return
        try:
            async with session.turn:
                await self.inbox.receive(
                    Incoming(
                        channel=CHANNEL,
                        address=session.address,
                        # Rasa's clients name no message id: each event is one message.
                        text=text.strip(),
                        provider_message_id=f"{session.address}:sio-{new_id()}",
                        asker=self._asker.get(sid),
                    )
                )
        except Exception:
            log.exception("socket.io message not taken")
            await self.sio.emit("bot_uttered", {"text": FAILED}, to=sid)
            return
        self.hub.wake_session(session.address)  # the replies are stored: its follower sends them now

    # Sessions.

    def _limit(self, scope: str, key: str) -> None:
        if self.limits is not None:
            self.limits.check(scope, key)

    async def _join(self, sid: str, session_id: str) -> _Session:
        session = self._sessions.get(session_id)
        if session is None:
            address = self.hub.address(session_id)
            # A session new to this process starts after what it already holds:
            # a Rasa client keeps its own history, and has no way to skip a repeat.
            last = await self.hub.last_id(address)
            session = self._sessions.get(session_id)  # a second tab may have made it meanwhile
            if session is None:
                session = self._sessions[session_id] = _Session(session_id, address, last)
                self._forget_idle()
        self._sessions.move_to_end(session_id)
        if sid not in self._asker:
            return session  # the socket closed while the session was read: nothing to follow for it
        previous = self._of_sid.get(sid)
        if previous is not None and previous is not session:
            # One session per socket, as Rasa has it: the one it named last.
            self._leave(sid)
            await self.sio.leave_room(sid, room(previous.id))
        self._of_sid[sid] = session
        session.sids.add(sid)
        await self.sio.enter_room(sid, room(session.id))
        if session.follower is None or session.follower.done():
            session.follower = asyncio.create_task(self._follow(session), name=f"socketio:{session.address}")
        return session

    def _forget_idle(self) -> None:
        for session_id in list(self._sessions):
            if len(self._sessions) <= KEEP_SESSIONS:
                return
            if not self._sessions[session_id].sids:
                del self._sessions[session_id]

    async def _follow(self, session: _Session) -> None:
        """Every new outbound message of the session to its room, until its last socket closes."""
        with self.hub.presence.present(session.address):
            try:
                async for batch in self.hub.follow(session.address, session.last):
                    for message in batch:
                        if message["direction"] == "out":
                            await self.sio.emit("bot_uttered", bot_uttered(message), room=room(session.id))
                        session.last = message["id"]
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("socket.io follower stopped")

    async def _close(self, _app: web.Application) -> None:
        # Before the server waits for its handlers: an open websocket would hold it.
        followers = [s.follower for s in self._sessions.values() if s.follower is not None]
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        for sid in list(self._of_sid) + [s for s in self._asker if s not in self._of_sid]:
            with contextlib.suppress(Exception):
                await self.sio.disconnect(sid)
        with contextlib.suppress(Exception):
            await self.sio.shutdown()
