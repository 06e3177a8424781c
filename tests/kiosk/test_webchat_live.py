"""The web chat's live socket: the session's new messages in id order, an
agent's reply shown live (and then not sent by SMS too), every message
exactly once after the connection is cut and resumed, foreign origins and
unknown tokens refused, sockets closed when the service stops."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest

from hub.app import SERVICE
from hub.keys import SECRET
from kiosk.webchat import issue_token, session_address
from kiosk.webchat_api import WEBCHAT
from tests.contact_center.test_live import abort, frames
from tests.kiosk.test_webchat import DAY, ELSEWHERE, PORTAL, agent_replies, conversation_of, history, new_session, say
from tests.support.console import new_agent
from tests.support.served import served, settle


async def connect(client, token: str, after: int | None = None, origin: str | None = None):
    query = "" if after is None else f"?after={after}"
    headers = {"Origin": origin} if origin else {}
    ws = await client.ws_connect(f"/webchat/sessions/{token}/live{query}", headers=headers)
    hello = orjson.loads((await ws.receive(timeout=5)).data)
    assert hello["kind"] == "hello"
    return ws, hello


async def until_connected(client, token: str, expected: bool) -> None:
    address = session_address(client.app[SECRET], token)
    for _ in range(100):
        if client.app[WEBCHAT].presence.connected(address) is expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"presence never became {expected}")


async def test_the_socket_carries_replies_and_an_agents_reply_is_delivered_live(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        token = await new_session(client)
        first = await say(client, token, "Cho hỏi hồ sơ của tôi", "c-1")
        ws, hello = await connect(client, token)
        assert hello["last"] == max(m["id"] for m in (await history(client, token))["messages"])
        assert await frames(ws, quiet=0.3) == [], "nothing before the hello's last is sent again"

        response = await client.post(f"/webchat/sessions/{token}/contact", json={"phone": "0912345678"})
        assert response.status == 200
        second = await say(client, token, "Tôi muốn gặp cán bộ", "c-2")
        got = [f["message"] for f in await frames(ws, quiet=0.5)]
        assert [m["id"] for m in got] == [second["message"]["id"], *[r["id"] for r in second["replies"]]]

        cid = await conversation_of(client, token)
        agent = await new_agent(client)
        sent = await client.app[SERVICE].replies.send(cid, agent, "Dạ, cán bộ đây ạ.")
        assert sent["delivery"] == {"status": "delivered", "reason": "live", "channel": "webchat"}
        [pushed] = await frames(ws, quiet=1.5)
        assert pushed["kind"] == "message"
        assert pushed["message"]["author"] == "agent" and pushed["message"]["text"] == "Dạ, cán bộ đây ạ."
        assert "Nguyễn" not in orjson.dumps(pushed).decode(), "the page is not told which agent"
        await settle(client)
        citizen_id = (await client.app[SERVICE].store.get_conversation(cid))["citizen_id"]
        assert citizen_id is not None
        assert await agent_replies(client, citizen_id) == [], "shown live: no SMS as well"

        await ws.close()
        await until_connected(client, token, False)
        later = await client.app[SERVICE].replies.send(cid, agent, "Ông/Bà còn cần gì không ạ?")
        assert later["delivery"]["channel"] == "sms", "the page closed: the answer goes to the phone left"
        assert first["replies"]


async def test_a_socket_cut_mid_stream_gets_every_message_exactly_once_after_resync(tmp_path):
    async with served(tmp_path, DAY, public_rate_limits="off") as (client, _, _):
        token = await new_session(client)
        await say(client, token, "Xin chào", "c-0")
        cid = await conversation_of(client, token)
        agent = await new_agent(client)
        replies = client.app[SERVICE].replies
        ws, hello = await connect(client, token)
        last = hello["last"]
        processed: list[int] = []  # ids the page acted on (it ignores an id it has)

        async def produce(start: int, count: int) -> None:
            for i in range(start, start + count):
                await replies.send(cid, agent, f"Trả lời số {i}")

        producing = asyncio.create_task(produce(0, 15))
        while len(processed) < 5:  # part of the stream read, then the wire is cut while replies keep coming
            frame = orjson.loads((await ws.receive(timeout=5)).data)
            if frame["message"]["id"] > last:
                processed.append(frame["message"]["id"])
                last = frame["message"]["id"]
        abort(ws)
        await producing
        await produce(15, 3)  # while disconnected

        ws2, hello2 = await connect(client, token, after=last)
        await produce(18, 2)  # after the reconnect: live again
        received = [f["message"] for f in await frames(ws2, quiet=1.5)]
        await ws2.close()
        ids = [m["id"] for m in received]
        assert len(ids) == len(set(ids)) and all(i > last for i in ids), "a message sent twice after the resync"
        processed += ids
        texts = [m["text"] for m in (await history(client, token))["messages"] if m["author"] == "agent"]
        assert texts == [f"Trả lời số {i}" for i in range(20)]
        stored = [m["id"] for m in (await history(client, token))["messages"] if m["author"] == "agent"]
        assert processed == stored, "every message exactly once, in order"
        assert hello2["last"] >= last


async def test_the_socket_refuses_foreign_origins_and_unknown_tokens(tmp_path):
    async with served(tmp_path, DAY, webchat_origins=PORTAL) as (client, _, _):
        token = await new_session(client, PORTAL)
        ws, _ = await connect(client, token, origin=PORTAL)
        await ws.close()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(f"/webchat/sessions/{token}/live", headers={"Origin": ELSEWHERE})
        assert refused.value.status == 403
        forged = issue_token(b"someone else's secret, 32 bytes")
        with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
            await client.ws_connect(f"/webchat/sessions/{forged}/live", headers={"Origin": PORTAL})
        assert unknown.value.status == 404
        with pytest.raises(aiohttp.WSServerHandshakeError) as bad:
            await client.ws_connect(f"/webchat/sessions/{token}/live?after=x", headers={"Origin": PORTAL})
        assert bad.value.status == 422


async def test_open_sockets_are_closed_when_the_service_stops(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        token = await new_session(client)
        ws, _ = await connect(client, token)
        await client.app[WEBCHAT].close_sockets()
        closing = await ws.receive(timeout=3)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert ws.close_code == 1001 or closing.data == 1001
