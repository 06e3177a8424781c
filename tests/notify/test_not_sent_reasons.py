"""Issue 11 item 2: every notification that is not sent says why and when
(`reason`, `next_at`) in the API and in `tongdai outbox why`; an operator can
resend one (API and CLI) and it is routed again with today's consents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hub.keys import STORE
from models.notifications import REASONS
from models.notifications import DeliveryStatus as S
from models.timeutil import VN_TZ
from tests.support.harness import APPLICANT, make_harness
from tests.support.served import DAY, PHONE_ONLY, notifications, served, settle
from tests.support.server import cli, run_cli

CODE = "000.00.21.H12-261125-0202"


@pytest.fixture
async def service(tmp_path):
    async with served(tmp_path, DAY) as (client, _, auth):
        yield client, auth, tmp_path / "data"


async def listed(client, auth):
    return await notifications(client, auth, dossier=CODE)


async def withdrawn_then_granted(client, auth) -> dict:
    """A notice cancelled because SMS was withdrawn; then the citizen says yes again."""
    applicant = (await (await client.put(f"/api/v1/dossiers/{CODE}", json=PHONE_ONLY, headers=auth)).json())[
        "applicant_id"
    ]
    await settle(client)
    for granted in (False, True):
        response = await client.post(
            f"/api/v1/citizens/{applicant}/consents", json={"channel": "sms", "granted": granted}, headers=auth
        )
        assert response.status == 201
        if not granted:
            body = {"event_id": "e1", "status": "received", "at": "2026-11-25T10:00:00+07:00", "actor": "Một cửa"}
            assert (await client.post(f"/api/v1/dossiers/{CODE}/events", json=body, headers=auth)).status == 201
            await settle(client)
    notice = [n for n in await listed(client, auth) if n["source_event_id"] == "e1"][0]
    assert notice["status"] == "cancelled" and notice["reason"] == "withdrawn"
    assert notice["reason_label"] == REASONS["withdrawn"] and notice["next_at"] is None
    return notice


async def test_an_operator_resends_with_todays_consents(service):
    client, auth, _ = service
    notice = await withdrawn_then_granted(client, auth)
    await settle(client)
    # A grant does not revive it by itself (README "Consent and legal basis"): the operator decides.
    assert [n["status"] for n in await listed(client, auth) if n["id"] == notice["id"]] == ["cancelled"]
    path = f"/api/v1/notifications/{notice['id']}/resend"
    assert (await client.post(path)).status == 401
    assert (await client.post("/api/v1/notifications/nope/resend", headers=auth)).status == 404
    first = await client.post(path, headers=auth)
    second = await client.post(path, headers=auth)  # idempotent: the same state again
    assert first.status == second.status == 200
    again = await second.json()
    assert again["status"] == "queued" and again["reason"] is None and again["channels_given_up"] == []
    await settle(client)
    resent = [n for n in await listed(client, auth) if n["id"] == notice["id"]][0]
    assert resent["status"] == "delivered" and resent["channel"] == "sms"
    assert len([r for r in await client.app[STORE].last_recorded(10) if r["channel"] == "sms"]) == 2
    # A delivered one may be asked for again: a fresh routing, a second attempt.
    assert (await client.post(path, headers=auth)).status == 200
    await settle(client)
    twice = [n for n in await listed(client, auth) if n["id"] == notice["id"]][0]
    assert twice["status"] == "delivered" and len(twice["attempts"]) == 2


async def test_outbox_why_and_resend_on_the_command_line(service):
    client, auth, data_dir = service
    notice = await withdrawn_then_granted(client, auth)
    out = await cli(data_dir, "outbox", "why")
    line = next(line for line in out.splitlines() if notice["id"] in line)
    assert "withdrawn" in line and REASONS["withdrawn"] in line and CODE in line
    assert "0913000901" not in out and "+84913000901" not in out  # no address in a listing
    code, _, err = await run_cli(data_dir, "outbox", "resend", "nope")
    assert code == 1 and "nope" in err
    assert notice["id"] in await cli(data_dir, "outbox", "resend", notice["id"])
    await settle(client)
    resent = [n for n in await listed(client, auth) if n["id"] == notice["id"]][0]
    assert resent["status"] == "delivered"


async def test_quiet_hours_and_holiday_are_told_apart(tmp_path):
    h = await make_harness(tmp_path)
    try:
        await h.dossier(applicant=replace(APPLICANT, preferred_channels=("sms",)))
        await h.pump()
        h.clock.set(datetime(2027, 9, 2, 10, 0, tzinfo=VN_TZ))  # Quốc khánh, mid-morning
        await h.status("received", "e1")
        h.clock.set(datetime(2027, 9, 2, 10, 1, tzinfo=VN_TZ))
        await h.pump()
        [holiday] = [n for n in await h.notifications() if n.source_event_id == "e1"]
        assert holiday.status is S.DEFERRED and holiday.reason == "holiday"
        assert datetime.fromtimestamp(holiday.next_at, UTC) > datetime(2027, 9, 2, 10, 1, tzinfo=VN_TZ)
        h.clock.set(datetime(2027, 9, 7, 23, 0, tzinfo=VN_TZ))  # an ordinary Tuesday night
        await h.status("in_progress", "e2")
        await h.pump()
        [night] = [n for n in await h.notifications() if n.source_event_id == "e2"]
        assert night.status is S.DEFERRED and night.reason == "quiet_hours"
        assert night.next_at == datetime(2027, 9, 8, 7, 0, tzinfo=VN_TZ).timestamp()
    finally:
        await h.store.close()
