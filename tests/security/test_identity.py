"""Issue 10, item 9 (and the identity rule of the first-day issue): PUT merged
people who share an email or a phone.

A second dossier whose applicant shared only an email with the first one's
took over the first person's record: name, phone and ID number overwritten,
and the first dossier's verify digits changed with them. A phone shared by a
mother and her son renamed the mother. A contact point is not an identity: a
person is found by national ID, otherwise by name and contact together."""

from __future__ import annotations

import pytest

from hub.app import SERVICE
from hub.keys import BUS, STORE
from models.citizen import Channel

BASE = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "due_at": "2099-11-25T17:00:00",
}


async def settle(client):
    for _ in range(3):  # a send can publish, a publish can plan a send
        await client.app[BUS].wait_idle()
        await client.app[SERVICE].notifier.sender.wait_idle()


async def put(client, auth, code: str, applicant: dict) -> dict:
    response = await client.put(f"/api/v1/dossiers/{code}", json={**BASE, "applicant": applicant}, headers=auth)
    assert response.status in (200, 201)
    return await response.json()


async def lookup(client, code: str, verify: str) -> int:
    return (await client.get(f"/api/v1/dossiers/{code}", params={"verify": verify})).status


async def test_two_people_sharing_an_email_stay_two_people(client, auth):
    first = await put(
        client,
        auth,
        "H12-261130-0301",
        {"full_name": "Võ Thị Mai", "phone": "0905000111", "email": "giadinh@example.vn", "id_number": "001190000111"},
    )
    second = await put(
        client,
        auth,
        "H12-261130-0302",
        {"full_name": "Võ Văn Nam", "phone": "0905000222", "email": "giadinh@example.vn", "id_number": "001190000222"},
    )
    # The first dossier still opens with Mai's digits, and not with Nam's.
    assert await lookup(client, "H12-261130-0301", "0222") == 404
    assert await lookup(client, "H12-261130-0301", "0111") == 200
    assert first["applicant_id"] != second["applicant_id"]
    mai = await client.app[STORE].get_citizen(first["applicant_id"])
    assert (mai.full_name, mai.phone, mai.id_number) == ("Võ Thị Mai", "+84905000111", "001190000111")


async def test_the_same_email_without_id_numbers_does_not_merge_different_names(client, auth):
    first = await put(client, auth, "H12-261130-0303", {"full_name": "Đỗ Văn Hải", "email": "chung@example.vn"})
    second = await put(
        client, auth, "H12-261130-0304", {"full_name": "Đỗ Thị Hà", "email": "chung@example.vn", "phone": "0905000333"}
    )
    assert first["applicant_id"] != second["applicant_id"]
    hai = await client.app[STORE].get_citizen(first["applicant_id"])
    assert (hai.full_name, hai.phone) == ("Đỗ Văn Hải", None)
    # The same person again (same name, same email) is found, whatever the case of the name.
    again = await put(client, auth, "H12-261130-0305", {"full_name": "đỗ văn  hải", "email": "chung@example.vn"})
    assert again["applicant_id"] == first["applicant_id"]


@pytest.mark.parametrize("son_has_id", [False, True])
async def test_a_mother_and_her_son_on_one_phone(client, auth, son_has_id):
    mother = await put(
        client,
        auth,
        "H12-261130-0401",
        {
            "full_name": "Trần Thị Bình",
            "phone": "0913000901",
            "preferred_channels": ["email"],
            "email": "binh.me@example.vn",
            "consents": [{"channel": "email", "granted": True}],
        },
    )
    son_data = {"full_name": "Nguyễn Văn Bình", "phone": "0913000901"}
    if son_has_id:
        son_data["id_number"] = "001200000901"
    son = await put(client, auth, "H12-261130-0402", son_data)

    # Later notices about the mother's dossier still greet her.
    event = {"event_id": "m1", "status": "received", "at": "2026-11-21T09:00:00+07:00", "actor": "Một cửa"}
    assert (await client.post("/api/v1/dossiers/H12-261130-0401/events", json=event, headers=auth)).status == 201
    await settle(client)
    mails = [r for r in await client.app[STORE].last_recorded(100) if r["address"] == "binh.me@example.vn"]
    about_hers = [m for m in mails if "H12-261130-0401" in m["body"]]
    assert len(about_hers) == 2  # registered, received
    assert all("Kính gửi Ông/Bà Trần Thị Bình," in m["body"] for m in about_hers)
    assert not any("H12-261130-0402" in m["body"] for m in mails)  # the son's dossier is not mailed to her

    assert son["applicant_id"] != mother["applicant_id"]
    record = await client.app[STORE].get_citizen(mother["applicant_id"])
    assert (record.full_name, record.email) == ("Trần Thị Bình", "binh.me@example.vn")
    assert await lookup(client, "H12-261130-0401", "0901") == 200


async def test_a_notice_greets_the_applicant_named_on_its_dossier(client, auth):
    """One person (one ID number) named differently on two dossiers: each
    dossier's notices greet the name on that dossier, and neither renames."""
    applicant = {
        "full_name": "Lý Thị Thu",
        "email": "thu@example.vn",
        "id_number": "001190000777",
        "preferred_channels": ["email"],
        "consents": [{"channel": "email", "granted": True}],
    }
    first = await put(client, auth, "H12-261130-0501", applicant)
    second = await put(client, auth, "H12-261130-0502", {**applicant, "full_name": "Lý Thu"})
    assert first["applicant_id"] == second["applicant_id"]
    assert (await client.app[STORE].get_citizen(first["applicant_id"])).full_name == "Lý Thị Thu"
    await settle(client)
    mails = [r for r in await client.app[STORE].last_recorded(100) if r["address"] == "thu@example.vn"]
    by_code = {code: [m for m in mails if code in m["body"]] for code in ("H12-261130-0501", "H12-261130-0502")}
    assert "Lý Thị Thu" in by_code["H12-261130-0501"][0]["body"]
    assert "Kính gửi Ông/Bà Lý Thu," in by_code["H12-261130-0502"][0]["body"]


async def test_a_withdrawal_from_the_shared_phone_stops_it_for_both(client, auth):
    sms = {"preferred_channels": ["sms"], "consents": [{"channel": "sms", "granted": True}]}
    mother = await put(client, auth, "H12-261130-0601", {"full_name": "Trần Thị Bình", "phone": "0913000902", **sms})
    son = await put(client, auth, "H12-261130-0602", {"full_name": "Nguyễn Văn Bình", "phone": "0913000902", **sms})
    withdrawn = await client.post(
        f"/api/v1/citizens/{son['applicant_id']}/consents",
        headers=auth,
        json={"channel": "sms", "granted": False, "via": "sms_keyword"},
    )
    assert withdrawn.status == 201
    for who in (mother, son):
        citizen = await client.app[STORE].get_citizen(who["applicant_id"])
        assert not citizen.consent_for(Channel.SMS)
