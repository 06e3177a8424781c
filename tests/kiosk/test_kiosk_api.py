"""The kiosk's API (issue 13, docs/KIOSK_WEBCHAT.md "Kiosk"): a key per
kiosk, lookups by code or receipt QR behind the one guard counted per kiosk,
questions to the assistant, a call-back in the console, following by SMS with
the code sent there, and ratings per kiosk."""

from __future__ import annotations

import json
import re

import pytest

from hub.app import SERVICE
from hub.keys import STORE
from hub.store.port import QueueQuery
from kiosk.accounts import KIOSKS
from tests.support.served import DAY, served, settle

CODE = "BD-261125-0042"
DIGITS = "0901"  # the applicant's phone ends so
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T09:55:00+07:00",
    "due_at": "2026-11-24T17:00:00+07:00",  # passed: the dossier is late
    "applicant": {"full_name": "Trần Thị Bình", "phone": "0913000901"},
}
SESSION = "visitor-0001abcd"


@pytest.fixture
async def kiosk(tmp_path):
    async with served(tmp_path, DAY) as (client, clock, auth):
        response = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
        assert response.status == 201
        supplement = {
            "event_id": "e1",
            "status": "supplement_requested",
            "at": "2026-11-21T09:00:00+07:00",
            "actor": "Một cửa",
            "note": "Cần bổ sung:\n- Bản sao CCCD của cha\n- Giấy chứng sinh",
        }
        response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=supplement, headers=auth)
        assert response.status == 201
        await settle(client)
        _, key = await client.app[KIOSKS].create("Quầy 3")
        yield client, {"Authorization": f"Kiosk {key}"}


async def lookup(client, headers, **body):
    return await client.post("/kiosk/api/lookup", json=body, headers=headers)


async def test_every_call_needs_a_live_kiosk_key(kiosk):
    client, headers = kiosk
    for method, path in (("GET", "/kiosk/api/config"), ("POST", "/kiosk/api/lookup"), ("POST", "/kiosk/api/rating")):
        for given in ({}, {"Authorization": "Kiosk tdq_wrong"}, {"Authorization": "Bearer x"}):
            response = await client.request(method, path, json={}, headers=given)
            assert response.status == 401
            assert "ki-ốt" in (await response.json())["message"].lower()
    config = await client.get("/kiosk/api/config", headers=headers)
    assert config.status == 200
    body = await config.json()
    assert body["idle_seconds"] == 60 and body["kiosk"]["name"] == "Quầy 3"

    [made] = await client.app[KIOSKS].listing()
    await client.app[KIOSKS].disable(made.id)
    refused = await client.get("/kiosk/api/config", headers=headers)
    assert refused.status == 401


async def test_the_idle_reset_is_a_setting(tmp_path):
    async with served(tmp_path, DAY, kiosk_idle_seconds=90) as (client, _, _auth):
        _, key = await client.app[KIOSKS].create("Quầy 1")
        body = await (await client.get("/kiosk/api/config", headers={"Authorization": f"Kiosk {key}"})).json()
        assert body["idle_seconds"] == 90


async def test_lookup_by_code_gives_the_screen_its_dossier(kiosk):
    client, headers = kiosk
    response = await lookup(client, headers, code="bd-261125-0042", digits=DIGITS)
    assert response.status == 200
    found = await response.json()
    assert found["code"] == CODE and found["status"] == "supplement_requested"
    assert found["status_label"] == "Yêu cầu bổ sung hồ sơ"
    assert found["applicant"] != "Trần Thị Bình" and found["applicant"].startswith("T")
    assert "Bình" not in json.dumps(found, ensure_ascii=False)
    assert found["supplement"] == ["Bản sao CCCD của cha", "Giấy chứng sinh"]
    assert [step["label"] for step in found["timeline"]] == ["Yêu cầu bổ sung hồ sơ"]
    assert found["overdue"] is not None and "xin lỗi" in found["overdue"]["apology"]
    assert found["overdue"]["new_due_at"] is None
    assert found["collect"]["where"] == "UBND phường Thạch Thang"


async def test_lookup_by_a_receipt_qr_payload(kiosk):
    client, headers = kiosk
    payloads = (
        json.dumps({"MaHoSo": CODE, "MaTTHC": "1.001234", "SoGiayTo": "001090012345", "HeThong": "MCĐT"}),
        f"MaHoSo={CODE}|MaTTHC=1.001234|CCCD=001090012345|NgayHen=2026-11-24",
        f"https://dichvucong.example.gov.vn/tra-cuu?mahoso={CODE}",
        CODE,
    )
    for payload in payloads:
        response = await lookup(client, headers, qr=payload, digits=DIGITS)
        assert response.status == 200, payload
        assert (await response.json())["code"] == CODE
    junk = await lookup(client, headers, qr="{not json", digits=DIGITS)
    assert junk.status == 422 and (await junk.json())["field"] == "qr"


