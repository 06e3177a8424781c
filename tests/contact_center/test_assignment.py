"""Automatic assignment on a real store: escalations go round-robin to
online agents of the team with room, an agent coming online takes what
waits, and the sweep wakes snoozed conversations and hands out the rest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from contact_center.assignment import Assignment, AssignmentSweep
from hub.app import SERVICE
from hub.keys import STORE
from hub.store.port import Agent, InboundRecord, QueueQuery
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from models.events import EscalationRequested
from models.timeutil import VN_TZ
from tests.contact_center.test_console_queue import agent_headers, post
from tests.support.served import served, settle

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.at = NOW.timestamp()

    def __call__(self) -> float:
        return self.at


class Subscriptions:
    def __init__(self):
        self.handlers = {}

    def subscribe(self, message_type, name, handler):
        self.handlers[(message_type, name)] = handler


@pytest.fixture
async def store():
    store = SqliteStore(":memory:")
    await store.open()
    yield store
    await store.close()


async def agent(store, agent_id, team=None, presence="online", capacity=None):
    await store.add_agent(Agent(agent_id, agent_id.title(), f"{agent_id}@example.vn", "agent", team, False, NOW))
    await store.set_presence(agent_id, presence, NOW)
    if capacity is not None:
        assert await store.set_capacity(agent_id, capacity)


refs = iter(range(1_000_000))


async def escalated(store, address, team=None, reason="request_human"):
    stored = await store.add_inbound(InboundRecord(Channel.SMS, address, "gặp cán bộ", f"a{next(refs)}"), lambda c: [])
    event = await store.escalate(stored.conversation_id, reason)
    if team is not None:
        await store.assign(stored.conversation_id, None, by="sup", now=NOW, team=team)
    return event


async def assignee(store, conversation_id):
    item = await store.queue_item(conversation_id, lambda channel, address: "")
    return item.assignee


async def test_escalations_go_round_robin_through_the_bus_subscription(store):
    bus = Subscriptions()
    assignment = Assignment(store, Clock())
    assignment.subscribe(bus)
    handler = bus.handlers[(EscalationRequested, "console.assignment")]
    await agent(store, "an")
    await agent(store, "binh")
    got = []
    for i in range(4):
        event = await escalated(store, f"+8491200010{i}")
        await handler(event)
        got.append(await assignee(store, event.conversation_id))
    assert got == ["an", "binh", "an", "binh"]


async def test_an_escalation_nobody_can_take_waits_unassigned(store):
    assignment = Assignment(store, Clock())
    await agent(store, "an", team="datdai")
    event = await escalated(store, "+84912000200", team="hotich")
    await assignment.on_escalation(event)
    assert await assignee(store, event.conversation_id) is None


async def test_an_agent_coming_online_takes_the_teams_waiting_conversations_up_to_capacity(store):
    assignment = Assignment(store, Clock())
    await agent(store, "lan", team="hotich", presence="offline", capacity=2)
    first = await escalated(store, "+84912000301", team="hotich")
    urgent = await escalated(store, "+84912000302", team="hotich", reason="complaint")
    third = await escalated(store, "+84912000303", team="hotich")
    other = await escalated(store, "+84912000304", team="datdai")
    assert await assignment.agent_online("lan") == 0  # still offline
    await store.set_presence("lan", "online", NOW)
    assert await assignment.agent_online("lan") == 2
    # The complaint first, then the longest waiting.
    assert await assignee(store, urgent.conversation_id) == "lan"
    assert await assignee(store, first.conversation_id) == "lan"
    assert await assignee(store, third.conversation_id) is None
    assert await assignee(store, other.conversation_id) is None
    assert await assignment.agent_online("lan") == 0  # full
    assert await assignment.agent_online("nobody") == 0


async def test_the_sweep_wakes_snoozed_conversations_and_hands_out_what_waits(store):
    clock = Clock()
    assignment = Assignment(store, clock)
    await agent(store, "an", capacity=1)
    waiting = await escalated(store, "+84912000401")
    snoozed = await escalated(store, "+84912000402")
    await store.set_queue_status(
        snoozed.conversation_id, "snoozed", by="an", now=NOW, snooze_until=NOW + timedelta(minutes=30)
    )
    sweep = AssignmentSweep(assignment, interval=1)
    assert await sweep.run_once() == 1  # the waiting one; the snoozed one still sleeps
    assert await assignee(store, waiting.conversation_id) == "an"
    await agent(store, "binh")
    clock.at += 31 * 60
    assert await assignment.tick() == 2  # woken, and assigned to the agent with room
    item = await store.queue_item(snoozed.conversation_id, lambda channel, address: "")
    assert (item.status, item.assignee) == ("open", "binh")
    assert await assignment.tick() == 0


async def test_the_sweep_gives_a_team_conversation_only_to_that_team(store):
    assignment = Assignment(store, Clock())
    await agent(store, "an", team="hotich")
    land = await escalated(store, "+84912000501", team="datdai")
    births = await escalated(store, "+84912000502", team="hotich")
    anyone = await escalated(store, "+84912000503")
    assert await assignment.tick() == 2
    assert await assignee(store, land.conversation_id) is None
    assert await assignee(store, births.conversation_id) == "an"
    assert await assignee(store, anyone.conversation_id) == "an"


async def test_through_the_service_a_citizen_asking_for_a_person_is_told_the_wait_and_reaches_an_online_agent(
    tmp_path,
):
    tuesday_morning = datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)
    async with served(tmp_path, tuesday_morning, console_handling_minutes=12) as (client, _, auth):
        await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)
        lan, headers = await agent_headers(client, "lan@example.vn", team=None)
        assert (await post(client, headers, "/console/api/presence", {"presence": "online"})).status == 200

        async def say(text: str) -> list[dict]:
            body = {"sender": "web-77", "text": text}
            response = await client.post("/api/v1/assistant/messages", json=body, headers=auth)
            assert response.status == 200, await response.text()
            return (await response.json())["replies"]

        [handoff] = await say("cho tôi gặp cán bộ")
        # Only this citizen waits and one agent has room: one handling time (12 minutes, said as 15).
        assert "trong khoảng 15 phút" in handoff["text"]
        await settle(client)
        store = client.app[STORE]
        mine = QueueQuery(viewer=lan.id, viewer_team=None, viewer_is_supervisor=False)
        [item] = await store.queue(mine, lambda channel, address: "")
        assert (item.status, item.assignee) == ("open", lan.id)
        assert await say("alo, còn đó không?") == []  # a person has it: the assistant stays silent
