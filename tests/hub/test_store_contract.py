"""One contract, every store backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hub.store.port import ApplicantData, DeliveryResult, DossierData, StatusChange
from models.citizen import Channel, ConsentRecord
from models.dossier import DossierStatus as S
from models.errors import Conflict

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def dossier(code="H12-0001", phone="+84912345678", name="Nguyễn Văn An", **extra) -> DossierData:
    fields = dict(code=code, procedure="Đăng ký khai sinh", agency="UBND phường", received_at=T0,
                  due_at=T0 + timedelta(days=5), applicant=ApplicantData(name, phone=phone))
    fields.update(extra)
    return DossierData(**fields)


def change(event_id, status, code="H12-0001", minutes=0, **extra) -> StatusChange:
    return StatusChange(code=code, event_id=event_id, status=status, at=T0 + timedelta(minutes=minutes),
                        actor="Một cửa", note="", **extra)


async def outbox_types(store) -> list[str]:
    return [row.type for row in await store.outbox_after(0, 1000)]


async def test_upsert_creates_then_updates_and_says_which(store):
    created = await store.upsert_dossier(dossier())
    assert created.created and created.dossier.status is S.SUBMITTED
    same = await store.upsert_dossier(dossier())
    assert not same.created and same.changed == ()
    moved = await store.upsert_dossier(dossier(agency="UBND quận"))
    assert moved.changed == ("agency",) and moved.dossier.agency == "UBND quận"
    assert await outbox_types(store) == ["DossierRegistered", "DossierUpdated"]


async def test_a_citizen_gives_their_phone_once(store):
    first = await store.upsert_dossier(dossier("A-1"))
    second = await store.upsert_dossier(dossier("A-2", name="Nguyễn Văn An"))
    assert first.dossier.applicant_id == second.dossier.applicant_id
    other = await store.upsert_dossier(dossier("A-3", phone="+84987654321"))
    assert other.dossier.applicant_id != first.dossier.applicant_id


async def test_id_number_wins_and_a_phone_cannot_be_stolen(store):
    await store.upsert_dossier(dossier("B-1", applicant=ApplicantData("A", phone="+84911111111",
                                                                      id_number="001203004567")))
    await store.upsert_dossier(dossier("B-2", applicant=ApplicantData("B", phone="+84922222222")))
    with pytest.raises(Conflict):
        await store.upsert_dossier(dossier("B-3", applicant=ApplicantData("A", phone="+84922222222",
                                                                          id_number="001203004567")))
    assert await store.get_dossier("B-3") is None  # nothing half-written


async def test_status_on_put_cannot_bypass_the_event_api(store):
    await store.upsert_dossier(dossier())
    with pytest.raises(Conflict):
        await store.upsert_dossier(dossier(status=S.RETURNED))


async def test_status_change_updates_dossier_timeline_and_outbox_together(store):
    await store.upsert_dossier(dossier())
    result = await store.record_status_change(change("e1", S.RECEIVED, due_at=T0 + timedelta(days=9)))
    assert result.outcome == "accepted" and result.previous_status is S.SUBMITTED
    stored = await store.get_dossier("H12-0001")
    assert stored.status is S.RECEIVED and stored.due_at == T0 + timedelta(days=9)
    assert [e.event_id for e in stored.timeline] == ["e1"]
    rows = await store.outbox_after(0, 100)
    assert rows[-1].type == "DossierStatusChanged" and rows[-1].payload["event_id"] == "e1"
    assert rows[-1].key == "H12-0001"


async def test_repeated_event_id_answers_as_the_first_time(store):
    await store.upsert_dossier(dossier())
    first = await store.record_status_change(change("e1", S.RECEIVED))
    again = await store.record_status_change(change("e1", S.RECEIVED))
    assert again.outcome == "duplicate" and again.recorded_at == first.recorded_at
    assert again.entry == first.entry
    reused = await store.record_status_change(change("e1", S.IN_PROGRESS))
    assert reused.outcome == "event_id_reused"
    assert (await outbox_types(store)).count("DossierStatusChanged") == 1


async def test_illegal_and_unknown_change_nothing(store):
    await store.upsert_dossier(dossier())
    illegal = await store.record_status_change(change("e1", S.RETURNED))
    assert illegal.outcome == "illegal" and illegal.current_status is S.SUBMITTED
    missing = await store.record_status_change(change("e2", S.RECEIVED, code="NOPE"))
    assert missing.outcome == "not_found"
    assert (await store.get_dossier("H12-0001")).status is S.SUBMITTED
    assert "DossierStatusChanged" not in await outbox_types(store)


async def test_concurrent_changes_share_commits_and_lose_nothing(store):
    codes = [f"C-{i}" for i in range(20)]
    for i, code in enumerate(codes):
        await store.upsert_dossier(dossier(code, phone=f"+8491000{i:04d}"))
    await asyncio.gather(*(store.record_status_change(change(f"{c}-r", S.RECEIVED, code=c)) for c in codes))
    results = await asyncio.gather(*(
        store.record_status_change(change(f"{c}-{n}", S.IN_PROGRESS, code=c, minutes=n))
        for n in range(1, 11) for c in codes))
    assert {r.outcome for r in results} == {"accepted"}
    for code in codes:
        assert len((await store.get_dossier(code)).timeline) == 11
    assert (await outbox_types(store)).count("DossierStatusChanged") == 220


async def test_same_event_twice_in_one_batch_is_recorded_once(store):
    await store.upsert_dossier(dossier())
    results = await asyncio.gather(*(store.record_status_change(change("e1", S.RECEIVED)) for _ in range(5)))
    assert sorted(r.outcome for r in results) == ["accepted"] + ["duplicate"] * 4


async def test_consents_are_a_ledger(store):
    at = T0
    grant = ConsentRecord(Channel.SMS, True, at, "one_stop_shop", "consent")
    withdraw = ConsentRecord(Channel.SMS, False, at + timedelta(days=1), "sms:HUY", "consent")
    result = await store.upsert_dossier(dossier(applicant=ApplicantData("An", phone="+84912345678",
                                                                        consents=(grant,))))
    await store.upsert_dossier(dossier(applicant=ApplicantData("An", phone="+84912345678", consents=(withdraw,))))
    citizen = await store.get_citizen(result.dossier.applicant_id)
    assert citizen.consents == (grant, withdraw)
    assert not citizen.consent_for(Channel.SMS) and not citizen.consent_for(Channel.EMAIL)


async def test_api_keys_are_found_by_hash_only(store):
    await store.add_api_key("one-stop-shop", "ab" * 32)
    assert await store.api_key_name("ab" * 32) == "one-stop-shop"
    assert await store.api_key_name("cd" * 32) is None


async def test_delivery_records_dead_letters_and_retry(store):
    from models.events import DossierUpdated
    message = DossierUpdated(code="X", changed=("agency",))
    await store.append_outbox([message])
    row = (await store.outbox_after(0, 10))[0]
    await store.record_deliveries([DeliveryResult(message.message_id, "a", "done", 1),
                                   DeliveryResult(message.message_id, "b", "dead", 3, error="boom")], [row.id])
    assert await store.count_pending() == 0
    assert await store.outbox_after(0, 10) == []
    [letter] = await store.dead_letters()
    assert (letter.handler, letter.attempts, letter.error) == ("b", 3, "boom")
    assert await store.retry_dead_letter(letter.id)
    assert not await store.retry_dead_letter(letter.id)
    assert await store.dead_letters() == []
    assert await store.due_retries(now=1.0, limit=10) == [message.message_id]
    [again] = await store.outbox_by_ids([message.message_id])
    assert again.deliveries["a"][0] == "done" and again.deliveries["b"][:2] == ("retry", 0)


async def test_readiness_reports_migrations(store):
    state = await store.readiness()
    assert state["ready"] and state["schema_version"] == state["latest_migration"] >= 1
