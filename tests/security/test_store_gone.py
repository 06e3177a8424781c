"""Issue 10, item 11: the database files deleted or made read-only under a
running service. Before, writes answered 201 into an unlinked file (lost at
the next start, API keys with them) and /readyz said ready."""

from __future__ import annotations

import os
import stat

CODE = "000.00.21.H12-241105-0099"
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "applicant": {"full_name": "Nguyễn Văn An", "phone": "0912345678"},
}


def database_files(settings) -> list:
    path = settings.database_path
    return [p for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")) if p.exists()]


async def assert_refuses_writes(client, auth) -> None:
    ready = await client.get("/readyz")
    assert ready.status == 503
    state = await ready.json()
    assert state["status"] == "unavailable" and state["writable"] is False
    put = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
    assert put.status == 503
    body = await put.json()
    assert body["error"] == "service_unavailable" and "không lưu được" in body["message"]
    assert int(put.headers["Retry-After"]) > 0


async def test_a_store_whose_files_were_deleted_is_not_ready_and_refuses_writes(client, auth, settings):
    assert (await client.get("/readyz")).status == 200
    files = database_files(settings)
    assert settings.database_path in files
    for path in files:
        os.unlink(path)
    await assert_refuses_writes(client, auth)


async def test_a_store_made_read_only_is_not_ready_and_refuses_writes(client, auth, settings):
    assert (await client.get("/readyz")).status == 200
    first = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)
    assert first.status == 201
    settings.database_path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        await assert_refuses_writes(client, auth)
    finally:
        settings.database_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    # Writable again: the same store takes writes and readiness recovers.
    assert (await client.get("/readyz")).status == 200
    again = await client.post(
        f"/api/v1/dossiers/{CODE}/events",
        json={"event_id": "e1", "status": "received", "at": "2026-11-21T09:00:00+07:00", "actor": "Một cửa"},
        headers=auth,
    )
    assert again.status == 201


async def test_a_database_file_replaced_under_the_service_is_not_written(client, auth, settings):
    path = settings.database_path
    os.unlink(path)
    path.write_bytes(b"")  # someone "restores" an empty file under the same name
    await assert_refuses_writes(client, auth)
