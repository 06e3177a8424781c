"""The embedded service end to end: dossier events in through the API,
notifications out through the recording providers, statuses back through the
API; consents, followers, unsubscribe links and broadcasts."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.api.auth import ApiKeys
from hub.app import SERVICE, create_app
from hub.keys import BUS, STORE
from hub.settings import Settings
from models.citizen import Channel
from notify.keys import LINKS
from tests.support.dossiers import DOSSIER

CODE = "000.00.21.H12-261120-0042"


def event(event_id, status, **extra):
    return {
        "event_id": event_id,
        "status": status,
        "at": "2026-11-21T09:00:00+07:00",
        "actor": "Một cửa",
        "note": "",
        **extra,
    }


async def settle(client):
    """Until the bus and the sender have nothing left to do now."""
    for _ in range(3):  # a send can publish, a publish can plan a send
        await client.app[BUS].wait_idle()
        await client.app[SERVICE].notifier.sender.wait_idle()


async def notifications(client, auth, **query):
    response = await client.get("/api/v1/notifications", params=query, headers=auth)
    assert response.status == 200
    return (await response.json())["notifications"]


async def recorded(client):
    return await client.app[STORE].last_recorded(100)


@pytest.fixture
async def dossier(client, auth):
    response = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
    assert response.status == 201
    return await response.json()


async def test_status_change_is_delivered_and_listed(client, auth, dossier):
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event("e1", "received"), headers=auth)
    assert response.status == 201
    await settle(client)
    items = await notifications(client, auth, dossier=CODE)
    assert sorted(n["purpose"] for n in items) == ["dossier_received", "dossier_status"]
    for n in items:
        assert n["status"] == "delivered" and n["channel"] == "telegram"
        assert [a["status"] for a in n["attempts"]] == ["delivered"]
    by_citizen = await notifications(client, auth, citizen=dossier["applicant_id"])
    assert {n["id"] for n in by_citizen} == {n["id"] for n in items}
    sent = await recorded(client)
    assert [r["channel"] for r in sent] == ["telegram", "telegram"]
    assert all(CODE in r["body"] and r["address"] == "5550001" for r in sent)


async def test_every_event_delivered_twice_still_notifies_once(client, auth, dossier):
    for i, status in enumerate(["received", "in_progress", "result_ready"]):
        response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(f"e{i}", status), headers=auth)
        assert response.status == 201
    await settle(client)
    before = await recorded(client)
    # The bus forgets it ever handled anything and delivers every event again,
    # as it would after a crash between handling and recording.
    db = client.app[STORE].db
    async with db.transaction() as conn:
        await conn.execute("UPDATE deliveries SET state = 'retry', attempts = 0, next_at = 0")
        await conn.execute("UPDATE outbox SET dispatched = 0")
    await settle(client)
    assert await recorded(client) == before
    items = await notifications(client, auth, dossier=CODE)
    assert len(items) == 4  # registered + three status changes
    # Each one sent once, or superseded by newer news before it went (issue 11 item 3).
    assert {n["status"] for n in items} <= {"delivered", "cancelled"}
    assert all(n["reason"] == "superseded" for n in items if n["status"] == "cancelled")
    assert len(before) == sum(n["status"] == "delivered" for n in items)
    assert items[-1]["status"] == "delivered"  # the result, with where to collect it, is never superseded


async def test_query_needs_exactly_one_filter_and_a_key(client, auth):
    assert (await client.get("/api/v1/notifications", headers=auth)).status == 422
    both = await client.get("/api/v1/notifications", params={"dossier": "x", "citizen": "y"}, headers=auth)
    assert both.status == 422
    assert (await client.get("/api/v1/notifications", params={"dossier": CODE})).status == 401


async def test_consent_ledger_api(client, auth, dossier):
    citizen = dossier["applicant_id"]
    response = await client.get(f"/api/v1/citizens/{citizen}/consents", headers=auth)
    body = await response.json()
    assert body["current"]["telegram"] is True and body["current"]["sms"] is False
    response = await client.post(
        f"/api/v1/citizens/{citizen}/consents",
        headers=auth,
        json={"channel": "telegram", "granted": False, "via": "call_center"},
    )
    assert response.status == 201
    body = await response.json()
    assert body["current"]["telegram"] is False
    assert [(r["channel"], r["granted"]) for r in body["ledger"]] == [
        ("telegram", True),
        ("email", True),
        ("telegram", False),
    ]  # a ledger: nothing overwritten
    await client.post(f"/api/v1/dossiers/{CODE}/events", json=event("e1", "received"), headers=auth)
    await settle(client)
    assert [r["channel"] for r in await recorded(client)][-1] == "email"
    bad = await client.post(
        f"/api/v1/citizens/{citizen}/consents", headers=auth, json={"channel": "pigeon", "granted": True}
    )
    assert bad.status == 422 and (await bad.json())["field"] == "channel"
    missing = await client.get("/api/v1/citizens/c_nobody/consents", headers=auth)
    assert missing.status == 404


async def test_unsubscribe_link_records_a_withdrawal(client, auth, dossier):
    citizen = dossier["applicant_id"]
    token = client.app[LINKS].unsubscribe_token(citizen, Channel.EMAIL)
    page = await client.get(f"/unsubscribe/{token}")
    assert page.status == 200 and "Xác nhận" in await page.text()
    consents = await (await client.get(f"/api/v1/citizens/{citizen}/consents", headers=auth)).json()
    assert consents["current"]["email"] is True  # a GET (a mail scanner) changes nothing
    done = await client.post(f"/unsubscribe/{token}", data="List-Unsubscribe=One-Click")
    assert done.status == 200
    consents = await (await client.get(f"/api/v1/citizens/{citizen}/consents", headers=auth)).json()
    assert consents["current"]["email"] is False
    assert consents["ledger"][-1]["via"] == "unsubscribe_link"
    forged = await client.post(f"/unsubscribe/{token[:-2]}xx")
    assert forged.status == 404


async def test_follow_a_dossier_by_code_and_digits(client, auth, dossier):
    wrong = await client.post(
        f"/api/v1/dossiers/{CODE}/followers", json={"verify": "0000", "channel": "email", "email": "me@example.vn"}
    )
    assert wrong.status == 404
    ok = await client.post(
        f"/api/v1/dossiers/{CODE}/followers", json={"verify": "4321", "channel": "email", "email": "Me@Example.vn"}
    )
    assert ok.status == 202 and (await ok.json())["confirmation"] == "email_link"
    again = await client.post(
        f"/api/v1/dossiers/{CODE}/followers", json={"verify": "4321", "channel": "email", "email": "me@example.vn"}
    )
    assert again.status == 202  # still waiting: nothing sent twice
    await settle(client)
    [request] = [r for r in await recorded(client) if r["channel"] == "email"]
    token = request["body"].split("/follow/", 1)[1].split()[0]
    assert (await client.post(f"/follow/{token}")).status == 200
    following = await client.post(
        f"/api/v1/dossiers/{CODE}/followers", json={"verify": "4321", "channel": "email", "email": "me@example.vn"}
    )
    assert following.status == 200 and (await following.json())["following"] is True
    await client.post(f"/api/v1/dossiers/{CODE}/events", json=event("e1", "received"), headers=auth)
    await settle(client)
    emails = [r for r in await recorded(client) if r["channel"] == "email"]
    assert [r["address"] for r in emails] == ["me@example.vn", "me@example.vn"]
    assert "Hủy" in emails[-1]["body"] or "hủy" in emails[-1]["body"]
    bad = await client.post(
        f"/api/v1/dossiers/{CODE}/followers", json={"verify": "4321", "channel": "sms", "phone": "12"}
    )
    assert bad.status == 422 and (await bad.json())["field"] == "phone"


async def test_broadcast_api_respects_consent_and_can_be_cancelled(client, auth, dossier):
    body = {
        "template": "broadcast",
        "context": {"title": "Nghỉ lễ", "body": "Trung tâm nghỉ ngày 2/9."},
        "recipients": [
            {"citizen_id": dossier["applicant_id"]},
            {"phone": "0900000001"},
            {"email": "nobody@example.vn"},
        ],
    }
    response = await client.post("/api/v1/broadcasts", json=body, headers=auth)
    assert response.status == 202
    created = await response.json()
    assert created["total"] == 1 and created["skipped"] == 2
    await settle(client)
    status = await (await client.get(f"/api/v1/broadcasts/{created['id']}", headers=auth)).json()
    assert status["by_status"] == {"delivered": 1} and status["finished"] == 1
    assert "Nghỉ lễ" in (await recorded(client))[-1]["body"]
    again = await client.post("/api/v1/broadcasts", json=body, headers=auth)  # same content: same broadcast
    assert (await again.json())["id"] == created["id"]
    await settle(client)
    assert sum("Nghỉ lễ" in r["body"] for r in await recorded(client)) == 1
    cancel = await client.post(f"/api/v1/broadcasts/{created['id']}/cancel", headers=auth)
    assert cancel.status == 200 and (await cancel.json())["state"] == "cancelled"


async def test_broadcast_with_a_missing_variable_is_refused(client, auth, dossier):
    response = await client.post(
        "/api/v1/broadcasts",
        headers=auth,
        json={
            "template": "broadcast",
            "context": {"title": "Thiếu nội dung"},
            "recipients": [{"citizen_id": dossier["applicant_id"]}],
        },
    )
    assert response.status == 422 and (await response.json())["field"] == "template"
    unknown = await client.post(
        "/api/v1/broadcasts",
        headers=auth,
        json={"template": "nope", "context": {}, "recipients": [{"citizen_id": dossier["applicant_id"]}]},
    )
    assert unknown.status == 422


async def test_failing_channel_falls_back_in_the_service(tmp_path):
    settings = Settings(
        data_dir=tmp_path / "data",
        bus_poll_seconds=0.05,
        recording_fail="telegram=permanent",
        notify_max_event_age_hours=0,  # DOSSIER's dates are fixed
    )
    async with TestClient(TestServer(await create_app(settings))) as client:
        auth = {"Authorization": "Bearer " + await ApiKeys(client.app[STORE]).create("t")}
        assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)).status == 201
        await settle(client)
        [n] = await notifications(client, auth, dossier=CODE)
        assert [(a["channel"], a["status"]) for a in n["attempts"]] == [
            ("telegram", "permanent_failure"),
            ("email", "delivered"),
        ]


async def test_follow_with_the_code_typed_in_lower_case(client, auth, dossier):
    ok = await client.post(
        f"/api/v1/dossiers/{CODE.lower()}/followers",
        json={"verify": "4321", "channel": "email", "email": "me@example.vn"},
    )
    assert ok.status == 202 and (await ok.json())["code"] == CODE