async def test_wrong_digits_and_unknown_codes_are_the_same_answer(kiosk):
    client, headers = kiosk
    wrong = await lookup(client, headers, code=CODE, digits="1111")
    unknown = await lookup(client, headers, code="BD-261125-9999", digits=DIGITS)
    assert wrong.status == unknown.status == 404
    assert await wrong.json() == await unknown.json()


async def test_repeated_failures_lock_the_kiosk_not_its_neighbour(kiosk):
    client, headers = kiosk
    for n in range(20):  # TONGDAI_KIOSK_LOOKUP_MAX_FAILURES, each a different code
        response = await lookup(client, headers, code=f"BD-261125-{n:04d}", digits="1111")
        assert response.status == 404
    limited = await lookup(client, headers, code=CODE, digits=DIGITS)
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert re.search(r"Vui lòng thử lại sau \d+ phút", (await limited.json())["message"])

    _, other = await client.app[KIOSKS].create("Quầy 4")
    response = await lookup(client, {"Authorization": f"Kiosk {other}"}, code=CODE, digits=DIGITS)
    assert response.status == 200


async def test_a_question_is_answered_by_the_assistant(kiosk):
    client, headers = kiosk
    await client.app[SERVICE].engine.until_ready()
    body = {"session": SESSION, "text": "Làm căn cước công dân cần giấy tờ gì?", "client_id": "m1"}
    response = await client.post("/kiosk/api/messages", json=body, headers=headers)
    assert response.status == 200
    replies = (await response.json())["replies"]
    assert replies and all(r["text"] for r in replies)
    again = await client.post("/kiosk/api/messages", json=body, headers=headers)
    assert (await again.json())["replies"] == []  # the same client_id: a resend, not answered twice


async def test_a_callback_lands_in_the_console_queue_with_the_phone(kiosk):
    client, headers = kiosk
    body = {"session": SESSION, "phone": "0912 345 678", "note": "Tôi cần hỏi về hồ sơ đất"}
    response = await client.post("/kiosk/api/callback", json=body, headers=headers)
    assert response.status == 201 and (await response.json())["queued"] is True
    store = client.app[STORE]
    everyone = QueueQuery(viewer="ag_super", viewer_team=None, viewer_is_supervisor=True, view="all")
    [item] = [i for i in await store.queue(everyone, lambda channel, address: "***") if i.channel == "kiosk"]
    assert item.escalation_reason == "callback"
    assert item.last_text == "Tôi cần hỏi về hồ sơ đất"
    citizen = await store.get_citizen(item.citizen_id)
    assert citizen is not None and citizen.phone == "+84912345678"

    # Without a note, from another visitor: a second place in the queue, the request as its text.
    other = {"session": "visitor-0002abcd", "phone": "0912345679", "note": ""}
    assert (await client.post("/kiosk/api/callback", json=other, headers=headers)).status == 201
    texts = {i.last_text for i in await store.queue(everyone, lambda channel, address: "***") if i.channel == "kiosk"}
    assert texts == {"Tôi cần hỏi về hồ sơ đất", "Công dân nhờ cán bộ gọi lại."}

    bad = await client.post("/kiosk/api/callback", json={"session": SESSION, "phone": "12"}, headers=headers)
    assert bad.status == 422 and (await bad.json())["field"] == "phone"


async def test_follow_by_sms_with_the_code_sent_there(kiosk):
    client, headers = kiosk
    phone = "0912000077"
    asked = await client.post(
        "/kiosk/api/follow", json={"code": CODE, "digits": DIGITS, "phone": phone}, headers=headers
    )
    assert asked.status == 202
    request_id = (await asked.json())["request_id"]
    await settle(client)
    again = await client.post("/kiosk/api/follow", json={"qr": CODE, "digits": DIGITS, "phone": phone}, headers=headers)
    assert again.status == 202 and (await again.json())["request_id"] == request_id  # one request, one code
    [sms] = [r for r in await client.app[STORE].last_recorded(100) if r["address"] == "+84912000077"]
    otp = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    wrong = "000000" if otp != "000000" else "111111"
    refused = await client.post(
        "/kiosk/api/follow/confirm", json={"request_id": request_id, "otp": wrong}, headers=headers
    )
    assert refused.status == 422 and (await refused.json())["field"] == "otp"
    confirmed = await client.post(
        "/kiosk/api/follow/confirm", json={"request_id": request_id, "otp": otp}, headers=headers
    )
    assert confirmed.status == 200 and (await confirmed.json())["following"] is True
    unknown = await client.post("/kiosk/api/follow/confirm", json={"request_id": "nope", "otp": otp}, headers=headers)
    assert unknown.status == 404


