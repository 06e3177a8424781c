"""Signing in to the help-center console: links, passwords, sessions on the
service's clock, lockout, and the audit rows each step leaves."""

from __future__ import annotations

import logging
from datetime import datetime

from hub.app import SERVICE
from hub.keys import STORE
from models.timeutil import VN_TZ
from tests.support.console import PASSWORD, csrf, new_agent, session_cookie, sign_in, token_of
from tests.support.served import served

DAY = datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ)
MINUTE = 60.0


async def actions(client, agent_id: str) -> list[str]:
    return [e.action for e in await client.app[STORE].audit_entries(object_type="agent", object_id=agent_id)]


async def test_sign_in_with_the_password_set_through_the_link(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        agent = await new_agent(client, email="An@Example.VN")
        response = await sign_in(client)  # the email as normalised, any case
        assert response.status == 303 and response.headers["Location"] == "/console"
        cookie = response.cookies["tongdai_console"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console"
        me = await (await client.get("/console/api/me")).json()
        assert (me["id"], me["email"], me["role"], me["team"]) == (agent.id, "an@example.vn", "agent", "Một cửa")
        page = await client.get("/console")
        assert page.status == 200 and "Nguyễn Văn An" in await page.text()
        assert await actions(client, agent.id) == ["agent.create", "agent.set_password", "login"]
        stored = (await client.app[STORE].get_agent(agent.id)).password_hash
        assert stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_a_wrong_password_is_refused_in_vietnamese_and_audited(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        agent = await new_agent(client)
        response = await sign_in(client, password="sai mật khẩu rồi")
        assert response.status == 401 and "Email hoặc mật khẩu không đúng" in await response.text()
        assert session_cookie(client) is None
        # An unknown email answers the same.
        unknown = await sign_in(client, email="ai@example.vn")
        assert unknown.status == 401 and "Email hoặc mật khẩu không đúng" in await unknown.text()
        assert (await client.get("/console/api/me")).status == 401
        assert await actions(client, agent.id) == ["agent.create", "agent.set_password", "login.failed"]


async def test_repeated_failures_lock_the_email_out_with_retry_after(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        await new_agent(client)
        for _ in range(5):  # lookup_max_failures
            assert (await sign_in(client, password="đoán thử mật khẩu")).status == 401
        locked = await sign_in(client)  # even the right password waits
        assert locked.status == 429 and int(locked.headers["Retry-After"]) > 0
        assert "Đăng nhập sai quá nhiều lần" in await locked.text()
        assert session_cookie(client) is None


async def test_a_disabled_agent_cannot_sign_in_and_loses_their_session(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        agent = await new_agent(client)
        assert (await sign_in(client)).status == 303
        await client.app[SERVICE].agents.disable(agent, "cli:test")
        assert (await client.get("/console/api/me")).status == 401
        assert (await sign_in(client)).status == 401


async def test_a_set_password_link_works_once(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, link = await client.app[SERVICE].agents.create("Bình", "binh@example.vn", "agent", None, "cli:test")
        path = f"/console/set-password/{token_of(link)}"
        page = await client.get(path)
        assert page.status == 200 and 'for="password"' in await page.text()
        short = await client.post(path, data={"password": "ngắn"})
        assert short.status == 422 and "ít nhất 12 ký tự" in await short.text()
        assert (await client.post(path, data={"password": PASSWORD})).status == 200
        again = await client.post(path, data={"password": "một mật khẩu khác nữa"})
        assert again.status == 410 and "đã được dùng" in await again.text()
        assert (await client.get(path)).status == 410
        assert (await sign_in(client, "binh@example.vn")).status == 303


async def test_a_set_password_link_expires(tmp_path):
    async with served(tmp_path, DAY) as (client, clock, _):
        _, link = await client.app[SERVICE].agents.create("Bình", "binh@example.vn", "agent", None, "cli:test")
        clock.advance(72 * 3600 + 1)  # console_set_password_hours
        response = await client.post(f"/console/set-password/{token_of(link)}", data={"password": PASSWORD})
        assert response.status == 410


async def test_a_reset_ends_sessions_and_the_earlier_link(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        agents = client.app[SERVICE].agents
        agent, first = await agents.create("Bình", "binh@example.vn", "agent", None, "cli:test")
        second = await agents.reset_password(agent, "cli:test")
        assert (
            await client.post(f"/console/set-password/{token_of(first)}", data={"password": PASSWORD})
        ).status == 410
        assert (
            await client.post(f"/console/set-password/{token_of(second)}", data={"password": PASSWORD})
        ).status == 200
        assert (await sign_in(client, "binh@example.vn")).status == 303
        await agents.reset_password(agent, "cli:test")
        assert (await client.get("/console/api/me")).status == 401


async def test_a_session_ends_after_30_idle_minutes(tmp_path):
    async with served(tmp_path, DAY) as (client, clock, _):
        await new_agent(client)
        await sign_in(client)
        for _ in range(3):  # each request moves the idle deadline on
            clock.advance(29 * MINUTE)
            assert (await client.get("/console/api/me")).status == 200
        clock.advance(31 * MINUTE)
        assert (await client.get("/console/api/me")).status == 401
        clock.advance(-31 * MINUTE)  # revoked when found idle: no way back
        assert (await client.get("/console/api/me")).status == 401


async def test_a_session_ends_12_hours_after_sign_in_however_busy(tmp_path):
    async with served(tmp_path, DAY) as (client, clock, _):
        await new_agent(client)
        await sign_in(client)
        for _ in range(24):
            clock.advance(29 * MINUTE)
            assert (await client.get("/console/api/me")).status == 200
        clock.advance(29 * MINUTE)  # 12 h 5 min after sign-in
        assert (await client.get("/console/api/me")).status == 401


async def test_timeouts_follow_the_settings(tmp_path):
    async with served(tmp_path, DAY, console_idle_minutes=5.0) as (client, clock, _):
        await new_agent(client)
        await sign_in(client)
        clock.advance(6 * MINUTE)
        assert (await client.get("/console/api/me")).status == 401


async def test_sign_in_gives_a_new_session_id_and_ends_the_one_it_replaces(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        await new_agent(client)
        await sign_in(client)
        first = session_cookie(client)
        await sign_in(client)
        second = session_cookie(client)
        assert first and second and first != second
        # The replaced id is dead: a value known before sign-in opens nothing.
        stale = await client.get("/console/api/me", cookies={"tongdai_console": first})
        assert stale.status == 401


async def test_a_planted_session_value_is_not_adopted(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        await new_agent(client)
        planted = "x" * 43
        client.session.cookie_jar.update_cookies({"tongdai_console": planted})
        issued = (await sign_in(client)).cookies["tongdai_console"].value
        assert issued and issued != planted
        assert (await client.get("/console/api/me", cookies={"tongdai_console": planted})).status == 401


async def test_logout_revokes_the_session_on_the_server(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        agent = await new_agent(client)
        await sign_in(client)
        value, token = session_cookie(client), await csrf(client)
        response = await client.post("/console/logout", data={"csrf_token": token}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/console/login"
        # Replaying the old cookie (a copy kept by someone else) opens nothing.
        replay = await client.get("/console/api/me", cookies={"tongdai_console": value})
        assert replay.status == 401
        assert (await actions(client, agent.id))[-1] == "logout"


async def test_a_page_without_a_session_redirects_to_the_sign_in_page(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        response = await client.get("/console", allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/console/login"
        login = await client.get("/console/login")
        text = await login.text()
        assert login.status == 200 and 'lang="vi"' in text
        assert '<label for="email">' in text and '<label for="password">' in text


async def test_no_password_or_token_reaches_the_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with served(tmp_path, DAY) as (client, _, _):
        agent, link = await client.app[SERVICE].agents.create("Bình", "binh@example.vn", "agent", None, "cli:test")
        await client.post(f"/console/set-password/{token_of(link)}", data={"password": PASSWORD})
        await sign_in(client, "binh@example.vn", "một lần gõ sai mật khẩu")
        await sign_in(client, "binh@example.vn")
        value, token = session_cookie(client), await csrf(client)
        await client.post("/console/logout", data={"csrf_token": token})
    secrets = [PASSWORD, "một lần gõ sai mật khẩu", token_of(link), value, token]
    # aiohttp's access log is off in `tongdai serve` (hub/cli.py); the test server keeps its own.
    ours = [r for r in caplog.records if not r.name.startswith("aiohttp.access")]
    assert any(getattr(r, "audit", None) == "console.login" for r in ours)
    for record in ours:
        text = record.getMessage() + repr(vars(record))
        assert not any(s and s in text for s in secrets), record.name
