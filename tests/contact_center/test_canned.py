"""Canned responses: checked fields, CRUD through the store, and rendering
for a conversation that never fails (a missing value shows a hint)."""

from __future__ import annotations

import pytest

from contact_center import canned
from contact_center.canned import DEFAULT_CANNED, HINTS, CannedInvalid, render, render_text, unfilled
from hub.store.port import InboundRecord
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from models.errors import Conflict
from tests.support.citizens import one_person_twice
from tests.support.dossiers import T0


def clock() -> float:
    return T0.timestamp()


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "canned.sqlite3")
    await store.open()
    yield store
    await store.close()


def test_render_fills_known_variables_and_never_fails():
    values = {"citizen.name": "Nguyễn Văn An", "dossier.code": "H12-0001"}
    body = "Chào {{ citizen.name }}, hồ sơ {{dossier.code}}: {{  dossier.status_label }}. {{ foo.bar }} {{ oops"
    assert render_text(body, values) == (
        "Chào Nguyễn Văn An, hồ sơ H12-0001: [trạng thái hồ sơ]. {{ foo.bar }} {{ oops"
    )
    assert render_text("{{ dossier.code }}", {"dossier.code": ""}) == "[mã hồ sơ]"
    assert unfilled(render_text("{{ dossier.code }} {{ citizen.name }}", {})) == ["[họ tên công dân]", "[mã hồ sơ]"]


def test_fields_are_checked_in_vietnamese():
    assert canned.check(" /ChaoHoi ", " Lời   chào ", " Xin chào ") == ("chaohoi", "Lời chào", "Xin chào")
    for shortcut in ("", "có dấu", "a" * 33, "a b", "a/b"):
        with pytest.raises(CannedInvalid, match="Lối tắt") as bad:
            canned.check(shortcut, "t", "b")
        assert bad.value.field == "shortcut" and isinstance(bad.value, ValueError)
    with pytest.raises(CannedInvalid, match="Tiêu đề"):
        canned.check("a", "  ", "b")
    with pytest.raises(CannedInvalid, match="Nội dung"):
        canned.check("a", "t", "x" * 2001)


async def test_create_update_and_the_defaults(store):
    made = await canned.create(
        store, shortcut="chao", title="Chào", body="Chào {{ citizen.name }}", team=" ", agent_id="ag_1", clock=clock
    )
    assert (made.shortcut, made.team, made.created_by, made.created_at) == ("chao", None, "ag_1", T0)
    with pytest.raises(Conflict):
        await canned.create(store, shortcut="CHAO", title="x", body="y", team=None, agent_id=None, clock=clock)
    changed = await canned.update(store, made.id, shortcut="chao2", title="Chào hỏi", body="Xin chào", team="Tư pháp")
    assert changed is not None and (changed.shortcut, changed.team) == ("chao2", "Tư pháp")
    assert await canned.update(store, "cr_nope", shortcut="x", title="x", body="x", team=None) is None
    # by shortcut is not by id: update takes ids only
    assert await canned.update(store, "chao2", shortcut="x", title="x", body="x", team=None) is None

    assert await canned.add_defaults(store, clock) == len(DEFAULT_CANNED)
    assert await canned.add_defaults(store, clock) == 0
    for _, _, body in DEFAULT_CANNED:
        assert render_text(body, {}).count("{{") == 0  # every variable they use is one we know


async def test_render_for_a_conversation_uses_its_citizen_and_dossier(store):
    twice = await one_person_twice(store)
    body = "Chào {{ citizen.name }}, hồ sơ {{ dossier.code }}: {{ dossier.status_label }}. {{ agent.name }}"
    assert await render(store, body, twice.sms_conversation, "Cán bộ Hoa") == (
        "Chào Nguyễn Văn An, hồ sơ H12-0001: Đang xử lý. Cán bộ Hoa"
    )
    # The chat names no dossier and its citizen no name: the dossier it follows, and hints.
    assert await render(store, body, twice.chat_conversation) == (
        f"Chào {HINTS['citizen.name']}, hồ sơ H12-0002: Mới đăng ký. {HINTS['agent.name']}"
    )
    stranger = await store.add_inbound(InboundRecord(Channel.WEBCHAT, "web-1", "Xin chào", "w-1"), lambda _: [])
    assert await render(store, body, stranger.conversation_id) == (
        "Chào [họ tên công dân], hồ sơ [mã hồ sơ]: [trạng thái hồ sơ]. [tên cán bộ]"
    )
    assert await render(store, body, "cv_nope") == render_text(body, {})
    made = await canned.create(store, shortcut="tt", title="t", body=body, team=None, agent_id=None, clock=clock)
    assert (await render(store, made, twice.sms_conversation)).startswith("Chào Nguyễn Văn An")
