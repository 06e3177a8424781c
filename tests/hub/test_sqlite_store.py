"""What only the SQLite backend promises: a file that survives reopening."""

from hub.store.sqlite import SqliteStore
from tests.hub.test_store_contract import change, dossier
from models.dossier import DossierStatus as S


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
        assert rows[0][0] == (await store.readiness())["latest_migration"]
        mode = await store.db.reader.execute_fetchall("PRAGMA journal_mode")
        fk = await store.db.reader.execute_fetchall("PRAGMA foreign_keys")
        assert mode[0][0] == "wal" and fk[0][0] == 1
    finally:
        await store.close()