async def test_a_rating_is_stored_per_kiosk_and_validated(kiosk):
    client, headers = kiosk
    for score in (5, 4):
        response = await client.post("/kiosk/api/rating", json={"score": score}, headers=headers)
        assert response.status == 201
    for junk in (0, 6, "5", True, None, 4.5):
        response = await client.post("/kiosk/api/rating", json={"score": junk}, headers=headers)
        assert response.status == 422, junk
    [made] = await client.app[KIOSKS].listing()
    ratings = await client.app[STORE].kiosk_ratings(made.id)
    assert ratings.count == 2 and ratings.average == 4.5 and ratings.scores == {5: 1, 4: 1}


async def test_no_server_error_on_junk(kiosk):
    client, headers = kiosk
    bodies = (
        b"",
        b"null",
        b"[]",
        b"{",
        json.dumps({"code": 12, "digits": 1234}).encode(),
        json.dumps({"qr": ["x"], "digits": "12\u0663\u0664"}).encode(),
        json.dumps({"code": "x" * 500, "digits": "1234"}).encode(),
        json.dumps({"session": "short", "text": "hi"}).encode(),
        json.dumps({"session": SESSION, "text": "", "client_id": "bad id!"}).encode(),
        json.dumps({"request_id": 5, "otp": "abc"}).encode(),
        json.dumps({"session": SESSION, "phone": {"a": 1}}).encode(),
        "\udcff".encode("utf-8", "surrogatepass"),
    )
    for path in (
        "/kiosk/api/lookup",
        "/kiosk/api/messages",
        "/kiosk/api/callback",
        "/kiosk/api/follow",
        "/kiosk/api/follow/confirm",
        "/kiosk/api/rating",
    ):
        for data in bodies:
            response = await client.post(path, data=data, headers={**headers, "Content-Type": "application/json"})
            assert 400 <= response.status < 500, (path, data, response.status)
    weird = await client.get("/kiosk/api/config", headers={"Authorization": "Kiosk \u00e9\u00e9"})
    assert weird.status == 401


async def test_a_late_dossier_given_a_new_date_shows_the_apology_and_the_date(kiosk):
    client, headers = kiosk
    auth = {"Authorization": f"Bearer {await client.app[SERVICE].api_keys.create('one-stop-shop-2')}"}
    moved = {
        "event_id": "e2",
        "status": "in_progress",
        "at": "2026-11-25T09:00:00+07:00",  # after the due date passed
        "actor": "Một cửa",
        "note": "",
        "due_at": "2026-12-02T17:00:00+07:00",
    }
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=moved, headers=auth)
    assert response.status == 201
    await settle(client)
    found = await (await lookup(client, headers, code=CODE, digits=DIGITS)).json()
    assert found["supplement"] is None and found["status_label"] == "Đang xử lý"
    assert found["overdue"]["new_due_at_display"] == "02/12/2026 17:00"
    assert "Ngày hẹn trả kết quả mới: 02/12/2026 17:00" in found["overdue"]["apology"]
    assert found["collect"] == {
        "method": "counter",
        "where": "UBND phường Thạch Thang",
        "when": "Từ ngày hẹn trả 02/12/2026 17:00",
    }


async def test_a_ready_result_says_where_and_when_to_collect(kiosk):
    client, headers = kiosk
    auth = {"Authorization": f"Bearer {await client.app[SERVICE].api_keys.create('one-stop-shop-2')}"}
    for event_id, status, extra in (
        ("e2", "in_progress", {}),
        ("e3", "result_ready", {"result": {"method": "counter", "place": "Quầy số 5", "hours": "7h30–11h30"}}),
    ):
        body = {"event_id": event_id, "status": status, "at": "2026-11-25T09:30:00+07:00", "actor": "Một cửa"}
        response = await client.post(f"/api/v1/dossiers/{CODE}/events", json={**body, **extra}, headers=auth)
        assert response.status == 201, await response.text()
    found = await (await lookup(client, headers, code=CODE, digits=DIGITS)).json()
    assert found["overdue"] is None  # done: the agency is no longer late
    assert found["collect"] == {"method": "counter", "where": "Quầy số 5", "when": "7h30–11h30"}
    assert [s["status"] for s in found["timeline"]] == ["supplement_requested", "in_progress", "result_ready"]
