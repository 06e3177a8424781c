"""The console's websocket: a console that loses its connection mid-stream
and reconnects with the last seq it saw gets every event exactly once; and
an agent's socket carries only what that agent may see."""

from __future__ import annotations

import asyncio
from datetime import datetime

import aiohttp
import orjson

from hub.app import SERVICE
from hub.keys import STORE
from models.timeutil import VN_TZ
from tests.contact_center.test_console_queue import TEAM, agent_headers, post, queued
from tests.support.served import served

DAY = datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ)


async def frames(ws, *, quiet: float = 0.5, limit: int = 10_000) -> list[dict]:
    """What arrives until the socket stays quiet for `quiet` seconds."""
    got: list[dict] = []
    while len(got) < limit:
        try:
            message = await ws.receive(timeout=quiet)
        except TimeoutError:
            return got
        if message.type != aiohttp.WSMsgType.TEXT:
            return got
        got.append(orjson.loads(message.data))
    return got


async def connect(client, headers: dict, since: int | None = None):
    path = "/console/api/live" + (f"?since={since}" if since is not None else "")
    ws = await client.ws_connect(path, headers={"Cookie": headers["Cookie"]})
    hello = orjson.loads((await ws.receive(timeout=5)).data)
    assert hello["kind"] == "hello" and hello["seq"] is None
    return ws, hello


def abort(ws) -> None:
    """A network drop: the connection dies without a closing handshake."""
    ws._response.connection.transport.abort()  # noqa: SLF001  no public way to cut the wire


