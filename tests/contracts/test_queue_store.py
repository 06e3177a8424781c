"""The console's queue (QueueStore, hub/store/port.py) on every store backend:
what an agent sees and may take, how conversations move through the queue,
and the feed every change leaves in the same transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hub.store.port import Agent, InboundRecord, QueueQuery
from models.citizen import Channel
from models.notifications import DeliveryStatus, Notification, Progress
from tests.support.dossiers import dossier

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, a Tuesday


def mask(channel: str, address: str) -> str:
    return f"{channel}:…{address[-3:]}"


def no_events(conversation_id):
    return []


class Desk:
    """Conversations and agents for one test."""

    def __init__(self, store):
        self.store = store
        self.refs = 0

    async def agent(self, agent_id: str, *, team=None, role="agent", presence="online", capacity=None):
        await self.store.add_agent(
            Agent(agent_id, agent_id.title(), f"{agent_id}@example.vn", role, team, False, NOW - timedelta(days=1))
        )
        if presence != "offline":
            await self.store.set_presence(agent_id, presence, NOW)
        if capacity is not None:
            assert await self.store.set_capacity(agent_id, capacity)
        return agent_id

    async def message(self, address: str, text: str, *, channel=Channel.SMS, citizen_id=None, dossier_code=None):
        self.refs += 1
        record = InboundRecord(
            channel, address, text, f"ref-{self.refs}", citizen_id=citizen_id, dossier_code=dossier_code
        )
        return await self.store.add_inbound(record, no_events)

    async def queued(self, address: str, text: str = "cho tôi gặp cán bộ", *, reason="request_human", team=None, **kw):
        stored = await self.message(address, text, **kw)
        assert await self.store.escalate(stored.conversation_id, reason) is not None
        if team is not None:
            assert await self.store.assign(stored.conversation_id, None, by="sup", now=NOW, team=team)
        return stored.conversation_id


@pytest.fixture
def desk(store):
    return Desk(store)


def seen_by(agent_id, team=None, supervisor=False, **kw) -> QueueQuery:
    return QueueQuery(viewer=agent_id, viewer_team=team, viewer_is_supervisor=supervisor, **kw)


async def ids(store, query: QueueQuery) -> set[str]:
    return {item.conversation_id for item in await store.queue(query, mask)}


class TestTheFeed:
    async def test_an_escalation_enters_the_open_queue_with_its_feed_row(self, store, desk):
        cid = await desk.queued("+84912345678", "tôi muốn khiếu nại", reason="complaint")
        item = await store.queue_item(cid, mask)
        assert item is not None
        assert (item.status, item.priority, item.assignee, item.escalation_reason) == ("open", 1, None, "complaint")
        assert item.address_masked == "sms:…678" and item.last_text == "tôi muốn khiếu nại"
        assert item.queued_at is not None
        [row] = await store.feed_since(0)
        assert (row.kind, row.conversation_id, row.assignee) == ("conversation.queued", cid, None)
        assert row.payload["conversation_id"] == cid and row.payload["status"] == "open"
        assert "+84912345678" not in str(row.payload)  # the store's own mask, never the address
        assert await store.feed_last_seq() == row.seq

    async def test_every_change_leaves_rows_in_order_with_the_conversation_as_it_is_after(self, store, desk):
        agent = await desk.agent("lan", team="hotich")
        cid = await desk.queued("+84912345001")
        await store.assign(cid, agent, by=agent, now=NOW, only_if_unassigned=True)
        await store.add_agent_message(cid, author=agent, kind="message", text="Chào Ông/Bà", now=NOW)
        await store.set_labels(cid, ("khai sinh", "gấp", "khai sinh"), by=agent, now=NOW)
        await store.set_priority(cid, 2, by=agent, now=NOW)
        await store.set_queue_status(cid, "pending", by=agent, now=NOW)
        rows = await store.feed_since(0)
        assert [r.kind for r in rows] == [
            "presence",
            "conversation.queued",
            "conversation.assigned",
            "message.created",
            "conversation.updated",
            "conversation.updated",
            "conversation.status",
        ]
        assert [r.seq for r in rows] == sorted({r.seq for r in rows})
        assert [r.assignee for r in rows[2:]] == [agent] * 5
        assert rows[2].payload == {"conversation_id": cid, "assignee": agent, "team": None, "by": agent, "note": None}
        assert rows[3].payload["message"]["text"] == "Chào Ông/Bà" and rows[3].payload["message"]["author"] == agent
        assert rows[5].payload["labels"] == ["gấp", "khai sinh"] and rows[5].payload["priority"] == 2
        assert rows[6].payload["status"] == "pending"
        assert [r.seq for r in await store.feed_since(rows[3].seq, limit=2)] == [rows[4].seq, rows[5].seq]

    async def test_listeners_hear_of_each_commit_that_added_rows(self, store, desk):
        heard: list[int] = []

        async def head() -> None:
            heard.append(await store.feed_last_seq())

        tasks = []
        store.on_feed_append(lambda: tasks.append(asyncio.ensure_future(head())))
        quiet = await desk.message("+84912345009", "lệ phí bao nhiêu")
        await store.add_outbound(quiet.conversation_id, Channel.SMS, "Miễn phí", [])
        assert tasks == []  # the assistant's conversations are no console's business
        cid = await desk.queued("+84912345010")
        await desk.message("+84912345010", "alo")
        await store.add_outbound(cid, Channel.SMS, "Đã nhận", [])
        await asyncio.gather(*tasks)
        # Told after the commit: what the listener reads is already there.
        assert len(heard) == 3 and heard[-1] == await store.feed_last_seq()

    async def test_a_failed_write_leaves_neither_the_change_nor_its_feed_row(self, store, desk):
        cid = await desk.queued("+84912345002")
        head = await store.feed_last_seq()
        with pytest.raises(Exception):  # noqa: B017, PT011  the backend's own integrity error
            # A mention of an agent who does not exist fails after the message was written.
            await store.add_agent_message(cid, author="x", kind="note", text="@ai", now=NOW, mentions=("nobody",))
        assert await store.feed_last_seq() == head
        assert [m["kind"] for m in await store.conversation_messages(cid)] == ["message"]

    async def test_pruned_rows_go_and_the_sequence_never_goes_back(self, store, desk):
        await desk.agent("lan")
        head = await store.feed_last_seq()
        assert await store.prune_feed(NOW - timedelta(seconds=1)) == 0
        assert await store.prune_feed(NOW + timedelta(seconds=1)) == 1
        assert await store.feed_since(0) == []
        assert await store.feed_last_seq() == head
        await store.set_presence("lan", "away", NOW)
        [row] = await store.feed_since(0)
        assert row.seq == head + 1 and (row.kind, row.agent_id, row.payload) == (
            "presence",
            "lan",
            {"agent_id": "lan", "presence": "away"},
        )


class TestAssignment:
    async def test_a_claim_race_has_one_winner(self, store, desk):
        await desk.agent("lan")
        await desk.agent("minh")
        cid = await desk.queued("+84912345003")
        won = await asyncio.gather(
            store.assign(cid, "lan", by="lan", now=NOW, only_if_unassigned=True),
            store.assign(cid, "minh", by="minh", now=NOW, only_if_unassigned=True),
        )
        assert sorted(won) == [False, True]
        winner = "lan" if won[0] else "minh"
        assert (await store.queue_item(cid, mask)).assignee == winner
        # Claiming again: still theirs.
        assert await store.assign(cid, winner, by=winner, now=NOW, only_if_unassigned=True)
        assert len([r for r in await store.feed_since(0) if r.kind == "conversation.assigned"]) == 2
        assert not await store.assign("cv_unknown", "lan", by="lan", now=NOW)

    async def test_a_transfer_keeps_its_note_in_the_conversation(self, store, desk):
        await desk.agent("lan", team="hotich")
        await desk.agent("minh", team="datdai")
        cid = await desk.queued("+84912345004")
        await store.assign(cid, "lan", by="lan", now=NOW)
        assert await store.assign(cid, "minh", by="lan", now=NOW, team="datdai", note="Hỏi về đất đai")
        item = await store.queue_item(cid, mask)
        assert (item.assignee, item.team) == ("minh", "datdai")
        note = (await store.conversation_messages(cid))[-1]
        assert (note["kind"], note["author"], note["text"]) == ("note", "lan", "Hỏi về đất đai")
        assert [m["kind"] for m in await store.conversation_messages(cid, include_notes=False)] == ["message"]
        last = (await store.feed_since(0))[-1]
        assert (last.kind, last.assignee, last.team, last.payload["note"]) == (
            "conversation.assigned",
            "minh",
            "datdai",
            "Hỏi về đất đai",
        )

    async def test_round_robin_among_online_agents_with_room(self, store, desk):
        await desk.agent("an", capacity=1)
        await desk.agent("binh")
        await desk.agent("cuong", presence="away")
        await desk.agent("dung", presence="offline")
        await desk.agent("giang")
        await store.set_agent_disabled("giang", True, NOW)
        got = [await store.assign_next(await desk.queued(f"+8491234510{i}"), NOW) for i in range(4)]
        # an and binh in turn; an is full after one; nobody away, offline or disabled.
        assert got == ["an", "binh", "binh", "binh"]
        workload = {w["agent_id"]: w for w in await store.agent_workload()}
        assert (workload["an"]["open"], workload["binh"]["open"], workload["an"]["capacity"]) == (1, 3, 1)
        assert "giang" not in workload and workload["cuong"]["presence"] == "away"
        assert not await store.set_capacity("nobody", 3)
        with pytest.raises(ValueError, match="capacity"):
            await store.set_capacity("an", -1)

    async def test_assign_next_takes_only_an_open_unassigned_conversation_and_only_when_someone_has_room(
        self, store, desk
    ):
        cid = await desk.queued("+84912345111")
        assert await store.assign_next(cid, NOW) is None  # nobody online
        await desk.agent("an", capacity=0)
        assert await store.assign_next(cid, NOW) is None  # nobody with room
        await desk.agent("binh")
        assert await store.assign_next(cid, NOW) == "binh"
        assert await store.assign_next(cid, NOW) is None  # already assigned
        other = await desk.queued("+84912345112")
        await store.set_queue_status(other, "pending", by="sup", now=NOW)
        assert await store.assign_next(other, NOW) is None

    async def test_an_escalation_about_a_dossier_goes_to_the_team_of_its_agency_or_procedure(self, store, desk):
        await store.upsert_dossier(dossier(code="BD-261201-0001", agency="Sở Tư pháp", procedure="Lý lịch tư pháp"))
        await store.upsert_dossier(dossier(code="BD-261201-0002", agency="UBND phường", procedure="Đăng ký khai sinh"))
        await store.upsert_dossier(dossier(code="BD-261201-0003", agency="Sở Xây dựng", procedure="Giấy phép"))
        await desk.agent("lan", team="Sở Tư pháp")
        await desk.agent("minh", team="Đăng ký khai sinh")
        justice = await desk.queued("+84912345601", dossier_code="BD-261201-0001")
        births = await desk.queued("+84912345602", dossier_code="BD-261201-0002")
        building = await desk.queued("+84912345603", dossier_code="BD-261201-0003")  # nobody's team: anyone's
        no_dossier = await desk.queued("+84912345604")
        teams = {cid: (await store.queue_item(cid, mask)).team for cid in (justice, births, building, no_dossier)}
        assert teams == {justice: "Sở Tư pháp", births: "Đăng ký khai sinh", building: None, no_dossier: None}

    async def test_teams_match_and_a_conversation_without_team_goes_to_anyone(self, store, desk):
        await desk.agent("an", team="hotich")
        await desk.agent("binh", team="datdai")
        land = await desk.queued("+84912345121", team="datdai")
        assert await store.assign_next(land, NOW) == "binh"
        births = await desk.queued("+84912345122", team="hotich")
        assert await store.assign_next(births, NOW) == "an"
        tax = await desk.queued("+84912345123", team="thue")
        assert await store.assign_next(tax, NOW) is None
        anyone = await desk.queued("+84912345124")
        assert await store.assign_next(anyone, NOW) in {"an", "binh"}

    async def test_the_queue_load_counts_those_waiting_and_agents_with_room(self, store, desk):
        await desk.agent("an", team="hotich", capacity=1)
        await desk.agent("binh", team="hotich")
        await desk.agent("cuong", team="datdai", presence="away")
        for i in range(3):
            await desk.queued(f"+8491234513{i}", team="hotich")
        await desk.queued("+84912345139")  # no team: anyone's, so ahead of everyone
        await desk.queued("+84912345138", team="datdai")
        assert await store.queue_load("hotich") == (4, 2)
        assert await store.queue_load("datdai") == (2, 0)
        assert await store.queue_load(None) == (5, 2)
        waiting = await store.waiting_unassigned("hotich", 10)
        assert len(waiting) == 4
        await store.assign(waiting[0], "an", by="an", now=NOW)
        assert await store.queue_load("hotich") == (3, 1)


class TestVisibility:
    async def test_views_show_what_an_agent_may_see(self, store, desk):
        await desk.agent("lan", team="hotich")
        await desk.agent("minh", team="hotich")
        await desk.agent("sup", team="hotich", role="supervisor")
        mine = await desk.queued("+84912345201", team="hotich")
        await store.assign(mine, "lan", by="lan", now=NOW)
        theirs = await desk.queued("+84912345202", team="hotich")
        await store.assign(theirs, "minh", by="minh", now=NOW)
        team_waiting = await desk.queued("+84912345203", team="hotich")
        no_team = await desk.queued("+84912345204")
        other_team = await desk.queued("+84912345205", team="datdai")
        mentioned = await desk.queued("+84912345206", team="datdai")
        await store.add_agent_message(
            mentioned, author="sup", kind="note", text="@lan xem giúp", now=NOW, mentions=("lan",)
        )

        lan = seen_by("lan", "hotich")
        assert await ids(store, lan) == {mine}
        assert await ids(store, seen_by("lan", "hotich", view="unassigned")) == {team_waiting, no_team}
        assert await ids(store, seen_by("lan", "hotich", view="team")) == {mine, team_waiting, no_team, mentioned}
        assert await ids(store, seen_by("lan", "hotich", view="all")) == {mine, team_waiting, no_team, mentioned}
        assert theirs not in await ids(store, seen_by("lan", "hotich", view="all"))
        assert await store.mentioned_in("lan") == {mentioned}
        assert await store.queue_counts(lan) == {"mine": 1, "unassigned": 2, "team": 4, "all": 0}

        sup = seen_by("sup", "hotich", supervisor=True, view="all")
        assert await ids(store, sup) == {mine, theirs, team_waiting, no_team, other_team, mentioned}
        assert await ids(store, seen_by("sup", "hotich", True, view="team")) == {mine, theirs, team_waiting}
        assert await ids(store, seen_by("sup", "hotich", True, view="unassigned")) == {
            team_waiting,
            no_team,
            other_team,
            mentioned,
        }
        assert await store.queue_counts(sup) == {"mine": 0, "unassigned": 4, "team": 3, "all": 6}

    async def test_an_item_carries_what_the_rule_needs(self, store, desk):
        await desk.agent("lan", team="hotich")
        cid = await desk.queued("+84912345211", team="hotich")
        await store.assign(cid, "lan", by="lan", now=NOW)
        [item] = await store.queue(seen_by("lan", "hotich"), mask)
        assert (item.assignee, item.team, item.status, item.channel) == ("lan", "hotich", "open", "sms")


class TestStatus:
    async def test_a_citizen_writing_reopens_a_resolved_pending_or_snoozed_conversation(self, store, desk):
        await desk.agent("lan")
        cid = await desk.queued("+84912345301")
        await store.assign(cid, "lan", by="lan", now=NOW)
        for status in ("resolved", "pending", "snoozed"):
            await store.set_queue_status(cid, status, by="lan", now=NOW, snooze_until=NOW + timedelta(hours=1))
            head = await store.feed_last_seq()
            stored = await desk.message("+84912345301", f"vẫn chưa xong ({status})")
            assert stored.conversation_id == cid and stored.queued
            item = await store.queue_item(cid, mask)
            assert (item.status, item.assignee, item.snooze_until) == ("open", "lan", None)
            rows = await store.feed_since(head)
            assert [r.kind for r in rows] == ["conversation.status", "conversation.queued", "message.created"]
            assert rows[0].payload == {"conversation_id": cid, "status": "open", "snooze_until": None, "by": "citizen"}
            assert rows[2].payload["message"]["text"] == f"vẫn chưa xong ({status})"
        assert await store.count_open_escalations() == 1

    async def test_messages_into_an_open_conversation_reach_the_feed_and_others_do_not(self, store, desk):
        quiet = await desk.message("+84912345302", "lệ phí bao nhiêu")
        await store.add_outbound(quiet.conversation_id, Channel.SMS, "Miễn phí", [])
        assert not quiet.queued and await store.feed_since(0) == []
        cid = await desk.queued("+84912345303")
        again = await desk.message("+84912345303", "alo")
        await store.add_outbound(cid, Channel.SMS, "Đã nhận", [])
        assert again.queued
        kinds = [(r.kind, r.payload.get("message", {}).get("text")) for r in await store.feed_since(0)]
        assert kinds == [("conversation.queued", None), ("message.created", "alo"), ("message.created", "Đã nhận")]

    async def test_handed_back_it_leaves_the_queue_and_may_be_escalated_again(self, store, desk):
        cid = await desk.queued("+84912345304")
        assert await store.set_queue_status(cid, None, by="lan", now=NOW)
        assert (await store.queue_item(cid, mask)).status == ""
        assert await store.count_open_escalations() == 0
        assert await ids(store, seen_by("sup", None, True, view="all", status=None)) == set()
        assert not (await desk.message("+84912345304", "cảm ơn")).queued
        assert await store.escalate(cid, "request_human") is not None
        assert (await store.queue_item(cid, mask)).status == "open"
        assert not await store.set_queue_status("cv_unknown", "open", by="lan", now=NOW)

    async def test_a_snoozed_conversation_wakes_when_its_time_comes(self, store, desk):
        cid = await desk.queued("+84912345305")
        with pytest.raises(ValueError, match="snooze_until"):
            await store.set_queue_status(cid, "snoozed", by="lan", now=NOW)
        await store.set_queue_status(cid, "snoozed", by="lan", now=NOW, snooze_until=NOW + timedelta(hours=2))
        item = await store.queue_item(cid, mask)
        assert item.status == "snoozed" and item.snooze_until is not None
        assert await store.wake_snoozed(NOW + timedelta(hours=1)) == 0
        assert await store.wake_snoozed(NOW + timedelta(hours=2)) == 1
        assert (await store.queue_item(cid, mask)).status == "open"
        status, queued = (await store.feed_since(0))[-2:]
        assert (status.kind, status.payload["status"], status.payload["by"]) == (
            "conversation.status",
            "open",
            "system",
        )
        # Back in the open list of consoles that dropped it: the item whole.
        assert (queued.kind, queued.payload["status"]) == ("conversation.queued", "open")
        assert await store.wake_snoozed(NOW + timedelta(hours=3)) == 0


class TestMessages:
    async def test_notes_mentions_and_a_replys_delivery(self, store, desk):
        await desk.agent("lan")
        await desk.agent("minh")
        cid = await desk.queued("+84912345401")
        citizen = await store.ensure_contact(Channel.SMS, "+84912345401")
        await store.add_notifications(
            [Notification("n-reply-1", citizen, "agent_reply", "reply:1", "agent_reply", {"text": "Chào"})]
        )
        reply = await store.add_agent_message(
            cid, author="lan", kind="message", text="Chào", now=NOW, notification_id="n-reply-1"
        )
        assert reply["delivery"] == {"status": "queued", "reason": None, "channel": None}
        note = await store.add_agent_message(
            cid, author="lan", kind="note", text="@minh xem giúp", now=NOW, mentions=("minh", "minh")
        )
        assert (note["kind"], note["author"], note["direction"], note["delivery"]) == ("note", "lan", "out", None)
        mentions = [r for r in await store.feed_since(0) if r.kind == "mention"]
        assert [(r.agent_id, r.payload) for r in mentions] == [
            ("minh", {"conversation_id": cid, "message_id": note["id"], "by": "lan"})
        ]
        [row] = [r for r in await store.queue(seen_by("sup", None, True, view="all"), mask)]
        assert row.last_text == "Chào"  # a note is not the conversation's last message

        await store.record_progress([Progress("n-reply-1", DeliveryStatus.DELIVERED, "sms", (), 1, None, None)], [])
        assert await store.message_delivery_changed(["n-reply-1", "n-other"]) == 1
        last = (await store.feed_since(0))[-1]
        assert last.kind == "message.status" and last.payload == {
            "conversation_id": cid,
            "message_id": reply["id"],
            "delivery": {"status": "delivered", "reason": None, "channel": "sms"},
        }
        messages = await store.conversation_messages(cid)
        assert [m["kind"] for m in messages] == ["message", "message", "note"]
        assert messages[1]["delivery"]["status"] == "delivered"
        with pytest.raises(LookupError):
            await store.add_agent_message("cv_unknown", author="lan", kind="note", text="?", now=NOW)


class TestFindingConversations:
    async def test_search_by_dossier_code_last_phone_digits_or_name(self, store, desk):
        await store.upsert_dossier(dossier(code="H12.22-261120-0001", phone="+84987650001", name="Trần Thị Bình"))
        citizen = await store.find_contact(Channel.SMS, "+84987650001")
        by_dossier = await desk.queued("+84900000011", dossier_code="H12.22-261120-0001")
        owner = await desk.queued("+84987650001", citizen_id=citizen)
        other = await desk.queued("+84912349999")
        everyone = seen_by("sup", None, True, view="all")

        async def search(text):
            return await ids(store, QueueQuery("sup", None, True, view="all", search=text))

        assert await search("h12.22-261120-0001") == {by_dossier, owner}  # named, or the citizen's own
        assert await search("0001") == {owner}  # the last digits of the phone
        assert await search("9999") == {other}
        assert await search("Bình") == {owner}
        assert await search("trần thị") == {owner}
        assert await search("TRAN THI BINH") == {owner}  # without diacritics, in capitals: as agents type them
        assert await search("BÌNH") == {owner}
        # Two digits are too few for a phone: text, found in a dossier code only.
        assert await search("12") == {by_dossier}
        mail = await desk.queued("dan.tran@example.vn", channel=Channel.EMAIL)
        assert await search("Dan.Tran@example.vn") == {mail}  # an email address, whole
        assert await search("example.vn") == set()  # not a part of one: addresses are not browsed
        assert len(await ids(store, everyone)) == 4

    async def test_filters(self, store, desk):
        await desk.agent("lan")
        sms = await desk.queued("+84912345501")
        mail = await desk.queued("dan@example.vn", channel=Channel.EMAIL, reason="complaint")
        pending = await desk.queued("+84912345502")
        await store.set_queue_status(pending, "pending", by="lan", now=NOW)
        await store.set_labels(sms, ("hộ tịch",), by="lan", now=NOW)
        await store.set_priority(sms, 2, by="lan", now=NOW)
        coded = await desk.queued("+84912345503", dossier_code="BD-261130-0606")

        def everyone(**kw):
            return QueueQuery("sup", None, True, view="all", **kw)

        assert await ids(store, everyone()) == {sms, mail, coded}
        assert await ids(store, everyone(status=None)) == {sms, mail, pending, coded}
        assert await ids(store, everyone(status="pending")) == {pending}
        assert await ids(store, everyone(channel="email")) == {mail}
        assert await ids(store, everyone(priority=2)) == {sms}
        assert await ids(store, everyone(priority=1)) == {mail}
        assert await ids(store, everyone(label="hộ tịch")) == {sms}
        assert await ids(store, everyone(dossier="BD-261130-0606")) == {coded}
        assert (await store.queue_item(sms, mask)).labels == ("hộ tịch",)
        assert await store.queue_counts(everyone(channel="sms")) == {"mine": 0, "unassigned": 2, "team": 2, "all": 2}

    async def test_pages_follow_the_cursor_without_gaps_or_repeats(self, store, desk):
        made = {await desk.queued(f"+8491234560{i}") for i in range(7)}
        seen: list[str] = []
        before = None
        for _ in range(5):
            page = await store.queue(QueueQuery("sup", None, True, view="all", limit=3, before=before), mask)
            seen += [item.conversation_id for item in page]
            if len(page) < 3:
                break
            before = page[-1].cursor
        assert sorted(seen) == sorted(made) and len(seen) == 7
        items = [await store.queue_item(cid, mask) for cid in seen]
        assert [(i.last_at, i.conversation_id) for i in items] == sorted(
            ((i.last_at, i.conversation_id) for i in items), reverse=True
        )

    async def test_a_page_is_one_query_whatever_its_size(self, store, desk, request):
        backend = request.node.callspec.params["store"]
        if not backend.startswith("sqlite"):
            pytest.skip(f"{backend}: statements are counted through SQLite's trace callback; it needs its own probe")
        for i in range(30):
            cid = await desk.queued(f"+849123457{i:02d}")
            await store.set_labels(cid, ("a", "b"), by="sup", now=NOW)
        statements: list[str] = []
        reader = store.db.opened_reader()
        await reader.call(lambda conn: conn.set_trace_callback(statements.append))
        try:
            page = await store.queue(QueueQuery("sup", None, True, view="all", limit=50), mask)
        finally:
            await reader.call(lambda conn: conn.set_trace_callback(None))
        assert len(page) == 30 and all(item.labels == ("a", "b") for item in page)
        assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]) == 1
