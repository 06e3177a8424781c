"""Issue 11 item 3: stale messages after a wait. A pending status notice is
superseded by a newer one about the same dossier for the same citizen, in the
order the dossier's changes were recorded (not the order the bus delivers
them); the apology and a
result with collection details are kept. The day-one story runs through the
real HTTP app: registered with name and phone only at 02:54, several status
changes, then morning: one SMS, the current state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.keys import STORE
from models.citizen import Channel, ConsentRecord
from models.dossier import DossierStatus
from models.events import DossierStatusChanged, Message
from models.notifications import DeliveryStatus as S
from models.timeutil import VN_TZ
from tests.support.harness import make_harness
from tests.support.served import notifications, served, settle

CODE = "000.00.21.H12-261126-0254"
# A Thursday, no holiday: quiet hours end at 07:00.
NIGHT = datetime(2026, 11, 26, 2, 54, tzinfo=VN_TZ)
MORNING = datetime(2026, 11, 26, 7, 0, tzinfo=VN_TZ)


@pytest.fixture
async def night(tmp_path):
    async with served(tmp_path, NIGHT) as service:
        yield service


async def listed(client, auth):
    return await notifications(client, auth, dossier=CODE)


def at(minutes: int) -> str:
    return (NIGHT + timedelta(minutes=minutes)).isoformat()


async def test_day_one_one_sms_in_the_morning_with_the_current_state(night):
    client, clock, auth = night
    dossier = {
        "procedure": "Đăng ký khai sinh",
        "agency": "UBND phường Thạch Thang",
        "received_at": at(0),
        "due_at": "2099-11-25T17:00:00+07:00",
        "applicant": {"full_name": "Trần Thị Bình", "phone": "0913000901"},  # nothing else: no consent
    }
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=dossier, headers=auth)).status == 201
    await settle(client)
    [registered] = await listed(client, auth)
    # Before the morning: why it waits and until when.
    assert registered["status"] == "deferred" and registered["reason"] == "quiet_hours"
    assert registered["reason_label"] and registered["legal_basis"] == "public_task"
    assert registered["next_at"] == MORNING.astimezone(UTC).isoformat(timespec="seconds")

    steps = ["received", "supplement_requested", "in_progress", "supplement_requested", "in_progress"]
    for i, status in enumerate(steps, start=1):
        clock.set(NIGHT + timedelta(minutes=i))
        body = {"event_id": f"night-{i}", "status": status, "at": at(i), "actor": "Một cửa", "note": "- Tờ khai"}
        assert (await client.post(f"/api/v1/dossiers/{CODE}/events", json=body, headers=auth)).status == 201
        await settle(client)
    assert await client.app[STORE].last_recorded(10) == []  # nothing at night

    clock.set(MORNING)
    await settle(client)
    sent = await client.app[STORE].last_recorded(10)
    assert [r["channel"] for r in sent] == ["sms"]  # exactly one SMS
    assert DossierStatus.IN_PROGRESS.label in sent[0]["body"]  # the current state, not the night's supplement request
    items = await listed(client, auth)
    assert len(items) == 1 + len(steps)
    current = items[-1]
    assert current["source_event_id"] == f"night-{len(steps)}" and current["status"] == "delivered"
    assert current["channel"] == "sms" and current["reason"] is None
    for i, stale in enumerate(items[:-1]):
        assert stale["status"] == "cancelled" and stale["reason"] == "superseded", stale
        # By the newest news planned when it went stale: a later one, never an older.
        assert stale["superseded_by"] in {n["id"] for n in items[i + 1 :]} and stale["attempts"] == []


async def events_of(h) -> list[Message]:
    rows = await h.store.outbox_after(0, 1000)
    return [Message.from_dict(r.type, r.payload) for r in rows if r.type == DossierStatusChanged.__name__]


async def test_an_older_event_arriving_later_does_not_supersede_the_newer(tmp_path):
    h = await make_harness(tmp_path)
    try:
        await h.dossier()
        await h.pump()
        await h.status("received", "e1")
        h.clock.advance(60)
        await h.status("in_progress", "e2")
        older, newer = await events_of(h)
        h.clock.set(datetime(2026, 11, 25, 23, 0, tzinfo=VN_TZ))  # SMS only, at night: both wait
        await h.planner.handle([newer])
        await h.planner.handle([older])  # the bus delivered the older one late
        await h.planner.handle([older, newer])  # and both again
        by_event = {n.source_event_id: n for n in await h.notifications() if n.purpose == "dossier_status"}
        assert len(by_event) == 2
        assert by_event["e1"].status is S.CANCELLED and by_event["e1"].reason == "superseded"
        assert by_event["e1"].superseded_by == by_event["e2"].id
        assert by_event["e2"].status is S.QUEUED and by_event["e2"].reason is None
    finally:
        await h.store.close()


async def test_the_result_with_collection_details_and_the_apology_are_kept(tmp_path):
    h = await make_harness(tmp_path)
    try:
        # Late by hours, not days: a dossier late for longer than the age limit is history (item 4).
        await h.dossier(due_at=datetime.fromtimestamp(h.clock.now, UTC) - timedelta(hours=1))
        await h.pump()
        h.clock.set(datetime(2026, 11, 25, 22, 0, tzinfo=VN_TZ))
        citizen = (await h.store.get_dossier("H12.22-261120-0001")).applicant_id
        # Telegram off for the night's test: SMS, which keeps quiet hours.
        await h.store.add_consent(citizen, _withdraw(Channel.TELEGRAM))
        await h.status("received", "e1")
        await h.overdue.run_once()
        h.clock.advance(60)
        await h.status("result_ready", "e2", result={"method": "counter", "place": "Quầy số 3"})
        h.clock.advance(60)
        await h.status("returned", "e3")
        await h.pump()
        notes = {(n.purpose, n.source_event_id): n for n in await h.notifications()}
        assert notes[("dossier_status", "e1")].reason == "superseded"
        assert notes[("dossier_status", "e2")].status is S.DEFERRED  # where to collect: kept
        assert notes[("dossier_status", "e3")].status is S.DEFERRED
        apology = [n for (purpose, _), n in notes.items() if purpose == "overdue_apology"]
        assert apology and all(n.reason != "superseded" for n in apology)
    finally:
        await h.store.close()


def _withdraw(channel: Channel):
    return ConsentRecord(channel=channel, granted=False, at=datetime.now(UTC), via="telegram_blocked", legal_basis="x")
