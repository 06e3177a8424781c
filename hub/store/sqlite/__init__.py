"""SQLite backend of the store port: the embedded default (aiosqlite, WAL)."""

from hub.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
