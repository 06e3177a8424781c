"""Issue 10, item 6: a future-dated consent defeated later opt-outs.

A grant dated 2099 stayed the ledger's latest record, so SMS stayed on after
the citizen sent HUY. A time in the future is refused, and the ledger's
current answer is the record written last, whatever time it claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.keys import STORE
from models.citizen import Channel, ConsentRecord

CODE = "000.00.21.H12-261130-0202"
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "applicant": {"full_name": "Phạm Văn Dũng", "phone": "0987650202"},
}


async def citizen_id(client, auth) -> str:
    response = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
    assert response.status == 201
    return (await response.json())["applicant_id"]


async def test_a_consent_dated_in_the_future_is_refused(client, auth):
    citizen = await citizen_id(client, auth)
    response = await client.post(
        f"/api/v1/citizens/{citizen}/consents",
        headers=auth,
        json={"channel": "sms", "granted": True, "at": "2099-01-01T00:00:00+07:00"},
    )
    assert response.status == 422
    body = await response.json()
    assert body["field"] == "at" and "tương lai" in body["message"]
    ledger = await (await client.get(f"/api/v1/citizens/{citizen}/consents", headers=auth)).json()
    assert ledger["ledger"] == [] and ledger["current"]["sms"] is False

    # A clock a little ahead of ours is a drifting clock, not the future.
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    drift = await client.post(
        f"/api/v1/citizens/{citizen}/consents", headers=auth, json={"channel": "sms", "granted": True, "at": soon}
    )
    assert drift.status == 201 and (await drift.json())["current"]["sms"] is True


async def test_a_withdrawal_now_beats_a_grant_dated_2099(client, auth):
    citizen = await citizen_id(client, auth)
    # A grant that claims 2099, as stored before the API refused it (or from a clock gone wrong).
    store = client.app[STORE]
    await store.add_consent(
        citizen,
        ConsentRecord(Channel.SMS, True, datetime(2099, 1, 1, tzinfo=UTC), via="api", legal_basis="consent"),
    )
    assert (await store.get_contacts([citizen]))[citizen].consent_for(Channel.SMS)

    # Then the citizen says HUY.
    response = await client.post(
        f"/api/v1/citizens/{citizen}/consents", headers=auth, json={"channel": "sms", "granted": False, "via": "sms"}
    )
    assert response.status == 201
    body = await response.json()
    assert body["current"]["sms"] is False
    assert [(r["granted"], r["at"][:4]) for r in body["ledger"]][0] == (True, "2099")  # kept, for the record
    assert not (await store.get_contacts([citizen]))[citizen].consent_for(Channel.SMS)
    citizen_row = await store.get_citizen(citizen)
    assert citizen_row is not None and not citizen_row.consent_for(Channel.SMS)


async def test_the_one_stop_shop_cannot_date_a_consent_in_the_future_either(client, auth):
    future = {**DOSSIER["applicant"], "consents": [{"channel": "sms", "granted": True, "at": "2099-01-01T00:00:00Z"}]}
    response = await client.put(f"/api/v1/dossiers/{CODE}", json={**DOSSIER, "applicant": future}, headers=auth)
    assert response.status == 422 and (await response.json())["field"] == "applicant.consents.at"
