"""The console's live feed: one websocket per open console, fed from the
store's `console_feed` table.

Every console change writes its feed row in the transaction that makes it,
so the feed is the one order of events and `seq` the one position a console
resumes from: after a network drop the client reconnects with the last seq it
saw, gets what it missed, then live rows, and ignores a seq it already has
(exactly once). One reader task reads the feed when woken (a console write,
an inbound message, an escalation) and every second anyway, so that a missed
wake costs a second, never an event. Who receives a row follows the
visibility rule the HTTP side checks (docs/CONSOLE.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import orjson
from aiohttp import WSMsgType, web

from hub.store.port import Agent, FeedRow
from notify.periodic import Periodic

log = logging.getLogger(__name__)

SAFETY_NET = 1.0  # seconds between reads of the feed when nothing woke the reader
BOUND = 1000  # rows waiting for one socket before it is deemed too slow and closed
HEARTBEAT = 20.0
PAGE = 500
KEEP = timedelta(days=2)
TOO_SLOW = 4000  # close code: the client reconnects with its last seq
SIGNED_OUT = 4001  # close code: the session ended (signed out, expired, account disabled): sign in again
RECHECK = 60.0  # seconds between checks that a socket's session is still live
GOING_AWAY = 1001
# An agent whose every console has been closed this long is offline: auto-assignment
# stops giving them conversations. Longer than a reconnect after a network drop.
PRESENCE_GRACE = 60.0
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})


class FeedStore(Protocol):
    async def feed_since(self, seq: int, limit: int = 500) -> list[FeedRow]: ...
    async def feed_last_seq(self) -> int: ...
    async def prune_feed(self, before: datetime) -> int: ...
    async def mentioned_in(self, agent_id: str) -> set[str]: ...
    async def set_presence(self, agent_id: str, presence: str, now: datetime) -> None: ...


def frame(row: FeedRow, payload: dict | None = None) -> str:
    return orjson.dumps(
        {
            "seq": row.seq,
            "kind": row.kind,
            "at": row.at,
            "conversation_id": row.conversation_id,
            "payload": row.payload if payload is None else payload,
        }
    ).decode()


class _Socket:
    def __init__(self, ws: web.WebSocketResponse, agent: Agent, mentioned: set[str], bound: int):
        self.ws = ws
        self.agent = agent
        self.supervisor = agent.role in SUPERVISOR_ROLES
        self.mentioned = mentioned  # conversations where a note mentions this agent (shared per agent)
        self.known: set[str] = set()  # conversations this socket was told about
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=bound)
        self.closed = False
        self.writer: asyncio.Task | None = None

    def sees(self, row: FeedRow) -> str | None:
        """'full', 'reduced' (the row takes the conversation away: without its
        note) or None, by the visibility rule."""
        me = self.agent.id
        if row.kind == "presence":
            return "full"
        if row.kind == "mention":
            return "full" if row.agent_id == me else None
        if self.supervisor:
            return "full"
        cid = row.conversation_id
        if cid is None:
            return None
        if row.assignee == me or (row.assignee is None and row.team in (None, self.agent.team)):
            return "full"
        if cid in self.mentioned:
            return "full"
        if row.kind == "conversation.assigned" and (
            cid in self.known or row.team in (None, self.agent.team) or row.payload.get("by") == me
        ):
            return "reduced"
        return None

    def render(self, row: FeedRow, cache: dict[str, str]) -> str | None:
        how = self.sees(row)
        if how is None:
            return None
        if row.conversation_id is not None:
            self.known.add(row.conversation_id)
        if how not in cache:
            if how == "full":
                cache[how] = frame(row)
            else:
                cache[how] = frame(row, {k: v for k, v in row.payload.items() if k != "note"})
        return cache[how]


class LiveHub:
    def __init__(
        self,
        store: FeedStore,
        clock: Callable[[], float],
        *,
        safety_net: float = SAFETY_NET,
        bound: int = BOUND,
        heartbeat: float = HEARTBEAT,
        keep: timedelta = KEEP,
        recheck: float = RECHECK,
        presence_grace: float = PRESENCE_GRACE,
    ):
        self.store = store
        self.clock = clock
        self.safety_net = safety_net
        self.bound = bound
        self.heartbeat = heartbeat
        self.keep = keep
        self.recheck = recheck
        self.presence_grace = presence_grace
        self._leaving: dict[str, asyncio.Task] = {}  # agent id -> going offline unless a console comes back
        self._sockets: set[_Socket] = set()
        self._mentioned: dict[str, set[str]] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._last = 0
        self._task: asyncio.Task | None = None

    @property
    def head(self) -> int:
        return self._last

    @property
    def connected(self) -> int:
        return len(self._sockets)

    def wake(self, *_: object) -> None:
        """Read the feed now (after a write; also a bus handler's shape)."""
        self._wake.set()

    async def on_event(self, _message: object) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._last = await self.store.feed_last_seq()
        self._task = asyncio.create_task(self._run(), name="console-live")

    async def stop(self) -> None:
        for leaving in self._leaving.values():
            leaving.cancel()
        self._leaving.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.close_sockets()

    async def close_sockets(self) -> None:
        """Every console is told the server is going away (it reconnects to the next one)."""
        for sock in list(self._sockets):
            await self._drop(sock, GOING_AWAY, "server stopping")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.safety_net)
            self._wake.clear()
            try:
                await self.pump()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The store down for a moment: the rows are still there next round.
                log.exception("console live feed read failed")

    async def pump(self) -> int:
        """Send every row after the last one read to the sockets that see it; how many rows."""
        count = 0
        async with self._lock:
            while True:
                rows = await self.store.feed_since(self._last, PAGE)
                for row in rows:
                    self._deliver(row)
                    self._last = row.seq
                count += len(rows)
                if len(rows) < PAGE:
                    return count

    def _deliver(self, row: FeedRow) -> None:
        if row.kind == "mention" and row.agent_id is not None and row.conversation_id is not None:
            mentioned = self._mentioned.get(row.agent_id)
            if mentioned is not None:
                mentioned.add(row.conversation_id)
        cache: dict[str, str] = {}
        for sock in list(self._sockets):
            text = sock.render(row, cache)
            if text is None or sock.closed:
                continue
            try:
                sock.queue.put_nowait(text)
            except asyncio.QueueFull:
                log.warning("console socket too slow, closed", extra={"agent_id": sock.agent.id})
                self._sockets.discard(sock)
                sock.closed = True
                asyncio.get_running_loop().create_task(self._drop(sock, TOO_SLOW, "too slow"))

    async def _drop(self, sock: _Socket, code: int, why: str) -> None:
        self._sockets.discard(sock)
        sock.closed = True
        if sock.writer is not None and sock.writer is not asyncio.current_task():
            sock.writer.cancel()
        with contextlib.suppress(Exception):
            await sock.ws.close(code=code, message=why.encode())

    async def _mentions_of(self, agent: Agent) -> set[str]:
        if agent.role in SUPERVISOR_ROLES:
            return set()
        mentioned = self._mentioned.get(agent.id)
        if mentioned is None:
            mentioned = self._mentioned[agent.id] = set(await self.store.mentioned_in(agent.id))
        return mentioned

    async def _attach(self, sock: _Socket, since: int | None, *, reset: bool = False) -> None:
        """The hello frame, what was missed after `since`, then live rows:
        under the reader's lock, so that no row falls between the replay
        and the live stream."""
        async with self._lock:
            head, missed = self._last, list[str]()
            if since is not None and since < head:
                seq = since
                while seq < head:
                    rows = [r for r in await self.store.feed_since(seq, PAGE) if r.seq <= head]
                    if seq == since and (not rows or rows[0].seq > since + 1):
                        reset = True  # pruned: the client reloads over HTTP
                        break
                    if not rows:
                        break
                    cache_rows = [sock.render(r, {}) for r in rows]
                    missed.extend(t for t in cache_rows if t is not None)
                    if len(missed) >= self.bound:
                        reset = True  # too much to replay: reloading is quicker
                        break
                    seq = rows[-1].seq
            if reset:
                missed = []
            hello = {"kind": "hello", "seq": None, "head": head, "reset": reset}
            sock.queue.put_nowait(orjson.dumps(hello).decode())
            for text in missed:
                sock.queue.put_nowait(text)
            self._sockets.add(sock)

    async def _write(self, sock: _Socket) -> None:
        try:
            while True:
                await sock.ws.send_str(await sock.queue.get())
        except (ConnectionError, RuntimeError):
            # The peer went away mid-send: no more rows for it; closing ends the reading loop.
            self._sockets.discard(sock)
            sock.closed = True
            with contextlib.suppress(Exception):
                await sock.ws.close(code=GOING_AWAY)

    async def serve(
        self,
        request: web.Request,
        agent: Agent,
        still_signed: Callable[[], Awaitable[bool]] | None = None,
    ) -> web.WebSocketResponse:
        """The websocket of `agent`'s console (the session already checked;
        `still_signed` says whether it still is: a socket outlives requests,
        and a revoked session must not keep receiving)."""
        raw = request.query.get("since")
        since = _since(raw)
        ws = web.WebSocketResponse(heartbeat=self.heartbeat, max_msg_size=4096)
        await ws.prepare(request)
        sock = _Socket(ws, agent, await self._mentions_of(agent), self.bound + 1)  # +1: the hello
        returning = self._leaving.pop(agent.id, None)
        if returning is not None:
            returning.cancel()  # back within the grace: the presence they chose stands
        watch: asyncio.Task | None = None
        try:
            await self._attach(sock, since, reset=raw is not None and since is None)
            sock.writer = asyncio.create_task(self._write(sock), name="console-live-writer")
            if still_signed is not None:
                watch = asyncio.create_task(self._watch(sock, still_signed, self.recheck), name="console-live-session")
            async for message in ws:
                # Consoles send nothing but pings; a closing frame ends the loop.
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            # Before any await: aiohttp may cancel this handler when the peer goes,
            # and a cancelled clean-up must not leave the socket in the hub.
            self._sockets.discard(sock)
            if watch is not None:
                watch.cancel()
            if not any(other.agent.id == agent.id for other in self._sockets) and agent.id not in self._leaving:
                self._leaving[agent.id] = asyncio.get_running_loop().create_task(
                    self._offline_after_grace(agent.id), name="console-live-presence"
                )
            await self._drop(sock, GOING_AWAY, "bye")
        return ws

    async def _offline_after_grace(self, agent_id: str) -> None:
        await asyncio.sleep(self.presence_grace)
        if self._leaving.get(agent_id) is not asyncio.current_task():
            return
        del self._leaving[agent_id]
        if any(sock.agent.id == agent_id for sock in self._sockets):
            return
        try:
            await self.store.set_presence(agent_id, "offline", datetime.fromtimestamp(self.clock(), UTC))
        except Exception:
            log.exception("console presence not updated", extra={"agent_id": agent_id})
        self.wake()

    async def _watch(self, sock: _Socket, still_signed: Callable[[], Awaitable[bool]], every: float) -> None:
        while not sock.closed:
            await asyncio.sleep(every)
            try:
                signed = await still_signed()
            except Exception:
                log.exception("console session check failed")
                continue  # the store down for a moment is no sign-out
            if not signed:
                self._sockets.discard(sock)
                sock.closed = True
                with contextlib.suppress(Exception):
                    await sock.ws.close(code=SIGNED_OUT, message=b"signed out")
                return

    async def prune(self) -> int:
        return await self.store.prune_feed(datetime.fromtimestamp(self.clock(), UTC) - self.keep)


def _since(raw: str | None) -> int | None:
    """A bad `since` is no position: the console gets live rows and the hello's reset."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


class ConsoleTick(Periodic):
    """Feed rows older than `keep` (two days) pruned: a console away longer
    than that reloads over HTTP (the hello's `reset`). Snoozed conversations
    are woken by the assignment sweep (contact_center/assignment.py)."""

    name, done = "console-feed-prune", "console feed rows pruned"

    def __init__(self, live: LiveHub, *, interval: float = 3600.0):
        self.live = live
        self.interval = interval

    async def run_once(self) -> int:
        return await self.live.prune()
