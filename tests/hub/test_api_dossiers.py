"""The dossier API through aiohttp's test client: every status code it promises."""

from __future__ import annotations

import pytest

from hub.keys import LOOKUP_GUARD

CODE = "000.00.21.H12-241105-0012"
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "due_at": "2026-11-25T17:00:00",
    "applicant": {"full_name": "Nguyễn Văn An", "phone": "0912345678", "email": "An.Nguyen@Example.vn"},
}


def event(event_id="e1", status="received", **extra):
    body = {
        "event_id": event_id,
        "status": status,
        "at": "2026-11-21T09:00:00+07:00",
        "actor": "Bộ phận một cửa",
        "note": "Đã nhận đủ giấy tờ",
    }
    body.update(extra)
    return body


@pytest.fixture
async def created(client, auth):
    response = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
    assert response.status == 201
    return await response.json()


async def test_put_creates_then_updates(client, auth, created):
    assert created["status"] == "submitted" and created["status_label"] == "Mới đăng ký"
    assert created["due_at"] == "2026-11-25T17:00:00+07:00"  # no offset means Vietnam time
    again = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
    assert again.status == 200


async def test_writes_need_a_valid_key(client, auth):
    for headers in ({}, {"Authorization": "Bearer tdk_wrong"}, {"Authorization": "Basic abc"}):
        put = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=headers)
        post = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(), headers=headers)
        assert put.status == post.status == 401
        assert (await put.json())["error"] == "unauthorized"
        assert put.headers["WWW-Authenticate"] == "Bearer"


async def test_status_change_is_idempotent_on_event_id(client, auth, created):
    first = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(), headers=auth)
    assert first.status == 201
    body = await first.json()
    assert body["previous_status"] == "submitted" and body["status_label"] == "Đã tiếp nhận"
    repeat = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(), headers=auth)
    assert repeat.status == 201 and await repeat.json() == body
    assert repeat.headers["Idempotent-Replayed"] == "true"
    view = await (await client.get(f"/api/v1/dossiers/{CODE}?verify=5678")).json()
    assert [e["status"] for e in view["timeline"]] == ["received"]


async def test_national_portal_codes_are_understood(client, auth, created):
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(status=2), headers=auth)
    assert response.status == 201 and (await response.json())["status"] == "received"


async def test_illegal_transition_is_409_with_the_legal_moves(client, auth, created):
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(status="returned"), headers=auth)
    assert response.status == 409
    body = await response.json()
    assert body["current_status"] == "submitted" and "received" in body["allowed_next"]
    assert "Mới đăng ký" in body["message"]


async def test_event_id_reused_for_something_else_is_409(client, auth, created):
    await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(), headers=auth)
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(status="in_progress"), headers=auth)
    assert response.status == 409 and (await response.json())["field"] == "event_id"


async def test_unknown_dossier_is_404(client, auth):
    response = await client.post("/api/v1/dossiers/NOPE-1/events", json=event(), headers=auth)
    assert response.status == 404 and (await response.json())["error"] == "not_found"


@pytest.mark.parametrize(
    "body,field",
    [
        (event(status="bogus"), "status"),
        (event(status=42), "status"),
        ({k: v for k, v in event().items() if k != "status"}, "status"),
        ({k: v for k, v in event().items() if k != "event_id"}, "event_id"),
        (event(event_id=""), "event_id"),
        (event(event_id=7), "event_id"),
        (event(at="hôm qua"), "at"),
        (event(at=None), "at"),
        (event(due_at="31/12/2026"), "due_at"),
        (event(actor=None), "actor"),
        (event(note=["a"]), "note"),
        ([1, 2], "body"),
        ("not json", "body"),
    ],
)
async def test_malformed_event_is_422_naming_the_field(client, auth, created, body, field):
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", headers=auth, **kwargs)
    assert response.status == 422
    payload = await response.json()
    assert payload["field"] == field and payload["message"]


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"procedure": None}, "procedure"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"applicant": None}, "applicant"),
        ({"applicant": {"phone": "0912345678"}}, "applicant.full_name"),
        ({"applicant": {"full_name": "A", "phone": "12345"}}, "applicant.phone"),
        ({"applicant": {"full_name": "A", "email": "no-at-sign"}}, "applicant.email"),
        ({"applicant": {"full_name": "A", "id_number": "12ab"}}, "applicant.id_number"),
        ({"applicant": {"full_name": "A", "preferred_channels": ["fax"]}}, "applicant.preferred_channels"),
        ({"applicant": {"full_name": "A", "consents": [{"channel": "sms"}]}}, "applicant.consents.granted"),
        ({"status": "bogus"}, "status"),
    ],
)
async def test_malformed_dossier_is_422_naming_the_field(client, auth, patch, field):
    response = await client.put(f"/api/v1/dossiers/{CODE}", json={**DOSSIER, **patch}, headers=auth)
    assert response.status == 422
    assert (await response.json())["field"] == field


async def test_bad_code_in_path_is_422(client, auth):
    response = await client.put("/api/v1/dossiers/%20bad%20code", json=DOSSIER, headers=auth)
    assert response.status == 422 and (await response.json())["field"] == "code"


async def test_put_cannot_change_status(client, auth, created):
    response = await client.put(f"/api/v1/dossiers/{CODE}", json={**DOSSIER, "status": "returned"}, headers=auth)
    assert response.status == 409


async def test_oversized_body_is_413(client, auth, created):
    big = event(note="x" * (1024 * 1024 + 10))
    response = await client.post(f"/api/v1/dossiers/{CODE}/events", json=big, headers=auth)
    assert response.status == 413 and (await response.json())["error"] == "payload_too_large"


