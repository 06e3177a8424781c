"""Console accounts for tests: an agent created the way `tongdai agent create`
does, its password set through its link, signed in over HTTP."""

from __future__ import annotations

from hub.app import SERVICE

PASSWORD = "mật khẩu đủ dài 2026"


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


async def new_agent(client, email: str = "an@example.vn", role: str = "agent", password: str = PASSWORD):
    """The agent, its password set through its one-time link."""
    agent, link = await client.app[SERVICE].agents.create("Nguyễn Văn An", email, role, "Một cửa", "cli:test")
    response = await client.post(f"/console/set-password/{token_of(link)}", data={"password": password})
    assert response.status == 200, await response.text()
    return agent


async def sign_in(client, email: str = "an@example.vn", password: str = PASSWORD):
    return await client.post("/console/login", data={"email": email, "password": password}, allow_redirects=False)


def session_cookie(client) -> str | None:
    for cookie in client.session.cookie_jar:
        if cookie.key == "tongdai_console":
            return cookie.value
    return None


async def csrf(client) -> str:
    response = await client.get("/console/api/me")
    assert response.status == 200
    return (await response.json())["csrf_token"]
