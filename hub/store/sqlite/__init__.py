"""SQLite backend of the store port: the embedded default (sqlite3 in a thread of its own, WAL)."""

from hub.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
