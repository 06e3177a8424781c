"""Every store backend that can run here; contract suites parametrise over it.
A scale-out backend joins this list when it lands."""

from __future__ import annotations

from hub.store.sqlite import SqliteStore


def sqlite_file(tmp_path):
    return SqliteStore(tmp_path / "store.sqlite3")


def sqlite_memory(tmp_path):
    return SqliteStore(":memory:")


STORE_BACKENDS = {"sqlite-file": sqlite_file, "sqlite-memory": sqlite_memory}