async def test_wrong_method_is_405_json(client):
    response = await client.delete(f"/api/v1/dossiers/{CODE}")
    assert response.status == 405 and "PUT" in response.headers["Allow"]
    assert (await response.json())["error"] == "method_not_allowed"


async def test_unknown_path_is_404_json(client):
    response = await client.get("/api/v2/nothing")
    assert response.status == 404 and (await response.json())["error"] == "not_found"


async def test_public_view_is_masked_and_says_overdue(client, auth, created):
    await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(), headers=auth)
    response = await client.get(f"/api/v1/dossiers/{CODE}?verify=5678")
    assert response.status == 200
    view = await response.json()
    assert view["applicant"] == "N*** V*** A"
    assert view["status_label"] == "Đã tiếp nhận"
    assert view["overdue"] is True and view["display_status"] == "Đã tiếp nhận (Quá hạn)"
    assert view["due_at_display"] == "25/11/2026 17:00"
    assert view["timeline"][0]["at_display"] == "21/11/2026 09:00"
    text = await response.text()
    for secret in ("0912345678", "5678", "an.nguyen", "Nguyễn", "actor", "applicant_id"):
        assert secret not in text.replace(f'"{CODE}"', "")


async def test_wrong_code_and_wrong_digits_look_the_same(client, auth, created):
    wrong_digits = await client.get(f"/api/v1/dossiers/{CODE}?verify=0000")
    wrong_code = await client.get("/api/v1/dossiers/H12-0000?verify=5678")
    assert wrong_digits.status == wrong_code.status == 404
    assert await wrong_digits.json() == await wrong_code.json()


async def test_verify_must_be_four_digits(client, created):
    for query in ("", "?verify=12", "?verify=abcd", "?verify=12345"):
        response = await client.get(f"/api/v1/dossiers/{CODE}{query}")
        assert response.status == 422 and (await response.json())["field"] == "verify"


async def test_five_failures_from_one_address_then_429(client, auth, created):
    for n in range(5):
        assert (await client.get(f"/api/v1/dossiers/OTHER-{n}?verify=1111")).status == 404
    blocked = await client.get(f"/api/v1/dossiers/{CODE}?verify=5678")  # even the right answer waits
    assert blocked.status == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 900
    assert (await blocked.json())["error"] == "too_many_requests"


async def test_the_per_code_limit_blocks_a_code_from_everywhere(client, auth, created, settings):
    guard = client.app[LOOKUP_GUARD]
    for n in range(settings.lookup_max_failures_per_code):
        assert (await client.get(f"/api/v1/dossiers/{CODE}?verify=5678")).status == 200
        guard.fail(f"addr:10.0.0.{n}", f"code:{CODE}")
    response = await client.get(f"/api/v1/dossiers/{CODE}?verify=5678")
    assert response.status == 429


async def test_limiter_window_slides():
    from hub.api.guard import FailureLimiter

    now = [1000.0]
    guard = FailureLimiter(limit=5, window=900, clock=lambda: now[0])
    for _ in range(5):
        now[0] += 10
        guard.fail("k")
    assert guard.retry_after("k") == 860  # the oldest failure leaves the window at 1010 + 900
    now[0] = 1010 + 900
    assert guard.retry_after("k") is None


async def test_ops_endpoints(client, auth, created):
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["ready"] is True
    await client.post(f"/api/v1/dossiers/{CODE}/events", json=event(), headers=auth)
    metrics = await client.get("/metrics")
    text = await metrics.text()
    assert metrics.status == 200 and metrics.headers["Content-Type"].startswith("text/plain")
    assert 'tongdai_http_requests_total{method="POST",route="/api/v1/dossiers/{code}/events",status="201"} 1.0' in text
    assert 'tongdai_dossier_status_changes_total{outcome="accepted"} 1.0' in text


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"received_at": "9999-12-31T23:59:59-12:00"}, "received_at"),
        ({"applicant": {"full_name": "A", "telegram_chat_id": 2**70}}, "applicant.telegram_chat_id"),
        ({"applicant": {"full_name": "A", "telegram_chat_id": True}}, "applicant.telegram_chat_id"),
        ({"applicant": {"full_name": 12}}, "applicant.full_name"),
        ({"applicant": {"full_name": "A", "consents": "yes"}}, "applicant.consents"),
    ],
)
async def test_edge_values_are_422_not_500(client, auth, patch, field):
    response = await client.put(f"/api/v1/dossiers/{CODE}", json={**DOSSIER, **patch}, headers=auth)
    assert response.status == 422 and (await response.json())["field"] == field


async def test_empty_optional_fields_mean_not_given(client, auth):
    blank = {"full_name": "Lê Văn C", "phone": "", "email": "", "id_number": ""}
    first = await client.put("/api/v1/dossiers/E-1", json={**DOSSIER, "applicant": blank}, headers=auth)
    second = await client.put(
        "/api/v1/dossiers/E-2", json={**DOSSIER, "applicant": {**blank, "full_name": "D"}}, headers=auth
    )
    assert first.status == second.status == 201
    assert (await first.json())["applicant_id"] != (await second.json())["applicant_id"]


async def test_the_public_lookup_normalises_the_code(client, auth):
    response = await client.put("/api/v1/dossiers/BD-261130-0606", json=DOSSIER, headers=auth)
    assert response.status == 201
    for typed in ("bd-261130-0606", "BD%E2%80%93261130%E2%80%930606"):  # lower case; en dashes
        found = await client.get(f"/api/v1/dossiers/{typed}?verify=5678")
        assert found.status == 200 and (await found.json())["code"] == "BD-261130-0606"
    # PUT keeps the API's own rule: a code it would not have accepted before is still 422.
    assert (
        await client.put("/api/v1/dossiers/BD%E2%80%93261130%E2%80%930606", json=DOSSIER, headers=auth)
    ).status == 422
