"""What only the SQLite backend promises: a file that survives reopening."""

import asyncio
import threading

import pytest

from hub.store.sqlite import SqliteStore
from hub.store.sqlite.db import migrations
from models.dossier import DossierStatus as S
from tests.support.dossiers import change, dossier


async def test_data_and_migrations_survive_reopen(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.upsert_dossier(dossier())
    await store.record_status_change(change("e1", S.RECEIVED))
    await store.close()

    store = SqliteStore(path)
    await store.open()
    try:
        assert (await store.get_dossier("H12-0001")).status is S.RECEIVED
        rows = await store.db.reader.execute_fetchall("SELECT count(*) FROM schema_migrations")
        assert rows[0][0] == len(migrations())  # numbers may leave gaps; every file is applied once
        mode = await store.db.reader.execute_fetchall("PRAGMA journal_mode")
        fk = await store.db.reader.execute_fetchall("PRAGMA foreign_keys")
        assert mode[0][0] == "wal" and fk[0][0] == 1
    finally:
        await store.close()


async def test_cancelled_while_committing_stays_a_cancellation(tmp_path):
    # The worker thread may finish COMMIT after the task was cancelled; the
    # rollback that follows finds no transaction. Were that error raised instead
    # of CancelledError, loops that log and go on would never stop.
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    writer = store.db.opened_writer()
    real_execute = writer.execute

    async def commit_then_cancelled(sql, *args):
        if sql != "COMMIT":
            return await real_execute(sql, *args)
        # Hold the worker thread so that COMMIT is queued but not yet run when
        # the cancellation arrives; the rollback queues behind it.
        gate = threading.Event()
        asyncio.ensure_future(writer.call(lambda conn: gate.wait()))
        asyncio.ensure_future(real_execute("COMMIT"))
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_later(0.05, gate.set)
        raise asyncio.CancelledError

    async def beat() -> None:
        async with store.db.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, 'then')")

    writer.execute = commit_then_cancelled  # type: ignore[method-assign]
    try:
        with pytest.raises(asyncio.CancelledError):
            await beat()
        writer.execute = real_execute  # type: ignore[method-assign]
        rows = await store.db.opened_reader().execute_fetchall("SELECT at FROM heartbeat")
        assert [r[0] for r in rows] == ["then"]  # the commit did happen
        await store.record_status_change(change("e1", S.RECEIVED))  # and the writer is usable
    finally:
        writer.execute = real_execute  # type: ignore[method-assign]
        await store.close()


async def test_a_write_cancelled_before_it_runs_still_runs_whole(tmp_path):
    # A one-hand-off write (Database.write) cancelled while it waits for the
    # writer's thread is not withdrawn: it runs whole (never half), its caller
    # hears CancelledError, and the writer goes on.
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    gate = threading.Event()
    held = asyncio.ensure_future(store.db.opened_writer().call(lambda conn: gate.wait()))
    try:
        upsert = asyncio.ensure_future(store.upsert_dossier(dossier()))
        await asyncio.sleep(0.05)
        upsert.cancel()
        gate.set()
        await held
        with pytest.raises(asyncio.CancelledError):
            await upsert
        for _ in range(100):  # the write is queued behind the gate, then runs
            if await store.get_dossier("H12-0001") is not None:
                break
            await asyncio.sleep(0.01)
        assert await store.get_dossier("H12-0001") is not None
        result = await store.upsert_dossier(dossier())
        assert not result.created
    finally:
        gate.set()
        await store.close()


async def test_a_store_function_that_awaits_more_than_its_statements_is_refused(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()

    async def sleeps_inside(db) -> None:
        await db.execute("INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, 'half')")
        await asyncio.sleep(0)  # gives way to the loop: there is none in the writer's thread

    try:
        with pytest.raises(RuntimeError, match="awaited something besides"):
            await store.db.write(sleeps_inside)
        assert not await store.db.opened_reader().execute_fetchall("SELECT at FROM heartbeat")  # rolled back
    finally:
        await store.close()
