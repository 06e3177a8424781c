"""Issue 10, item 12: the database (every citizen's personal data) was
created 0644 in a 0755 directory, and an API key could not be listed,
revoked or rotated. Modes are checked on a running service; keys are handled
through the real `tongdai` command against a real `tongdai serve`."""

from __future__ import annotations

import json
import sqlite3
import stat

import aiohttp

from tests.support.server import cli, free_port, run_cli, serve
from tests.support.waiting import eventually

DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "applicant": {"full_name": "Nguyễn Văn An", "phone": "0912345678"},
}


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_running_service_keeps_its_data_owner_only(client, settings):
    data_dir = settings.data_dir
    db = settings.database_path
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), data_dir / "secret_key"]
    assert all(path.exists() for path in files)
    assert mode(data_dir) == 0o700
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}


async def test_files_left_readable_by_an_older_version_are_made_private(tmp_path):
    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    db = data_dir / "tongdai.sqlite3"
    sqlite3.connect(db).close()
    db.chmod(0o644)
    await cli(data_dir, "apikey", "list")
    assert mode(data_dir) == 0o700 and mode(db) == 0o600


def audit_lines(stderr: str) -> list[dict]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("audit")]


async def test_list_revoke_rotate_through_the_cli_and_a_revoked_key_is_refused(tmp_path):
    data_dir = tmp_path / "data"
    one_stop = await cli(data_dir, "apikey", "create", "--name", "one-stop-shop")
    portal = await cli(data_dir, "apikey", "create", "--name", "portal")
    port = free_port()
    server = await serve(data_dir, port)
    base = f"http://127.0.0.1:{port}/api/v1/dossiers"

    async def status_with(http, key: str, code: str) -> int:
        async with http.put(f"{base}/{code}", json=DOSSIER, headers={"Authorization": f"Bearer {key}"}) as r:
            return r.status

    try:
        async with aiohttp.ClientSession() as http:
            assert await status_with(http, one_stop, "KEY-1") == 201
            assert await status_with(http, portal, "KEY-2") == 201

            listing = await cli(data_dir, "apikey", "list")
            assert "one-stop-shop" in listing and "portal" in listing
            assert one_stop not in listing and portal not in listing  # never the secret
            [portal_id] = [line.split()[0] for line in listing.splitlines() if "portal" in line]

            code, out, err = await run_cli(data_dir, "apikey", "revoke", portal_id)
            assert code == 0 and "portal" in out
            [revoked] = audit_lines(err)
            assert revoked["audit"] == "apikey.revoke" and revoked["key_id"] == int(portal_id)
            assert revoked["actor"].startswith("cli:") and revoked["ts"]
            # The server may hold a key it checked a moment ago for a few seconds, no longer.
            assert await eventually(lambda: _is(status_with(http, portal, "KEY-3"), 401), within=15, interval=0.2)

            code, new_key, err = await run_cli(data_dir, "apikey", "rotate", "one-stop-shop")
            new_key = new_key.strip()
            assert code == 0 and new_key.startswith("tdk_") and new_key != one_stop
            [rotated] = audit_lines(err)
            assert rotated["audit"] == "apikey.rotate" and rotated["key_name"] == "one-stop-shop"
            assert len(rotated["replaced"]) == 1 and rotated["key_id"] not in rotated["replaced"]
            assert await eventually(lambda: _is(status_with(http, one_stop, "KEY-4"), 401), within=15, interval=0.2)
            assert await status_with(http, new_key, "KEY-5") == 201

            after = await cli(data_dir, "apikey", "list")
            revoked_rows = [line for line in after.splitlines()[1:] if not line.rstrip().endswith("-")]
            assert len(revoked_rows) == 2  # portal and the old one-stop-shop key carry a revocation time
            assert (await run_cli(data_dir, "apikey", "revoke", "no-such-key"))[0] == 1
            assert (await run_cli(data_dir, "apikey", "rotate", "portal"))[0] == 1  # nothing live to rotate
    finally:
        server.terminate()
        await server.wait()

    with sqlite3.connect(data_dir / "tongdai.sqlite3") as db:
        actions = [row[0] for row in db.execute("SELECT action FROM api_key_audit ORDER BY id")]
    assert actions == ["create", "create", "revoke", "revoke", "rotate"]


async def _is(status, expected: int) -> bool:
    return await status == expected
