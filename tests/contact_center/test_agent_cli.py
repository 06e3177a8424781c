"""`tongdai agent` and `tongdai audit` as an operator runs them: the real
command in a process of its own, on the data directory a service then serves."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.settings import Settings
from tests.support.console import PASSWORD, sign_in, token_of
from tests.support.server import cli, run_cli


async def test_create_list_reset_disable_and_the_audit_trail(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    link = await cli(
        data,
        "agent",
        "create",
        "--name",
        "Lê Thị Cúc",
        "--email",
        "Cuc@Example.VN",
        "--role",
        "supervisor",
        "--team",
        "Một cửa",
    )
    assert link.startswith("http://127.0.0.1:8080/console/set-password/")
    listing = await cli(data, "agent", "list")
    assert "cuc@example.vn" in listing and "supervisor" in listing and "chưa đặt MK" in listing
    agent_id = listing.splitlines()[1].split()[0]

    # The service on the same data: the link sets the password, the agent signs in.
    async with TestClient(TestServer(await create_app(Settings(data_dir=data)))) as client:
        assert (await client.post(f"/console/set-password/{token_of(link)}", data={"password": PASSWORD})).status == 200
        assert (await sign_in(client, "cuc@example.vn")).status == 303

    fresh = await cli(data, "agent", "reset-password", "cuc@example.vn")
    assert fresh.startswith("http://") and fresh != link
    assert "đã khóa" in await cli(data, "agent", "disable", agent_id) + await cli(data, "agent", "list")

    trail = (await cli(data, "audit", "--object", f"agent:{agent_id}")).splitlines()
    actions = [line.split()[2] for line in trail]
    assert actions == ["agent.create", "agent.set_password", "login", "agent.reset_password", "agent.disable"]
    assert all(f"agent:{agent_id}" in line for line in trail)
    assert (await cli(data, "audit", "--agent", "cuc@example.vn", "-n", "1")).split()[2] == "login"
    assert await cli(data, "audit", "--since", "2999-01-01") == ""


async def test_refusals_say_why_in_vietnamese(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    code, _, err = await run_cli(
        data, "agent", "create", "--name", "X", "--email", "không-phải-email", "--role", "agent"
    )
    assert code == 2 and "email không hợp lệ" in err
    await cli(data, "agent", "create", "--name", "X", "--email", "x@example.vn", "--role", "agent")
    code, _, err = await run_cli(data, "agent", "create", "--name", "Y", "--email", "X@example.vn", "--role", "agent")
    assert code == 1 and "Đã có cán bộ dùng email" in err
    code, _, err = await run_cli(data, "agent", "disable", "ai@example.vn")
    assert code == 1 and "Không có cán bộ" in err
    code, _, err = await run_cli(data, "audit", "--since", "hôm qua")
    assert code != 0 and "--since" in err
