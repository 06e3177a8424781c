"""Issue 10, item 1: following a dossier handed out other people's consent.

Only a code and four digits were needed (a citizen's own dossier will do) to
write a granted consent for any phone or email: a withdrawn SMS consent came
back on, and thirty strangers' mailboxes got every notice. Now a follow asked
for through the API sends a request to confirm and nothing else; the owner of
the address confirms (a code by SMS, a link by email); a withdrawal stands;
and the followers of a dossier are capped."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from hub.app import SERVICE
from hub.keys import BUS, STORE
from hub.settings import Settings
from models.citizen import Channel

CODE = "000.00.21.H12-261130-0101"
VERIFY = "4321"  # the applicant's phone ends so
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "due_at": "2099-11-25T17:00:00",
    "applicant": {
        "full_name": "Lê Thị Hoa",
        "phone": "0987654321",
        "preferred_channels": ["sms"],
        "consents": [{"channel": "sms", "granted": True}],
    },
}


@pytest.fixture
def settings(settings) -> Settings:
    # Thirty follows from one address would meet the followers' rate limit
    # (test_flooding.py attacks that); here the cap alone answers.
    return replace(settings, public_rate_limits="follow=1000/min")


async def settle(client):
    """Until the bus and the sender have nothing left to do now."""
    for _ in range(3):  # a send can publish, a publish can plan a send
        await client.app[BUS].wait_idle()
        await client.app[SERVICE].notifier.sender.wait_idle()


async def sent_to(client, address: str) -> list[dict]:
    return [r for r in await client.app[STORE].last_recorded(1000) if r["address"] == address]


async def status(client, auth, event_id: str, state: str) -> None:
    body = {"event_id": event_id, "status": state, "at": "2026-11-21T09:00:00+07:00", "actor": "Một cửa", "note": ""}
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=body, headers=auth)
    assert response.status == 201


def follow(client, **body):
    return client.post(f"/api/v1/dossiers/{CODE}/followers", json={"verify": VERIFY, **body})


@pytest.fixture
async def dossier(client, auth):
    response = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
    assert response.status == 201
    await settle(client)
    return await response.json()


async def test_a_follow_does_not_turn_a_withdrawn_sms_consent_back_on(client, auth, dossier):
    citizen = dossier["applicant_id"]
    withdrawn = await client.post(
        f"/api/v1/citizens/{citizen}/consents", headers=auth, json={"channel": "sms", "granted": False, "via": "sms"}
    )
    assert withdrawn.status == 201 and (await withdrawn.json())["current"]["sms"] is False
    before = len(await sent_to(client, "+84987654321"))

    # Anyone with the code and digits asks for notices at the phone that said HUY.
    response = await follow(client, channel="sms", phone="0987654321")
    assert response.status == 409
    assert "THEODOI" in (await response.json())["message"]

    ledger = await (await client.get(f"/api/v1/citizens/{citizen}/consents", headers=auth)).json()
    assert ledger["current"]["sms"] is False
    assert [r["via"] for r in ledger["ledger"]][-1] == "sms"  # nothing written after the withdrawal
    await status(client, auth, "e1", "received")
    await settle(client)
    assert len(await sent_to(client, "+84987654321")) == before  # not even a confirmation code


async def test_thirty_strangers_get_no_notices_and_at_most_the_cap_get_a_request(client, auth, dossier):
    strangers = [f"nguoi{i}@example.vn" for i in range(30)]
    answers = [await follow(client, channel="email", email=address) for address in strangers]
    statuses = [r.status for r in answers]
    cap = 5  # TONGDAI_MAX_FOLLOWERS by default
    assert statuses == [202] * cap + [409] * (30 - cap)
    first = await answers[0].json()
    assert first["following"] is False and first["confirmation"] == "email_link"
    assert f"đủ {cap} người theo dõi" in (await answers[-1].json())["message"]

    await status(client, auth, "e1", "received")
    await settle(client)
    for i, address in enumerate(strangers):
        mails = await sent_to(client, address)
        # The first five are asked to confirm, once; nobody is told about the dossier.
        assert len(mails) == (1 if i < cap else 0)
        assert all("Xác nhận" in m["subject"] and "/follow/" in m["body"] for m in mails)
        assert not any("tiếp nhận" in (m["subject"] or "") for m in mails)


async def test_a_wrong_code_counts_in_the_guard_and_ends_in_429(client, dossier):
    assert (await follow(client, channel="sms", phone="0912000001")).status == 202
    await settle(client)
    [sms] = await sent_to(client, "+84912000001")
    right = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    def confirm(otp):
        return client.post(
            f"/api/v1/dossiers/{CODE}/followers/confirm", json={"channel": "sms", "phone": "0912000001", "otp": otp}
        )

    limit = client.app[SERVICE].settings.lookup_max_failures
    for _ in range(limit):
        response = await confirm(wrong)
        assert response.status == 422 and (await response.json())["field"] == "otp"
    limited = await confirm(right)  # even the right code, once the guesses are spent
    assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0
    follower = await client.app[STORE].find_contact(Channel.SMS, "+84912000001")
    assert follower is not None
    citizen = await client.app[STORE].get_citizen(follower)
    assert citizen is not None and not citizen.consent_for(Channel.SMS)


async def test_confirmed_follows_receive_the_next_status_notice(client, auth, dossier):
    assert (await follow(client, channel="sms", phone="0912000002")).status == 202
    assert (await follow(client, channel="email", email="Con.Trai@Example.vn")).status == 202
    await settle(client)
    [sms] = await sent_to(client, "+84912000002")
    [mail] = await sent_to(client, "con.trai@example.vn")

    otp = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    confirmed = await client.post(
        f"/api/v1/dossiers/{CODE}/followers/confirm", json={"channel": "sms", "phone": "0912000002", "otp": otp}
    )
    assert confirmed.status == 200 and (await confirmed.json())["following"] is True

    path = re.search(r"https?://[^/\s]+(/follow/\S+)", mail["body"]).group(1)
    page = await client.get(path)  # a mail scanner opening the link confirms nothing
    assert page.status == 200 and "Xác nhận" in await page.text()
    follower = await client.app[STORE].find_contact(Channel.EMAIL, "con.trai@example.vn")
    assert not (await client.app[STORE].get_citizen(follower)).consent_for(Channel.EMAIL)
    done = await client.post(path)
    assert done.status == 200
    assert (await client.post(path)).status == 200  # a second click changes nothing
    forged = await client.post(path[:-3] + "xyz")
    assert forged.status == 404

    await status(client, auth, "e1", "received")
    await settle(client)
    # By SMS the notice may wait for the end of quiet hours: it is planned for the follower all the same.
    by_sms = await client.app[STORE].find_contact(Channel.SMS, "+84912000002")
    planned = await client.app[STORE].list_notifications(citizen=by_sms)
    assert sorted(n.purpose for n in planned) == ["dossier_status", "follow_confirmation"]
    assert all(n.status.value != "cancelled" for n in planned)
    mails = await sent_to(client, "con.trai@example.vn")
    assert len(mails) == 2 and CODE in mails[-1]["body"] and "Xác nhận" not in mails[-1]["subject"]
    ledger = await (await client.get(f"/api/v1/citizens/{follower}/consents", headers=auth)).json()
    assert [(r["channel"], r["granted"], r["via"]) for r in ledger["ledger"]] == [("email", True, "follow_confirmed")]


async def test_a_withdrawal_between_request_and_confirmation_wins(client, auth, dossier):
    assert (await follow(client, channel="sms", phone="0912000003")).status == 202
    await settle(client)
    [sms] = await sent_to(client, "+84912000003")
    follower = await client.app[STORE].find_contact(Channel.SMS, "+84912000003")
    withdrawn = await client.post(
        f"/api/v1/citizens/{follower}/consents", headers=auth, json={"channel": "sms", "granted": False}
    )
    assert withdrawn.status == 201
    otp = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    response = await client.post(
        f"/api/v1/dossiers/{CODE}/followers/confirm", json={"channel": "sms", "phone": "0912000003", "otp": otp}
    )
    assert response.status == 409
    ledger = await (await client.get(f"/api/v1/citizens/{follower}/consents", headers=auth)).json()
    assert ledger["current"]["sms"] is False


async def test_a_telegram_chat_cannot_be_followed_through_the_api(client, dossier):
    response = await follow(client, channel="telegram", telegram_chat_id=777000)
    assert response.status == 422
    body = await response.json()
    assert body["field"] == "channel" and "THEODOI" in body["message"]
    assert await client.app[STORE].find_contact(Channel.TELEGRAM, 777000) is None


async def test_asking_again_while_pending_sends_nothing_more(client, dossier):
    for _ in range(4):
        assert (await follow(client, channel="sms", phone="0912000004")).status == 202
    await settle(client)
    assert len(await sent_to(client, "+84912000004")) == 1