async def test_a_console_dropped_mid_stream_gets_every_event_exactly_once_after_resync(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        ws, hello = await connect(client, sup)
        head = hello["head"]
        processed: list[int] = []  # seqs the console acted on (it ignores any seq <= its last)

        async def produce(count: int) -> None:
            for i in range(count):
                cid = await queued(client, team=TEAM)
                await post(client, sup, f"/console/api/conversations/{cid}/priority", {"priority": 1 + i % 2})

        producing = asyncio.create_task(produce(15))
        last = head
        while len(processed) < 8:  # part of the stream read, then the wire is cut while rows keep coming
            frame = orjson.loads((await ws.receive(timeout=5)).data)
            if frame["seq"] > last:
                processed.append(frame["seq"])
                last = frame["seq"]
        abort(ws)
        await asyncio.sleep(0.2)
        await produce(3)  # while disconnected
        await producing

        ws2, hello2 = await connect(client, sup, since=last)
        assert hello2["reset"] is False
        await produce(2)  # after the reconnect: live again
        received = await frames(ws2)
        await ws2.close()
        seqs = [f["seq"] for f in received]
        assert len(seqs) == len(set(seqs)) and all(s > last for s in seqs), "a row sent twice after the resync"
        processed += seqs
        everything = [row.seq for row in await client.app[STORE].feed_since(head, 10_000)]
        assert processed == everything  # each once, in order, none missing
        assert len(everything) >= 2 * 20
        for _ in range(50):  # both sockets, the cut one too, leave the hub once the server notices
            if client.app[SERVICE].live.connected == 0:
                break
            await asyncio.sleep(0.05)
        assert client.app[SERVICE].live.connected == 0


async def test_an_agent_does_not_receive_events_of_a_conversation_assigned_to_another(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        an, an_h = await agent_headers(client, "an@example.vn")
        _, binh_h = await agent_headers(client, "binh@example.vn")
        ws_an, _ = await connect(client, an_h)
        ws_binh, _ = await connect(client, binh_h)
        cid = await queued(client, team=TEAM)
        other_team = await queued(client, team="Thuế")  # in no team when queued, then Thuế's
        assert (await post(client, an_h, f"/console/api/conversations/{cid}/claim")).status == 200
        await post(client, an_h, f"/console/api/conversations/{cid}/notes", {"text": "Ghi chú riêng của An"})
        await post(client, an_h, f"/console/api/conversations/{cid}/labels", {"labels": ["đất đai"]})
        await post(client, an_h, f"/console/api/conversations/{cid}/status", {"status": "pending"})
        now = datetime.fromtimestamp(client.app[SERVICE].live.clock(), VN_TZ)
        assert await client.app[STORE].set_priority(other_team, 2, by="test", now=now)
        an_got, binh_got = await frames(ws_an), await frames(ws_binh)
        await ws_an.close()
        await ws_binh.close()

        def kinds(got: list[dict], conversation: str) -> list[str]:
            return [f["kind"] for f in got if f["conversation_id"] == conversation]

        # queued, put in the team (by the test's set-up), claimed, then An's work on it.
        assert kinds(an_got, cid) == [
            "conversation.queued",
            "conversation.assigned",
            "conversation.assigned",
            "message.created",
            "conversation.updated",
            "conversation.status",
        ]
        # Bình saw it arrive unassigned, and that An took it (to drop it from the list); nothing since.
        assert kinds(binh_got, cid) == ["conversation.queued", "conversation.assigned", "conversation.assigned"]
        assigned = [f for f in binh_got if f["kind"] == "conversation.assigned"][-1]
        assert assigned["payload"]["assignee"] == an.id and "note" not in assigned["payload"]
        assert "Ghi chú riêng" not in orjson.dumps(binh_got).decode()
        # Another team's conversation: seen while in no team, then that it left; nothing since.
        assert (
            kinds(an_got, other_team) == kinds(binh_got, other_team) == ["conversation.queued", "conversation.assigned"]
        )


async def test_a_mention_reaches_the_agent_mentioned_and_opens_the_conversation_to_them(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an_h = await agent_headers(client, "an@example.vn", name="Nguyễn Văn An")
        binh, binh_h = await agent_headers(client, "binh@example.vn", name="Trần Thị Bình", team="Thuế")
        cid = await queued(client, team=TEAM)
        ws_binh, _ = await connect(client, binh_h)
        await post(client, an_h, f"/console/api/conversations/{cid}/claim")
        await post(client, an_h, f"/console/api/conversations/{cid}/notes", {"text": "@binh giúp em việc thuế"})
        await post(client, an_h, f"/console/api/conversations/{cid}/notes", {"text": "Thêm: công dân đang chờ"})
        got = await frames(ws_binh)
        await ws_binh.close()
        mention = [f for f in got if f["kind"] == "mention"]
        assert len(mention) == 1 and mention[0]["conversation_id"] == cid
        # Mentioned, Bình now follows the conversation: the next note reaches them.
        texts = [f["payload"]["message"]["text"] for f in got if f["kind"] == "message.created"]
        assert "Thêm: công dân đang chờ" in texts
        assert binh.id


async def test_a_bad_since_resets_and_no_session_is_refused(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        refused = await client.get("/console/api/live")
        assert refused.status == 401
        _, an_h = await agent_headers(client, "an@example.vn")
        ws, hello = await connect(client, an_h, since=None)
        assert hello["reset"] is False
        await ws.close()
        ws = await client.ws_connect("/console/api/live?since=abc", headers={"Cookie": an_h["Cookie"]})
        hello = orjson.loads((await ws.receive(timeout=5)).data)
        assert hello["reset"] is True
        await ws.close()
        plain = await client.get("/console/api/live", headers={"Cookie": an_h["Cookie"]})
        assert plain.status == 400


async def test_a_socket_whose_session_ends_is_closed_with_4001(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        client.app[SERVICE].live.recheck = 0.05
        _, an_h = await agent_headers(client, "an@example.vn")
        ws, _ = await connect(client, an_h)
        await asyncio.sleep(0.2)
        assert not ws.closed  # a live session keeps its socket
        signed_out = await client.post("/console/logout", headers=an_h, allow_redirects=False)
        assert signed_out.status == 303
        message = await ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 4001


async def test_a_socket_too_slow_to_keep_up_is_closed_with_4000_and_resumes_by_seq(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        live = client.app[SERVICE].live
        live.bound = 3
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        ws, hello = await connect(client, sup)
        async with live._lock:  # noqa: SLF001  rows pile up while the reader waits: one burst of 6
            created = [await queued(client) for _ in range(6)]
        got = await frames(ws)
        closing = await ws.receive(timeout=5) if not ws.closed else None
        assert ws.closed and (closing is None or closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED))
        assert ws.close_code == 4000 or (closing is not None and closing.data == 4000)
        last = max([hello["head"], *(f["seq"] for f in got)])
        live.bound = 1000
        ws2, again = await connect(client, sup, since=last)
        assert again["reset"] is False
        rest = await frames(ws2)
        await ws2.close()
        queued_ids = [f["conversation_id"] for f in got + rest if f["kind"] == "conversation.queued"]
        assert queued_ids == created  # each once, in order, across the forced reconnect


async def test_rows_older_than_two_days_are_pruned_and_a_console_that_old_is_told_to_reload(tmp_path):
    async with served(tmp_path, DAY) as (client, clock, _):
        cid = await queued(client)
        first = await client.app[STORE].feed_last_seq()
        clock.advance(3 * 24 * 3600)
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        await post(client, sup, f"/console/api/conversations/{cid}/priority", {"priority": 2})
        assert await client.app[SERVICE].console_tick.run_once() == first
        ws, hello = await connect(client, sup, since=0)
        assert hello["reset"] is True  # what came after 0 is partly gone: the console reloads over HTTP
        await ws.close()
        ws, hello = await connect(client, sup, since=first)
        assert hello["reset"] is False and [f["kind"] for f in await frames(ws)] == ["conversation.updated"]
        await ws.close()


async def test_an_agent_whose_consoles_stay_closed_goes_offline_but_a_quick_reconnect_keeps_the_presence(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        live = client.app[SERVICE].live
        live.presence_grace = 0.3
        agent, headers = await agent_headers(client, "an@example.vn")

        async def presence() -> str:
            rows = await client.app[STORE].agent_workload()
            return next(r["presence"] for r in rows if r["agent_id"] == agent.id)

        await post(client, headers, "/console/api/presence", {"presence": "online"})
        ws, _ = await connect(client, headers)
        abort(ws)  # a network drop…
        await asyncio.sleep(0.1)
        ws, _ = await connect(client, headers)  # …and the console back within the grace
        await asyncio.sleep(0.5)
        assert await presence() == "online"
        await ws.close()  # the tab closed for good
        await asyncio.sleep(0.6)
        assert await presence() == "offline"  # auto-assignment stops giving them conversations
