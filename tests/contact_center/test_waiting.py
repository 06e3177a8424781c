"""The honest waiting time: the queue ahead shared among the agents online
with room, and what the assistant tells the citizen on escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant.port import Engine, Parse
from assistant.service import Assistant, in_minutes, when_answered
from contact_center.waiting import Waiting, estimate_wait
from hub.store.port import Agent, InboundRecord
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from models.timeutil import VN_TZ
from notify.holidays import load_holidays

HANDLING = timedelta(minutes=8)


class Load:
    def __init__(self, ahead: int, room: int, team: str | None = None):
        self.load = (ahead, room)
        self.team = team
        self.asked: list[str | None] = []

    async def queue_load(self, team):
        self.asked.append(team)
        return self.load

    async def queue_item(self, conversation_id, mask):
        class Item:
            team = self.team

        return Item()


@pytest.mark.parametrize(
    ("ahead", "room", "minutes"),
    [
        (1, 1, 8),  # only the citizen: the next agent free takes it
        (0, 3, 8),  # already taken (auto-assigned): one handling time still
        (5, 2, 24),  # two agents share five: three rounds
        (6, 3, 16),
        (3, 0, 32),  # nobody with room: someone must finish first
    ],
)
async def test_the_estimate_shares_the_queue_among_agents_with_room(ahead, room, minutes):
    assert await estimate_wait(Load(ahead, room), "hotich", HANDLING) == timedelta(minutes=minutes)


async def test_the_estimate_is_for_the_conversations_team():
    load = Load(2, 1, team="datdai")
    assert await Waiting(load, HANDLING)("cv_1", datetime(2026, 12, 1, 3, tzinfo=UTC)) == timedelta(minutes=16)
    assert load.asked == ["datdai"]


@pytest.mark.parametrize(
    ("wait", "said"),
    [
        (timedelta(minutes=0), "khoảng 5 phút"),
        (timedelta(minutes=7), "khoảng 10 phút"),
        (timedelta(minutes=10), "khoảng 10 phút"),
        (timedelta(minutes=75), "khoảng 1 giờ 15 phút"),
        (timedelta(minutes=118), "khoảng 2 giờ"),
    ],
)
def test_minutes_in_words_round_up(wait, said):
    assert in_minutes(wait) == said


@pytest.mark.parametrize(
    ("moment", "wait", "expected"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ), timedelta(minutes=8), "trong khoảng 10 phút"),
        (datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ), timedelta(minutes=96), "trong khoảng 1 giờ 40 phút"),
        # An answer that would come after closing comes when the desk opens.
        (datetime(2026, 11, 25, 16, 40, tzinfo=VN_TZ), timedelta(minutes=32), "từ 7 giờ 30 sáng mai (26/11)"),
        (datetime(2026, 11, 27, 20, 0, tzinfo=VN_TZ), timedelta(minutes=8), "từ 7 giờ 30 sáng thứ Hai (30/11)"),
        (datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ), None, "trong khoảng 30 phút"),  # no estimate: as before
    ],
)
def test_office_hours_bound_the_estimate(moment, wait, expected):
    assert when_answered(moment, load_holidays(), wait).startswith(expected)


class AskingForAPerson(Engine):
    """Every text asks for a person."""

    @property
    def ready(self) -> bool:
        return True

    async def parse(self, text: str) -> Parse:
        return Parse(text=text, intent="request_human", confidence=0.99)

    async def turn(self, sender: str, text: str, *, asker: str | None = None) -> list:
        raise AssertionError("an escalation is not the engine's turn")


async def test_the_assistant_tells_the_wait_from_the_queue(tmp_path):
    store = SqliteStore(tmp_path / "waiting.sqlite3")
    await store.open()
    try:
        await store.add_agent(Agent("lan", "Lan", "lan@example.vn", "agent", None, False, datetime.now(UTC)))
        await store.set_presence("lan", "online", datetime.now(UTC))
        wednesday_morning = datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ).timestamp()
        assistant = Assistant(
            AskingForAPerson(),
            store,
            holidays=load_holidays(),
            clock=lambda: wednesday_morning,
            wait=Waiting(store, HANDLING),
        )
        said = []
        for i, address in enumerate(("+84912000001", "+84912000002", "+84912000003")):
            stored = await store.add_inbound(
                InboundRecord(Channel.SMS, address, "cho tôi gặp cán bộ", f"w{i}"), lambda cid: []
            )
            [reply] = await assistant.converse(stored.conversation_id, "cho tôi gặp cán bộ")
            said.append(reply.text)
        # One agent with room: the first waits one handling time, the third three (24 → 25 minutes).
        assert "trong khoảng 10 phút" in said[0]
        assert "trong khoảng 20 phút" in said[1]
        assert "trong khoảng 25 phút" in said[2]
    finally:
        await store.close()
