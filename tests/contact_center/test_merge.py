"""Merging two citizens who are one person, on a real SQLite store: undo
restores every row of every table exactly; both are audited; the refusals
are clear and typed for the API (ValueError 422, LookupError 404)."""

from __future__ import annotations

import pytest

from contact_center.merges import MergeRefused, Merges, MergeUnknown
from hub.store.port import ApplicantData
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from tests.support.citizens import CHAT, one_person_twice
from tests.support.dossiers import T0, dossier

# What a merge and its undo add by design: the record of them, and the
# consoles' feed telling them the queued conversation changed citizen.
RECORDS = {"citizen_merges", "audit_log", "console_feed"}


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "merge.sqlite3")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def merges(store):
    return Merges(store, clock=lambda: T0.timestamp())


async def every_row(store) -> dict[str, list[tuple]]:
    db = store.db.opened_reader()
    tables = [
        name
        for (name,) in await db.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if name not in RECORDS and not name.startswith("sqlite_")
    ]
    rows = {t: [tuple(r) for r in await db.execute_fetchall(f"SELECT * FROM {t}")] for t in tables}  # noqa: S608  names from sqlite_master
    return {t: sorted(found, key=repr) for t, found in rows.items()}


async def test_merge_then_undo_restores_every_row_exactly(store, merges):
    twice = await one_person_twice(store)
    before = await every_row(store)

    merge = await merges.merge(twice.applicant, twice.chat, "ag_1", "Cùng số CCCD, xác minh qua điện thoại")
    moved = await every_row(store)
    assert moved != before
    assert {row[0] for row in moved["conversations"] if row[3] == twice.applicant} == {
        twice.sms_conversation,
        twice.chat_conversation,
    }
    assert await store.find_contact(Channel.TELEGRAM, CHAT) == twice.applicant

    undone = await merges.undo(merge.id, "ag_2", "Nhầm: hai người khác nhau")
    assert undone.undone_by == "ag_2" and undone.undone_at is not None
    assert await every_row(store) == before
    assert (await store.get_contacts([twice.chat]))[twice.chat].telegram_chat_id == CHAT
    # The escalated (queued) conversation changed citizen twice; consoles were told each time.
    feed = [r for r in await store.feed_since(0) if r.kind == "conversation.updated"]
    assert [(r.conversation_id, r.payload["citizen_id"]) for r in feed] == [
        (twice.chat_conversation, twice.applicant),
        (twice.chat_conversation, twice.chat),
    ]


async def test_both_are_audited_on_both_citizens(store, merges):
    twice = await one_person_twice(store)
    merge = await merges.merge(twice.applicant, twice.chat, "ag_1", "cùng một người")
    await merges.undo(merge.id, "ag_2", "nhầm người")
    for citizen in (twice.applicant, twice.chat):
        rows = await store.audit_entries(object_type="citizen", object_id=citizen)
        assert [(r.actor, r.action) for r in rows] == [("ag_1", "citizen.merge"), ("ag_2", "citizen.unmerge")]
        assert merge.id in rows[0].reason and "cùng một người" in rows[0].reason
        assert "nhầm người" in rows[1].reason and rows[0].at == T0


async def test_refusals_are_clear_and_typed(store, merges):
    twice = await one_person_twice(store)
    with pytest.raises(MergeRefused, match="chính mình") as same:
        await merges.merge(twice.applicant, twice.applicant, "ag_1", "r")
    assert isinstance(same.value, ValueError)
    with pytest.raises(MergeUnknown, match="Không tìm thấy công dân c_nope") as unknown:
        await merges.merge(twice.applicant, "c_nope", "ag_1", "r")
    assert isinstance(unknown.value, LookupError)
    with pytest.raises(MergeUnknown, match="c_nope"):
        await merges.merge("c_nope", twice.applicant, "ag_1", "r")
    with pytest.raises(MergeRefused, match="lý do"):
        await merges.merge(twice.applicant, twice.chat, "ag_1", "   ")

    merge = await merges.merge(twice.applicant, twice.chat, "ag_1", "r")
    with pytest.raises(MergeRefused, match="đã được gộp"):
        await merges.merge(twice.other, twice.chat, "ag_1", "r")
    second = await merges.merge(twice.other, twice.applicant, "ag_1", "r")
    with pytest.raises(MergeRefused, match="hoàn tác lần gộp sau trước"):
        await merges.undo(merge.id, "ag_1", "r")
    await merges.undo(second.id, "ag_1", "r")
    with pytest.raises(MergeRefused, match="đã được hoàn tác"):
        await merges.undo(second.id, "ag_1", "r")
    with pytest.raises(MergeUnknown, match="Không tìm thấy lần gộp mg_nope"):
        await merges.undo("mg_nope", "ag_1", "r")
    # Nothing refused was audited.
    assert [r.action for r in await store.audit_entries()] == ["citizen.merge"] * 4 + ["citizen.unmerge"] * 2


async def test_ids_must_be_given(store, merges):
    with pytest.raises(MergeRefused, match="cả hai công dân"):
        await merges.merge("", None, "ag_1", "r")  # what a JSON body may hold


async def test_two_id_numbers_are_refused(store, merges):
    ids = []
    for code, number in (("H12-0005", "001090000001"), ("H12-0006", "001090000002")):
        applicant = ApplicantData("Nguyễn Văn An", id_number=number)
        ids.append((await store.upsert_dossier(dossier(code, applicant=applicant))).dossier.applicant_id)
    with pytest.raises(MergeRefused, match="CCCD"):
        await merges.merge(ids[0], ids[1], "ag_1", "r")
    assert await store.audit_entries() == []
