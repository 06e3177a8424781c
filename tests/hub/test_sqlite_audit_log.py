"""The audit log is append-only in the database itself, not just in the port:
an UPDATE or DELETE by hand (or by a future bug) is refused by the triggers."""

from __future__ import annotations

import sqlite3

import pytest

from hub.store.port import AuditEntry
from hub.store.sqlite import SqliteStore
from tests.support.dossiers import T0


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET reason = 'đã sửa'", "DELETE FROM audit_log", "UPDATE audit_log SET actor = 'x'"]
)
async def test_rows_cannot_be_changed_or_removed(tmp_path, statement):
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    try:
        await store.append_audit(AuditEntry(actor="ag_1", action="view", object_type="dossier", object_id="D-1", at=T0))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with store.db.transaction() as db:
                await db.execute(statement)
        assert [e.reason for e in await store.audit_entries()] == [""]
    finally:
        await store.close()
