"""Every console route checks the session, the role and (when it changes
state) the CSRF token on the server; an API key and a console session open
nothing of each other's."""

from __future__ import annotations

from datetime import datetime

import pytest

from hub.app import PUBLIC_SCOPES
from models.timeutil import VN_TZ
from tests.support.console import PASSWORD, csrf, new_agent, session_cookie, sign_in
from tests.support.served import served

DAY = datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ)
SUPERVISOR_ONLY = {("GET", "/console/api/agents"), ("GET", "/console/api/audit")}


def console_routes(app) -> list[tuple[str, str]]:
    """The console's routes that need a session: all under /console but the public sign-in ones."""
    found = []
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method != "HEAD" and path.startswith("/console") and (route.method, path) not in PUBLIC_SCOPES:
            found.append((route.method, path))
    return found


async def test_without_a_session_every_console_route_refuses(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        routes = console_routes(client.app)
        assert ("GET", "/console/api/me") in routes and ("POST", "/console/logout") in routes
        for method, path in routes:
            response = await client.request(method, path, allow_redirects=False)
            if path.startswith("/console/api/"):
                body = await response.json()
                assert (response.status, body["error"]) == (401, "unauthorized"), path
                assert "đăng nhập" in body["message"]
            else:
                assert response.status == 303 and response.headers["Location"] == "/console/login", path


async def test_an_agent_gets_403_from_supervisor_routes_and_a_supervisor_gets_through(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        await new_agent(client, "an@example.vn", role="agent")
        await new_agent(client, "binh@example.vn", role="supervisor")
        await sign_in(client, "an@example.vn")
        for method, path in SUPERVISOR_ONLY:
            response = await client.request(method, path)
            assert response.status == 403, path
            assert "không có quyền" in (await response.json())["message"]
        await sign_in(client, "binh@example.vn")
        for method, path in SUPERVISOR_ONLY:
            assert (await client.request(method, path)).status == 200, path
        audit = await (await client.get("/console/api/audit", params={"limit": "5"})).json()
        assert audit["entries"][-1]["action"] == "login"
        listed = await (await client.get("/console/api/agents")).json()
        assert {a["email"] for a in listed["agents"]} == {"an@example.vn", "binh@example.vn"}
        assert all("password" not in str(a) for a in listed["agents"])


@pytest.mark.parametrize("token", [None, "", "0" * 64])
async def test_a_state_change_without_the_sessions_csrf_token_is_refused(tmp_path, token):
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


async def test_an_api_key_opens_no_console_and_a_session_no_api(tmp_path):
    async with served(tmp_path, DAY) as (client, _, auth):
        assert (await client.get("/api/v1/escalations", headers=auth)).status == 200
        assert (await client.get("/console/api/me", headers=auth)).status == 401
        await new_agent(client, role="admin")
        await sign_in(client)
        cookie = {"Cookie": f"tongdai_console={session_cookie(client)}"}
        for path in ("/api/v1/escalations", "/api/v1/conversations", "/api/v1/notifications"):
            assert (await client.get(path, headers=cookie)).status == 401, path


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
