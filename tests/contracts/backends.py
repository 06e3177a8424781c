"""Every backend of each port that can run on this machine; the contract
suites parametrise over these. A MongoDB store joins STORE_BACKENDS as one
more entry (a factory from tmp_path to an unopened store); it is not listed
until it exists.

SQLite is one backend in two configurations: in memory it reads through its
writer connection (hub/store/sqlite/db.py), which a file never does."""

from __future__ import annotations

from hub.store.sqlite import SqliteStore


def sqlite_file(tmp_path):
    return SqliteStore(tmp_path / "store.sqlite3")


def sqlite_memory(tmp_path):
    return SqliteStore(":memory:")


STORE_BACKENDS = {"sqlite-file": sqlite_file, "sqlite-memory": sqlite_memory}
