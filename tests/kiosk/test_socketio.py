"""Rasa's socket.io channel (kiosk/socketio_channel.py) spoken by a real
python-socketio client, as a Rasa web chat client speaks it, against the
service on a real port: session_request → session_confirm, user_uttered →
bot_uttered with quick replies, a button's payload, an escalation and the
agent's reply pushed to that session's room only, and a page of a foreign
origin refused."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
import socketio
from aiohttp.test_utils import TestServer

from hub.app import SERVICE, create_app
from hub.settings import Settings
from kiosk.webchat import session_address
from models.citizen import Channel

pytestmark = pytest.mark.timeout(120)

PORTAL = "https://dichvucong.example.gov.vn"
WAIT = 10.0


class RasaClient:
    """A Rasa web chat client: what it emits, and every event it hears, in order."""

    def __init__(self, url: str, origin: str = PORTAL):
        self.url, self.origin = url, origin
        self.sio = socketio.AsyncClient(reconnection=False)
        self.heard: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        for event in ("session_confirm", "bot_uttered"):
            self.sio.on(event, self._hear(event))

    def _hear(self, event: str):
        async def handler(data=None):
            await self.heard.put((event, data))

        return handler

    async def connect(self, transports: tuple[str, ...] = ("websocket",)) -> None:
        await self.sio.connect(
            self.url, headers={"Origin": self.origin}, transports=list(transports), socketio_path="socket.io"
        )

    async def next(self, event: str, within: float = WAIT) -> Any:
        got, data = await asyncio.wait_for(self.heard.get(), within)
        assert got == event, (got, data)
        return data

    async def session(self, session_id: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        confirmed = await self.next("session_confirm")
        assert isinstance(confirmed, str)
        return confirmed

    async def say(self, session_id: str, text: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id, "customData": {"x": 1}})

    async def close(self) -> None:
        if self.sio.transport() == "polling":
            # python-engineio's client waits for its pending long poll (25 s) after a
            # graceful close; the server has its CLOSE packet and frees the poll on stop.
            await self.sio.eio.disconnect(abort=True)
        else:
            await self.sio.disconnect()

    async def silent(self, seconds: float = 1.5) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(self.heard.get(), seconds)


@contextlib.asynccontextmanager
async def serving(tmp_path, **settings) -> AsyncIterator[TestServer]:
    app = await create_app(
        Settings(data_dir=tmp_path / "data", bus_poll_seconds=0.05, webchat_origins=PORTAL, **settings)
    )
    server = TestServer(app, host="127.0.0.1")
    async with server:
        # The built-in engine trains in the background (cached after the first time).
        await asyncio.wait_for(app[SERVICE].engine.until_ready(), 60)
        yield server


@pytest.fixture
async def served(tmp_path) -> AsyncIterator[TestServer]:
    async with serving(tmp_path) as server:
        yield server


@pytest.fixture
async def client(served) -> AsyncIterator[RasaClient]:
    found = RasaClient(str(served.make_url("/")))
    await found.connect()
    yield found
    await found.sio.disconnect()


async def test_session_request_is_confirmed_with_a_new_or_the_given_id(client):
    fresh = await client.session(None)
    assert len(fresh) == 32
    kept = "rasa-webchat-" + "a1b2c3d4e5f6" * 2
    assert await client.session(kept) == kept
    # Guessable: another visitor could pick it and read the agent's replies.
    assert await client.session("user1") not in ("user1", fresh, kept)


async def test_a_question_is_answered_as_bot_uttered_with_quick_replies(client):
    session_id = await client.session()
    await client.say(session_id, "xin chào ạ")
    answer = await client.next("bot_uttered")
    assert isinstance(answer, dict)
    assert answer["text"].startswith("Xin chào Ông/Bà")
    assert {"content_type": "text", "title": "Tra cứu hồ sơ", "payload": "/check_dossier_status"} in answer[
        "quick_replies"
    ]
    await client.silent(0.5)  # one reply, once


async def test_a_message_without_a_session_gets_one_and_its_answer(client):
    await client.sio.emit("user_uttered", {"message": "xin chào"})
    session_id = await client.next("session_confirm")
    assert len(session_id) == 32
    assert (await client.next("bot_uttered"))["text"].startswith("Xin chào Ông/Bà")
    await client.say(session_id, "x" * 2001)
    assert (await client.next("bot_uttered"))["text"].startswith("Tin nhắn quá dài")
    await client.sio.emit("user_uttered", "not an object")
    await client.silent(0.5)


async def test_a_button_payload_is_taken_as_the_citizen_chose_it(client):
    session_id = await client.session()
    await client.say(session_id, "/check_dossier_status")
    answer = await client.next("bot_uttered")
    assert "mã hồ sơ" in answer["text"]
    assert "quick_replies" not in answer or answer["quick_replies"]


async def test_the_agents_reply_reaches_that_session_only(served, client):
    service = served.app[SERVICE]
    session_id = await client.session()
    other = RasaClient(str(served.make_url("/")))
    await other.connect(("polling",))
    try:
        other_id = await other.session()
        await client.say(session_id, "/request_human")
        handoff = await client.next("bot_uttered")
        assert handoff["text"]
        address = session_address(service.secret, session_id)
        [conversation] = [
            c for c in await service.store.list_conversations(channel=Channel.WEBCHAT) if c["address"] == address
        ]
        [escalation] = [e for e in await service.store.list_escalations() if e["conversation_id"] == conversation["id"]]
        assert escalation
        agent, _ = await service.agents.create("Nguyễn Văn An", "an@example.vn", "agent", "Một cửa", "cli:test")
        sent = await service.replies.send(conversation["id"], agent, "Chào Ông/Bà, tôi là cán bộ An, tôi xem ngay ạ.")
        # The client's socket is open: the reply is shown there, not also sent by SMS or email.
        assert sent["delivery"]["status"] == "delivered"
        reply = await client.next("bot_uttered")
        assert reply == {"text": "Chào Ông/Bà, tôi là cán bộ An, tôi xem ngay ạ."}
        await other.silent()
        assert other_id != session_id
    finally:
        await other.close()


async def test_a_reply_written_while_the_socket_was_closed_arrives_on_reconnect(served, client):
    service = served.app[SERVICE]
    session_id = await client.session()
    await client.say(session_id, "/request_human")
    await client.next("bot_uttered")
    await client.sio.disconnect()
    address = session_address(service.secret, session_id)
    [conversation] = [
        c for c in await service.store.list_conversations(channel=Channel.WEBCHAT) if c["address"] == address
    ]
    agent, _ = await service.agents.create("Trần Thị Bình", "binh@example.vn", "agent", "Một cửa", "cli:test")
    await service.replies.send(conversation["id"], agent, "Hồ sơ của Ông/Bà đã được chuyển.")
    again = RasaClient(str(served.make_url("/")))
    await again.connect()
    try:
        assert await again.session(session_id) == session_id
        assert (await again.next("bot_uttered"))["text"] == "Hồ sơ của Ông/Bà đã được chuyển."
    finally:
        await again.sio.disconnect()


async def test_a_page_of_another_origin_is_refused(served):
    for transports in (("websocket",), ("polling",)):
        foreign = RasaClient(str(served.make_url("/")), origin="https://evil.example")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await foreign.connect(transports)
        assert not foreign.sio.connected
    async with aiohttp.ClientSession() as http:
        refused = await http.get(
            served.make_url("/socket.io/?EIO=4&transport=polling"), headers={"Origin": "https://evil.example"}
        )
        assert refused.status == 403
        assert (await refused.json())["message"].startswith("Trang này không được phép")
        opened = await http.get(served.make_url("/socket.io/?EIO=4&transport=polling"), headers={"Origin": PORTAL})
        assert opened.status == 200
        assert opened.headers["Access-Control-Allow-Origin"] == PORTAL
        sid = orjson.loads((await opened.text())[1:])["sid"]
        too_big = await http.post(served.make_url(f"/socket.io/?EIO=4&transport=polling&sid={sid}"), data=b"4" * 70_000)
        assert too_big.status == 413


async def test_a_flood_of_messages_meets_the_sessions_limit(tmp_path):
    async with serving(tmp_path, public_rate_limits="assistant_sender=5/min") as server:
        flood = RasaClient(str(server.make_url("/")))
        await flood.connect()
        try:
            session_id = await flood.session()
            for _ in range(7):
                await flood.say(session_id, "xin chào")
            texts = []
            with contextlib.suppress(TimeoutError):
                while True:
                    texts.append((await flood.next("bot_uttered", within=3))["text"])
            assert sum(t.startswith("Bạn gửi quá nhiều yêu cầu") for t in texts) == 2, texts
            assert sum(t.startswith("Xin chào Ông/Bà") for t in texts) == 5, texts
        finally:
            await flood.sio.disconnect()
