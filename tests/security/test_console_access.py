"""Every console route checks the session, the role and (when it changes
state) the CSRF token on the server; an agent cannot open another agent's
conversation; an API key and a console session open nothing of each
other's; every view of personal data leaves an audit row.

The routes come from the app's router, not from a list here: a console
route added later is checked without anyone remembering to add it."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from contact_center.audit import audit
from hub.app import PUBLIC_SCOPES
from hub.keys import STORE
from hub.store.port import InboundRecord
from models.citizen import Channel
from models.timeutil import VN_TZ
from tests.contact_center.test_console_queue import TEAM, agent_headers, post, queued
from tests.support.console import PASSWORD, csrf, new_agent, session_cookie, sign_in
from tests.support.served import PHONE_ONLY, served

DAY = datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ)
RANK = {"agent": 1, "supervisor": 2, "admin": 3}
SAFE = {"GET", "HEAD", "OPTIONS"}
# Readable without a key: probes, the description, and PUBLIC_SCOPES' routes.
API_OPEN = {"/api/v1/openapi.json"}


def console_routes(app) -> list[tuple[str, str, object]]:
    """(method, path, handler) of the console's routes that need a session:
    everything under /console but the public sign-in ones."""
    found = []
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method != "HEAD" and path.startswith("/console") and (route.method, path) not in PUBLIC_SCOPES:
            found.append((route.method, path, route.handler))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def role_of(handler) -> str:
    role = getattr(handler, "required_role", None)
    assert role in RANK, f"{handler!r} does not go through require(role)"
    return role


async def test_every_console_route_goes_through_require(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        routes = console_routes(client.app)
        assert len(routes) >= 25
        for _, _, handler in routes:
            role_of(handler)
        supervisor_only = {(m, p) for m, p, h in routes if role_of(h) == "supervisor"}
        assert {
            ("GET", "/console/api/audit"),
            ("POST", "/console/api/canned"),
            ("DELETE", "/console/api/canned/{canned_id}"),
            ("POST", "/console/api/citizens/merge"),
            ("POST", "/console/api/citizens/merges/{merge_id}/undo"),
            ("GET", "/console/audit"),
        } <= supervisor_only


async def test_without_a_session_every_console_route_refuses(tmp_path):
    async with served(tmp_path, DAY) as (client, _, auth):
        routes = console_routes(client.app)
        assert ("GET", "/console/api/me") in {(m, p) for m, p, _ in routes}
        assert ("GET", "/console/api/live") in {(m, p) for m, p, _ in routes}
        # No cookie at all, and the one-stop-shop's API key: neither is a session.
        for headers in ({}, auth):
            for method, path, _ in routes:
                response = await client.request(method, concrete(path), headers=headers, allow_redirects=False)
                if path.startswith("/console/api/"):
                    body = await response.json()
                    assert (response.status, body["error"]) == (401, "unauthorized"), path
                    assert "đăng nhập" in body["message"]
                else:
                    assert response.status == 303 and response.headers["Location"] == "/console/login", path


async def test_a_lesser_role_gets_403_on_every_route_above_it(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, agent = await agent_headers(client, "an@example.vn", role="agent")
        _, supervisor = await agent_headers(client, "sup@example.vn", role="supervisor")
        by_role = {"agent": agent, "supervisor": supervisor}
        checked = 0
        for method, path, handler in console_routes(client.app):
            needed = RANK[role_of(handler)]
            for role, headers in by_role.items():
                if RANK[role] >= needed:
                    continue
                response = await client.request(method, concrete(path), headers=headers, allow_redirects=False)
                assert response.status == 403, (role, method, path)
                if path.startswith("/console/api/"):
                    assert "không có quyền" in (await response.json())["message"]
                checked += 1
        assert checked >= 5


async def test_every_write_without_the_csrf_token_is_refused(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, admin = await agent_headers(client, "admin@example.vn", role="admin")
        writes = [(m, p) for m, p, _ in console_routes(client.app) if m not in SAFE]
        assert len(writes) >= 15
        for token in (None, "", "0" * 64):
            headers = {"Cookie": admin["Cookie"]} | ({} if token is None else {"X-CSRF-Token": token})
            for method, path in writes:
                response = await client.request(method, concrete(path), json={}, headers=headers, allow_redirects=False)
                assert response.status == 403, (method, path, token)
                assert "CSRF" in await response.text(), path
        # And with it, the write gets past the check (to its own 404/422).
        response = await client.post("/console/api/conversations/x/claim", headers=admin)
        assert response.status == 404


@pytest.mark.parametrize("token", [None, "", "0" * 64])
async def test_sign_out_without_the_sessions_csrf_token_is_refused(tmp_path, token):
    async with served(tmp_path, DAY) as (client, _, _):
        await new_agent(client)
        await sign_in(client)
        data = {} if token is None else {"csrf_token": token}
        response = await client.post("/console/logout", data=data, allow_redirects=False)
        assert response.status == 403 and "CSRF" in await response.text()
        assert (await client.get("/console/api/me")).status == 200  # not logged out


async def test_the_csrf_token_works_in_the_header_and_not_across_sessions(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        await new_agent(client, "an@example.vn")
        await new_agent(client, "binh@example.vn")
        await sign_in(client, "an@example.vn")
        ans = await csrf(client)
        await sign_in(client, "binh@example.vn")
        refused = await client.post("/console/logout", headers={"X-CSRF-Token": ans}, allow_redirects=False)
        assert refused.status == 403
        accepted = await client.post(
            "/console/logout", headers={"X-CSRF-Token": await csrf(client)}, allow_redirects=False
        )
        assert accepted.status == 303


async def test_an_agent_cannot_open_or_touch_another_agents_conversation(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn")
        _, binh = await agent_headers(client, "binh@example.vn")
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        cid = await queued(client, team=TEAM)
        assert (await post(client, an, f"/console/api/conversations/{cid}/claim")).status == 200
        base = f"/console/api/conversations/{cid}"
        for path in (base, base + "/citizen"):
            refused = await client.get(path, headers=binh)
            assert refused.status == 403, path
            assert "cán bộ khác" in (await refused.json())["message"]
        for action, body in (
            ("claim", {}),
            ("assign", {"agent_id": "x"}),
            ("reply", {"text": "Tôi trả lời thay"}),
            ("notes", {"text": "ghi chú"}),
            ("status", {"status": "resolved"}),
            ("handback", {}),
            ("labels", {"labels": ["x"]}),
            ("priority", {"priority": 2}),
        ):
            assert (await post(client, binh, f"{base}/{action}", body)).status == 403, action
        render = await post(client, binh, "/console/api/canned/x/render", {"conversation_id": cid})
        assert render.status in (403, 404)
        # Not a trace of it in Bình's queue; the holder and a supervisor open it.
        queue = await (await client.get("/console/api/queue", params={"view": "team"}, headers=binh)).json()
        assert cid not in {i["conversation_id"] for i in queue["items"]}
        assert (await client.get(base, headers=an)).status == 200
        assert (await client.get(base, headers=sup)).status == 200
        viewers = [
            e.actor for e in await client.app[STORE].audit_entries(object_id=cid, limit=50) if e.action == "view"
        ]
        assert len(viewers) == 2  # Bình's refused attempts read nothing and leave no view row


async def test_a_session_opens_nothing_under_api(tmp_path):
    async with served(tmp_path, DAY) as (client, _, auth):
        assert (await client.get("/api/v1/escalations", headers=auth)).status == 200
        await new_agent(client, role="admin")
        await sign_in(client)
        cookie = {"Cookie": f"tongdai_console={session_cookie(client)}"}
        client.session.cookie_jar.clear()
        for route in client.app.router.routes():
            path = route.resource.canonical if route.resource is not None else ""
            if route.method == "HEAD" or not path.startswith("/api/") or path in API_OPEN:
                continue
            if (route.method, path) in PUBLIC_SCOPES:
                continue
            response = await client.request(route.method, concrete(path), headers=cookie, json={})
            assert response.status == 401, (route.method, path)


async def test_every_view_of_personal_data_leaves_an_audit_row(tmp_path):
    async with served(tmp_path, DAY) as (client, _, auth):
        code = "BD-261201-0001"
        assert (await client.put(f"/api/v1/dossiers/{code}", json=PHONE_ONLY, headers=auth)).status == 201
        store = client.app[STORE]
        dossier = await store.get_dossier(code)
        inbound = await store.add_inbound(
            InboundRecord(
                Channel.SMS,
                "+84913000901",
                "Hồ sơ của tôi thế nào?",
                "sms-1",
                citizen_id=dossier.applicant_id,
                dossier_code=code,
            ),
            lambda cid: [],
        )
        cid = inbound.conversation_id
        await store.escalate(cid, "request_human")
        an, an_h = await agent_headers(client, "an@example.vn")
        # A search result is no view; opening it is.
        page = await (
            await client.get("/console/api/queue", params={"view": "unassigned", "q": "0901"}, headers=an_h)
        ).json()
        assert cid in {i["conversation_id"] for i in page["items"]}
        assert [e for e in await store.audit_entries(actor=an.id) if e.action == "view"] == []

        assert (
            await client.get(f"/console/api/conversations/{cid}", params={"reason": "công dân gọi lại"}, headers=an_h)
        ).status == 200
        panel = await client.get(f"/console/api/conversations/{cid}/citizen", headers=an_h)
        assert panel.status == 200, await panel.text()
        shown = await panel.json()
        assert "viewed" not in shown and "0913000901" not in await panel.text()
        views = [
            (e.object_type, e.object_id, e.reason) for e in await store.audit_entries(actor=an.id) if e.action == "view"
        ]
        assert views == [
            ("conversation", cid, "công dân gọi lại"),
            ("citizen", dossier.applicant_id, f"handling conversation {cid}"),
            ("dossier", code, f"handling conversation {cid}"),
        ]
        bad = await client.get(f"/console/api/conversations/{cid}", params={"reason": "x\x1b"}, headers=an_h)
        assert bad.status == 422 and (await bad.json())["field"] == "reason"


async def test_the_sign_in_page_is_rate_limited_per_address(tmp_path):
    from hub.api.ratelimit import DEFAULT_RATES

    allowed, _ = DEFAULT_RATES["console_login"]
    async with served(tmp_path, DAY) as (client, _, _):
        statuses = [(await client.get("/console/login")).status for _ in range(allowed + 1)]
        assert statuses[:allowed] == [200] * allowed and statuses[-1] == 429
        assert (await client.post("/console/login", data={"email": "a@example.vn", "password": "x"})).status == 429


async def test_sign_in_forms_posted_from_another_site_are_refused(tmp_path):
    async with served(tmp_path, DAY, public_url="https://tongdai.example.gov.vn") as (client, _, _):
        await new_agent(client)
        evil = {"Origin": "https://evil.example"}
        response = await sign_in_from(client, evil)
        assert response.status == 403 and "chính trang của Tổng đài" in await response.text()
        assert session_cookie(client) is None
        assert (await client.post("/console/set-password/x", data={"password": "y" * 12}, headers=evil)).status == 403
        # The service's own page, through its public address or directly.
        assert (await sign_in_from(client, {"Origin": "https://tongdai.example.gov.vn"})).status == 303
        assert (await sign_in_from(client, {"Origin": f"http://{client.host}:{client.port}"})).status == 303


async def sign_in_from(client, headers: dict):
    return await client.post(
        "/console/login", data={"email": "an@example.vn", "password": PASSWORD}, headers=headers, allow_redirects=False
    )


async def test_exporting_the_audit_log_is_itself_audited_and_safe_to_open_in_a_spreadsheet(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        sup, sup_h = await agent_headers(client, "sup@example.vn", role="supervisor")
        store = client.app[STORE]
        await audit(store, sup.id, "view", "citizen", "ci_1", '=HYPERLINK("http://x")', clock=lambda: 0.0)
        response = await client.get(
            "/console/api/audit", params={"format": "csv", "object_type": "citizen"}, headers=sup_h
        )
        assert response.status == 200 and response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        lines = (await response.read()).decode("utf-8-sig").splitlines()
        assert lines[0] == "id,at,agent,action,object_type,object_id,reason"
        assert len(lines) == 2 and "'=HYPERLINK" in lines[1]  # a formula stays text
        exports = [e for e in await store.audit_entries(actor=sup.id) if e.action == "audit.export"]
        assert [(e.object_type, e.reason) for e in exports] == [("audit_log", "object_type=citizen")]
        _, agent_h = await agent_headers(client, "an@example.vn")
        assert (await client.get("/console/api/audit", params={"format": "csv"}, headers=agent_h)).status == 403
