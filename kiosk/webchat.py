"""The web chat's sessions and live feed (issue 13, docs/KIOSK_WEBCHAT.md).

A session is a token the server issues: 16 random bytes and 16 bytes of
their HMAC under the service secret, so a token nobody issued is told apart
without a table. The conversation's address is an HMAC of the token, so the
database (and every log that names an address) holds nothing that opens the
session: the token stays the page's secret.

The live feed follows the console's pattern (contact_center/live.py): every
socket of a session reads its messages after the last id it sent when woken
(a message posted on the session, a console write committing a feed row)
and every second anyway, so a missed wake costs a second, never a message.
While one is open the session counts as present (`WebPresence`): an agent's
reply is then shown live rather than also sent by SMS or email."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Protocol

from models.citizen import Channel

log = logging.getLogger(__name__)

CHANNEL = Channel.WEBCHAT
SAFETY_NET = 1.0  # seconds between the hub's reads of which sessions have news nobody woke them for
LAST_RESORT = 30.0  # seconds a follower waits before reading anyway
PAGE = 200
_NONCE, _MAC = 16, 16
_DOMAIN = b"tongdai/webchat-session/v1:"


class WebChatStore(Protocol):
    async def address_messages(self, channel: Channel, address: str, after: int, limit: int = 500) -> list[dict]: ...
    async def addresses_after(self, channel: Channel, after: int) -> tuple[int, dict[str, int]]: ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(secret: bytes, nonce: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + nonce, hashlib.sha256).digest()[:_MAC]


def issue_token(secret: bytes) -> str:
    """A new session's token: 43 URL-safe characters."""
    nonce = secrets.token_bytes(_NONCE)
    return _b64(nonce + _sign(secret, nonce))


def valid_token(secret: bytes, token: object) -> bool:
    """The token was issued by this service (same secret); constant time on the MAC."""
    if not isinstance(token, str) or len(token) != 43 or not token.isascii():
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return False
    if len(raw) != _NONCE + _MAC or _b64(raw) != token:
        return False  # one spelling only: no second token for the same session
    return hmac.compare_digest(raw[_NONCE:], _sign(secret, raw[:_NONCE]))


def session_address(secret: bytes, token: str) -> str:
    """The conversation address of a session (an HTTP token, or a Rasa socket.io session id)."""
    return "ws_" + hmac.new(secret, token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def public_message(row: dict) -> dict:
    """A stored message as the page shows it: who wrote it, never which agent."""
    if row["direction"] == "in":
        author = "citizen"
    else:
        author = "agent" if row.get("author") else "assistant"
    return {
        "id": row["id"],
        "direction": row["direction"],
        "author": author,
        "text": row["text"],
        "buttons": [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in row.get("buttons") or []],
        "at": row["at"],
    }


class WebPresence:
    """Which sessions have a page open now (contact_center.replies asks it)."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def connected(self, address: str) -> bool:
        return self._open.get(address, 0) > 0

    @contextlib.contextmanager
    def present(self, address: str) -> Iterator[None]:
        self._open[address] = self._open.get(address, 0) + 1
        try:
            yield
        finally:
            left = self._open.get(address, 1) - 1
            if left > 0:
                self._open[address] = left
            else:
                self._open.pop(address, None)

    @property
    def sessions(self) -> int:
        return len(self._open)


class WebChatHub:
    """The sessions' messages and their wake-ups; the websocket (kiosk.webchat_api)
    and the Rasa socket.io channel both follow a session through `follow`."""

    def __init__(self, store: WebChatStore, secret: bytes, *, safety_net: float = SAFETY_NET):
        self.store = store
        self.secret = secret
        self.safety_net = safety_net
        self.presence = WebPresence()
        # address -> one event per follower, with the last id that follower has read
        self._waiting: dict[str, dict[asyncio.Event, int]] = {}
        self._closing = asyncio.Event()
        self._sockets: set = set()  # open websockets, closed on shutdown
        self._watch: asyncio.Task | None = None
        self._poke = asyncio.Event()

    def address(self, token: str) -> str:
        return session_address(self.secret, token)

    def wake(self, *_: object) -> None:
        """A console write committed a feed row (the store's listener carries no
        address): the watch reads now which sessions have news, and wakes those."""
        self._poke.set()

    def wake_session(self, address: str) -> None:
        """The followers of one session read now (a message posted on it)."""
        for event in self._waiting.get(address, ()):
            event.set()

    async def messages(self, address: str, after: int = 0, limit: int = PAGE) -> list[dict]:
        rows = await self.store.address_messages(CHANNEL, address, after, limit)
        return [public_message(row) for row in rows]

    async def history(self, address: str, after: int = 0) -> list[dict]:
        """Every message after `after`, page by page."""
        found: list[dict] = []
        while True:
            page = await self.messages(address, after)
            found.extend(page)
            if len(page) < PAGE:
                return found
            after = page[-1]["id"]

    async def last_id(self, address: str, after: int = 0) -> int:
        last = after
        while page := await self.store.address_messages(CHANNEL, address, last, PAGE):
            last = page[-1]["id"]
            if len(page) < PAGE:
                break
        return last

    async def follow(self, address: str, after: int) -> AsyncIterator[list[dict]]:
        """Batches of the session's new messages after `after`, in id order, each
        once, for as long as the caller iterates (until the service closes)."""
        event = asyncio.Event()
        followers = self._waiting.setdefault(address, {})
        followers[event] = after
        if self._watch is None or self._watch.done():
            self._watch = asyncio.get_running_loop().create_task(self._watching(), name="webchat-watch")
        last = after
        try:
            while not self._closing.is_set():
                event.clear()  # before the read: a wake during it is not lost
                try:
                    batch = await self.messages(address, last)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The store down for a moment: the messages are still there next round.
                    log.exception("web chat live read failed")
                    batch = []
                if batch:
                    last = followers[event] = batch[-1]["id"]
                    yield batch
                    if len(batch) == PAGE:
                        continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), LAST_RESORT)
        finally:
            followers.pop(event, None)
            if not followers and self._waiting.get(address) is followers:
                del self._waiting[address]

    async def _watching(self) -> None:
        """The safety net for every session at once: one read a second says which
        sessions got a message that woke nobody (another process wrote it, say),
        and only their followers that have not read it yet read. 500 open pages
        cost one query, not 500."""
        seen = -1
        while self._waiting and not self._closing.is_set():
            self._poke.clear()  # before the read: a poke during it is not lost
            try:
                seen, news = await self.store.addresses_after(CHANNEL, seen)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("web chat watch failed")
                news = dict.fromkeys(self._waiting, sys.maxsize)  # cannot tell who has news: everyone reads
            for address, newest in news.items():
                for event, last in self._waiting.get(address, {}).items():
                    if newest > last:
                        event.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self.safety_net)

    def track(self, ws) -> None:
        self._sockets.add(ws)

    def untrack(self, ws) -> None:
        self._sockets.discard(ws)

    @property
    def closing(self) -> bool:
        return self._closing.is_set()

    async def close_sockets(self) -> None:
        """Every page is told the server is going away (the widget reconnects with its last id)."""
        self._closing.set()
        for events in self._waiting.values():  # the followers see it and end
            for event in events:
                event.set()
        if self._watch is not None:
            self._watch.cancel()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server stopping")
        self._sockets.clear()
