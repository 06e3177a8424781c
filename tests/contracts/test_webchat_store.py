"""A web chat session's messages and citizen (WebChatStore, hub/store/port.py)
on every store backend: found by the session's address across its
conversations, without notes, in id order; the visitor's contact attached."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.store.port import InboundRecord
from models.citizen import Channel

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
WEB = Channel.WEBCHAT


def no_events(conversation_id):
    return []


async def writes(store, address: str, text: str, ref: str) -> str:
    stored = await store.add_inbound(InboundRecord(WEB, address, text, ref), no_events)
    return stored.conversation_id


class TestWebChatStore:
    async def test_a_sessions_messages_in_order_without_notes_or_other_sessions(self, store):
        cid = await writes(store, "ws_a", "xin chào", "ws_a:1")
        await store.add_outbound(cid, WEB, "Chào Ông/Bà", [{"title": "Tra cứu", "payload": "/lookup"}])
        await store.add_agent_message(cid, author="ag_1", kind="note", text="riêng tư", now=NOW)
        await store.add_agent_message(cid, author="ag_1", kind="message", text="Dạ", now=NOW)
        await writes(store, "ws_b", "phiên khác", "ws_b:1")
        found = await store.address_messages(WEB, "ws_a", 0)
        assert [(m["direction"], m["text"]) for m in found] == [
            ("in", "xin chào"),
            ("out", "Chào Ông/Bà"),
            ("out", "Dạ"),
        ]
        assert [m["author"] for m in found] == [None, None, "ag_1"]
        assert found[1]["buttons"] == [{"title": "Tra cứu", "payload": "/lookup"}]
        assert found[0]["provider_message_id"] == "ws_a:1"
        ids = [m["id"] for m in found]
        assert ids == sorted(ids)
        assert await store.address_messages(WEB, "ws_a", ids[0]) == found[1:]
        assert await store.address_messages(WEB, "ws_a", 0, 1) == found[:1]
        assert await store.address_messages(WEB, "ws_a", ids[-1]) == []
        assert await store.address_messages(WEB, "ws_none", 0) == []

    async def test_the_inbound_message_by_provider_id(self, store):
        await writes(store, "ws_a", "xin chào", "ws_a:1")
        [message] = await store.address_messages(WEB, "ws_a", 0)
        assert await store.inbound_message_id(WEB, "ws_a:1") == message["id"]
        assert await store.inbound_message_id(WEB, "ws_a:2") is None
        assert await store.inbound_message_id(Channel.SMS, "ws_a:1") is None

    async def test_a_contact_left_puts_its_citizen_on_the_sessions_conversations(self, store):
        cid = await writes(store, "ws_a", "xin chào", "ws_a:1")
        other = await writes(store, "ws_b", "xin chào", "ws_b:1")
        citizen = await store.ensure_contact(Channel.SMS, "+84912345678")
        assert await store.attach_citizen(WEB, "ws_a", citizen) == 1
        assert (await store.get_conversation(cid))["citizen_id"] == citizen
        assert (await store.get_conversation(other))["citizen_id"] is None
        assert await store.attach_citizen(WEB, "ws_none", citizen) == 0

    async def test_which_sessions_have_news_after_an_id(self, store):
        start, nobody = await store.addresses_after(WEB, -1)
        assert nobody == {}
        await writes(store, "ws_c", "một", "ws_c:1")
        cid = await writes(store, "ws_d", "hai", "ws_d:1")
        await store.add_outbound(cid, WEB, "Dạ", [])
        await store.add_inbound(InboundRecord(Channel.SMS, "+84912345678", "sms", "sms-1"), no_events)
        top, news = await store.addresses_after(WEB, start)
        assert sorted(news) == ["ws_c", "ws_d"]  # web sessions only, each once
        [ws_d_last] = [m["id"] for m in await store.address_messages(WEB, "ws_d", 0)][-1:]
        assert news["ws_d"] == ws_d_last  # its newest message, the assistant's answer
        assert top > start
        assert await store.addresses_after(WEB, top) == (top, {})
