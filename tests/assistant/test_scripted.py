"""The assistant service over the scripted engine: what it does with an
engine's answers, without training one."""

from __future__ import annotations

import pytest

from assistant.scripted import DEFAULT_FALLBACK, ScriptedEngine
from assistant.service import Assistant
from hub.store.port import InboundRecord
from hub.store.sqlite import SqliteStore
from models.citizen import Channel


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "assistant.sqlite3")
    await store.open()
    yield store
    await store.close()


def engine() -> ScriptedEngine:
    return ScriptedEngine(
        {"check_dossier_status": "Ông/Bà vui lòng cho biết mã hồ sơ.", "BD-261015-0077": "Đã nhận mã."},
        intents={"tra cứu hồ sơ": "check_dossier_status"},
        forms={"check_dossier_status": "dossier_form"},
    )


async def test_an_answer_to_a_forms_question_is_not_a_failure_to_understand(store):
    scripted = engine()
    assistant = Assistant(scripted, store)
    assert [r.text for r in await assistant.converse("c1", "tra cứu hồ sơ")] == ["Ông/Bà vui lòng cho biết mã hồ sơ."]
    assert await scripted.in_form("c1")
    assert [r.text for r in await assistant.converse("c1", "BD-261015-0077")] == ["Đã nhận mã."]
    # Not understood once, outside a form: the engine's fallback, no hand-over yet.
    assert [r.text for r in await assistant.converse("c1", "abc xyz")] == [DEFAULT_FALLBACK]
    assert scripted.turns == [("c1", "tra cứu hồ sơ"), ("c1", "BD-261015-0077"), ("c1", "abc xyz")]


async def test_twice_not_understood_hands_over_to_a_person(store):
    inbound = await store.add_inbound(InboundRecord(Channel.SMS, "+84912345678", "abc", "SM1"), lambda _: [])
    assistant = Assistant(engine(), store)
    await assistant.converse(inbound.conversation_id, "abc")
    [handoff] = await assistant.converse(inbound.conversation_id, "xyz")
    assert "cán bộ" in handoff.text
    assert len(await store.list_escalations()) == 1
