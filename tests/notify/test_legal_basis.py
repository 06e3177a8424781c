"""Issue 11 item 1: a legal basis per purpose. A dossier registered with name
and phone only is told on that phone (the agency's public task, recorded on
each notice); a withdrawal wins over it; a broadcast still needs an explicit
consent; the basis is configurable per purpose and checked at start."""

from __future__ import annotations

import pytest

from hub.api.auth import ApiKeys
from hub.keys import STORE
from hub.settings import Settings
from tests.support.served import DAY, PHONE_ONLY, notifications, served, settle

CODE = "000.00.21.H12-261125-0101"


@pytest.fixture
async def client(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        yield client


async def _auth(client) -> dict:
    return {"Authorization": f"Bearer {await ApiKeys(client.app[STORE]).create('one-stop-shop')}"}


listed = notifications


async def event(client, auth, event_id: str, status: str):
    body = {"event_id": event_id, "status": status, "at": "2026-11-25T10:00:00+07:00", "actor": "Một cửa"}
    assert (await client.post(f"/api/v1/dossiers/{CODE}/events", json=body, headers=auth)).status == 201
    await settle(client)


async def test_name_and_phone_only_is_told_by_sms_under_the_public_task(client):
    auth = await _auth(client)
    created = await client.put(f"/api/v1/dossiers/{CODE}", json=PHONE_ONLY, headers=auth)
    assert created.status == 201
    await settle(client)
    [received] = await listed(client, auth, dossier=CODE)
    assert received["status"] == "delivered" and received["channel"] == "sms"
    assert received["legal_basis"] == "public_task" and received["reason"] is None
    sent = await client.app[STORE].last_recorded(10)
    assert [r["channel"] for r in sent] == ["sms"] and CODE in sent[0]["body"]


async def test_a_withdrawal_wins_over_the_public_task(client):
    auth = await _auth(client)
    applicant = (await (await client.put(f"/api/v1/dossiers/{CODE}", json=PHONE_ONLY, headers=auth)).json())[
        "applicant_id"
    ]
    await settle(client)
    withdrawn = await client.post(
        f"/api/v1/citizens/{applicant}/consents", json={"channel": "sms", "granted": False, "via": "sms"}, headers=auth
    )
    assert withdrawn.status == 201
    await event(client, auth, "e1", "received")
    notice = [n for n in await listed(client, auth, dossier=CODE) if n["source_event_id"] == "e1"][0]
    assert notice["status"] == "cancelled" and notice["reason"] == "withdrawn" and notice["attempts"] == []
    assert notice["reason_label"]  # what a person reads, in Vietnamese
    assert len(await client.app[STORE].last_recorded(10)) == 1  # only the registration, before the withdrawal


async def test_a_broadcast_needs_an_explicit_consent(client):
    auth = await _auth(client)
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=PHONE_ONLY, headers=auth)).status == 201
    await settle(client)
    before = len(await client.app[STORE].last_recorded(10))
    response = await client.post(
        "/api/v1/broadcasts",
        json={
            "template": "broadcast",
            "context": {"title": "Nghỉ lễ", "body": "Trung tâm nghỉ ngày 2/9."},
            "recipients": [{"phone": "0913000901"}],
        },
        headers=auth,
    )
    assert response.status == 202, await response.text()
    await settle(client)
    [notice] = await listed(client, auth, broadcast=(await response.json())["id"])
    assert notice["legal_basis"] == "consent"
    assert notice["status"] == "cancelled" and notice["reason"] == "no_basis"
    assert len(await client.app[STORE].last_recorded(10)) == before


async def test_the_basis_is_configurable_per_purpose(tmp_path):
    async with served(tmp_path, DAY, legal_basis="dossier_received=consent") as (client, _, auth):
        assert (await client.put(f"/api/v1/dossiers/{CODE}", json=PHONE_ONLY, headers=auth)).status == 201
        await settle(client)
        [notice] = await listed(client, auth, dossier=CODE)
        assert notice["legal_basis"] == "consent"
        assert notice["status"] == "cancelled" and notice["reason"] == "no_basis"


@pytest.mark.parametrize(
    "value",
    ["broadcast=public_task", "dossier_status", "dossier_status=marketing", "newsletter=consent"],
)
def test_a_wrong_setting_stops_the_start_with_a_clear_message(value):
    with pytest.raises(SystemExit) as stopped:
        Settings.from_env({"TONGDAI_LEGAL_BASIS": value})
    assert "TONGDAI_LEGAL_BASIS" in str(stopped.value)


def test_a_good_setting_is_accepted():
    assert Settings.from_env({"TONGDAI_LEGAL_BASIS": " dossier_status=consent , broadcast=consent"}).legal_basis
