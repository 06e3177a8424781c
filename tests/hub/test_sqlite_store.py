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
    real_execute = store.db.writer.execute

    async def commit_then_cancelled(sql, *args):
        if sql != "COMMIT":
            return await real_execute(sql, *args)
        # Hold the worker thread so that COMMIT is queued but not yet run when
        # the cancellation arrives; the rollback queues behind it.
        gate = threading.Event()
        asyncio.ensure_future(store.db.writer._execute(gate.wait))
        asyncio.ensure_future(real_execute("COMMIT"))
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_later(0.05, gate.set)
        raise asyncio.CancelledError

    store.db.writer.execute = commit_then_cancelled
    try:
        with pytest.raises(asyncio.CancelledError):
            await store.upsert_dossier(dossier())
        store.db.writer.execute = real_execute
        assert await store.get_dossier("H12-0001") is not None  # the commit did happen
        await store.record_status_change(change("e1", S.RECEIVED))  # and the writer is usable
    finally:
        store.db.writer.execute = real_execute
        await store.close()
