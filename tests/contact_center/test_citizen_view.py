"""The citizen panel beside a conversation, on a real SQLite store: every
channel's conversations of the person, the assistant's hand-over, dossiers
with their timelines but never the lookup digits, and the notices we sent."""

from __future__ import annotations

import orjson
import pytest

from contact_center.citizen_view import ConversationNotFound, Merges, citizen_view
from hub.store.port import InboundRecord
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from tests.support.citizens import CHAT, PHONE, one_person_twice
from tests.support.dossiers import T0, dossier


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "view.sqlite3")
    await store.open()
    yield store
    await store.close()


async def test_the_view_of_a_merged_person_spans_both_channels(store):
    twice = await one_person_twice(store)
    await Merges(store, clock=lambda: T0.timestamp()).merge(twice.applicant, twice.chat, "ag_1", "cùng số CCCD")

    view = await citizen_view(store, twice.chat_conversation, now=T0)

    citizen = view["citizen"]
    assert (citizen["id"], citizen["name"]) == (twice.applicant, "Nguyễn Văn An")
    assert {(c["field"], c["address"]) for c in citizen["contacts"]} == {
        ("phone", "+84*******78"),
        ("telegram_chat_id", str(CHAT)),
    }
    assert [c["id"] for c in view["conversations"]] == [twice.chat_conversation, twice.sms_conversation]
    chat, sms = view["conversations"]
    assert chat["current"] and not sms["current"]
    assert (chat["channel"], sms["channel"], sms["address"]) == ("telegram", "sms", "+84*******78")
    assert view["escalation"]["reason"] == "request_human"
    assert [line["text"] for line in view["escalation"]["transcript"]] == ["Tôi muốn gặp cán bộ"]
    # The citizen typed their lookup digits: the agent sees them blanked.
    assert [m["text"] for m in sms["messages"]] == ["TRACUU H12-0001 ****", "Hồ sơ H12-0001: Đang xử lý."]

    assert [(d["code"], d["relation"]) for d in view["dossiers"]] == [
        ("H12-0001", "applicant"),
        ("H12-0002", "follower"),
    ]
    own = view["dossiers"][0]
    assert (own["status"], own["status_label"], own["applicant_phone"]) == ("in_progress", "Đang xử lý", "+84*******78")
    assert [(t["status"], t["status_label"]) for t in own["timeline"]] == [
        ("received", "Đã tiếp nhận"),
        ("in_progress", "Đang xử lý"),
    ]
    assert view["dossiers"][1]["applicant_name"] == "Trần Thị Bình"

    notices = {n["id"]: n for n in view["notices"]}
    assert (notices["n-app"]["text"], notices["n-app"]["status"], notices["n-app"]["channel"]) == (
        "Hồ sơ H12-0001 đã được tiếp nhận.",
        "sent",
        "sms",
    )
    assert (notices["n-chat"]["status"], notices["n-chat"]["channel"]) == ("delivered", "telegram")

    assert view["viewed"] == [
        {"object_type": "citizen", "object_id": twice.applicant},
        {"object_type": "citizen", "object_id": twice.chat},  # merged into it: shown as the same person
        {"object_type": "dossier", "object_id": "H12-0001"},
        {"object_type": "dossier", "object_id": "H12-0002"},
    ]
    # Nowhere in the panel are the four digits, nor the whole phone.
    text = orjson.dumps(view).decode()
    assert "5678" not in text and PHONE not in text and "912345678" not in text


async def test_before_the_merge_the_chat_is_a_stranger_with_a_followed_dossier(store):
    twice = await one_person_twice(store)
    view = await citizen_view(store, twice.chat_conversation, now=T0)
    assert view["citizen"]["id"] == twice.chat and view["citizen"]["name"] == ""
    assert [c["id"] for c in view["conversations"]] == [twice.chat_conversation]
    assert [(d["code"], d["relation"]) for d in view["dossiers"]] == [("H12-0002", "follower")]
    assert view["dossiers"][0]["applicant_phone"] == "+84*******02"
    assert [n["id"] for n in view["notices"]] == ["n-chat"]
    assert view["citizen"]["consents"][0]["channel"] == "telegram"


async def test_a_person_merged_away_is_still_shown_with_the_one_kept(store):
    twice = await one_person_twice(store)
    # The other applicant has another phone: their dossier stays on their record,
    # and the panel of the kept citizen shows it with the other's contacts.
    await Merges(store, clock=lambda: T0.timestamp()).merge(twice.applicant, twice.other, "ag_1", "một người")
    view = await citizen_view(store, twice.sms_conversation, now=T0)
    assert [m["citizen_id"] for m in view["citizen"]["merged"]] == [twice.other]
    assert {c["address"] for c in view["citizen"]["contacts"]} == {"+84*******78", "+84*******02"}
    assert [d["code"] for d in view["dossiers"]] == ["H12-0001", "H12-0002"]
    assert {v["object_id"] for v in view["viewed"] if v["object_type"] == "citizen"} == {twice.applicant, twice.other}
    # The other's phone stayed on their record (the kept one has a phone): a new
    # message from it lands there, and the panel says where that record went.
    later = await store.add_inbound(
        InboundRecord(Channel.SMS, "+84900000002", "Chào", "sms-2", citizen_id=twice.other), lambda _: []
    )
    merged_away = await citizen_view(store, later.conversation_id, now=T0)
    assert merged_away["citizen"]["merged_into"]["citizen_id"] == twice.applicant
    assert (await citizen_view(store, twice.chat_conversation, now=T0))["citizen"]["merged_into"] is None


async def test_an_unknown_conversation(store):
    with pytest.raises(ConversationNotFound, match="Không tìm thấy"):
        await citizen_view(store, "cv_nope")


async def test_private_notes_stay_out_of_the_panel_and_agents_replies_are_in(store):
    twice = await one_person_twice(store)
    await store.add_agent_message(twice.chat_conversation, author="ag_1", kind="note", text="Ghi chú nội bộ", now=T0)
    await store.add_agent_message(twice.chat_conversation, author="ag_1", kind="message", text="Chào anh", now=T0)
    view = await citizen_view(store, twice.chat_conversation, now=T0)
    [chat] = view["conversations"]
    assert [(m["direction"], m["kind"], m["author"], m["text"]) for m in chat["messages"]] == [
        ("in", "message", None, "Tôi muốn gặp cán bộ"),
        ("out", "message", "ag_1", "Chào anh"),
    ]


async def test_a_web_chat_stranger_who_named_a_dossier(store):
    await one_person_twice(store)
    # A code whose serial ends like the applicant's phone stays readable; the digits alone do not.
    await store.upsert_dossier(dossier("BD-261130-5678", phone="+84900000003", name="Lê Văn Cường"))
    talk = await store.add_inbound(
        InboundRecord(Channel.WEBCHAT, "web-1", "Hồ sơ H12-0001 của tôi, số 5678", "w-1", dossier_code="H12-0001"),
        lambda _: [],
    )
    await store.add_inbound(InboundRecord(Channel.WEBCHAT, "web-1", "và BD-261130-5678", "w-2"), lambda _: [])
    view = await citizen_view(store, talk.conversation_id, now=T0)
    assert view["citizen"] is None and view["notices"] == []
    assert [(d["code"], d["relation"]) for d in view["dossiers"]] == [("H12-0001", "conversation")]
    assert [m["text"] for m in view["conversations"][0]["messages"]] == [
        "Hồ sơ H12-0001 của tôi, số ****",
        "và BD-261130-5678",
    ]
    assert view["viewed"] == [{"object_type": "dossier", "object_id": "H12-0001"}]
