"""Connections, migrations and transactions for the SQLite backend."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

from models.timeutil import utcnow

log = logging.getLogger(__name__)


def migrations() -> list[tuple[int, str, str]]:
    """Numbered files NNNN_name.sql beside this module, in order."""
    found = []
    for entry in resources.files(__package__).iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One writer connection (SQLite allows one writer at a time anyway) behind
    an asyncio lock, and one reader connection that WAL lets run beside it."""

    def __init__(self, path: Path | str, synchronous: str = "FULL"):
        self.path = str(path)
        self.synchronous = synchronous
        self.writer: aiosqlite.Connection | None = None
        self.reader: aiosqlite.Connection | None = None
        self.write_lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []

    async def open(self) -> None:
        if self.path != ":memory:":
            await asyncio.to_thread(Path(self.path).parent.mkdir, parents=True, exist_ok=True)
        self.writer = await self._connect()
        await self.writer.execute("PRAGMA journal_mode=WAL")
        await self._migrate()
        # An in-memory database is private to its connection: read through the writer.
        self.reader = self.writer if self.path == ":memory:" else await self._connect()

    def opened_writer(self) -> aiosqlite.Connection:
        if self.writer is None:
            raise RuntimeError(f"database {self.path} is not open")
        return self.writer

    def opened_reader(self) -> aiosqlite.Connection:
        if self.reader is None:
            raise RuntimeError(f"database {self.path} is not open")
        return self.reader

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=10000")
        await conn.execute(f"PRAGMA synchronous={self.synchronous}")
        # Random hex keys touch pages all over the B-trees: 64 MiB of page cache
        # per connection instead of SQLite's 2 MiB.
        await conn.execute("PRAGMA cache_size=-65536")
        return conn

    async def close(self) -> None:
        for conn in {id(c): c for c in (self.reader, self.writer) if c is not None}.values():
            await conn.close()
        self.reader = self.writer = None

    async def _migrate(self) -> None:
        db = self.opened_writer()
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in await db.execute_fetchall("SELECT version FROM schema_migrations")}
        pending = [m for m in migrations() if m[0] not in applied]
        if not pending:
            return
        # A migration that rebuilds a table others refer to (SQLite cannot drop
        # a constraint otherwise) must run with foreign keys off, and is checked
        # for orphans before it commits (SQLite's own twelve-step procedure).
        await db.execute("PRAGMA foreign_keys=OFF")
        try:
            for version, name, sql in pending:
                try:
                    # executescript commits first, so the migration carries its own BEGIN.
                    await db.executescript(f"BEGIN IMMEDIATE;\n{sql}")
                    orphans = list(await db.execute_fetchall("PRAGMA foreign_key_check"))
                    if orphans:
                        raise RuntimeError(f"migration {name} leaves {len(orphans)} rows pointing nowhere")
                    await db.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, utcnow().isoformat())
                    )
                    await db.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.OperationalError):  # no transaction left to end
                        await db.execute("ROLLBACK")
                    raise
                log.info("migration applied", extra={"migration": name})
        finally:
            await db.execute("PRAGMA foreign_keys=ON")

    async def schema_version(self) -> int:
        rows = list(await self.opened_reader().execute_fetchall("SELECT max(version) FROM schema_migrations"))
        return rows[0][0] or 0

    def on_outbox_append(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def outbox_appended(self) -> None:
        for listener in self._listeners:
            listener()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.write_lock:
            writer = self.opened_writer()
            await writer.execute("BEGIN IMMEDIATE")
            try:
                yield writer
                await writer.execute("COMMIT")
            except BaseException:
                # Cancelled while COMMIT ran in the worker thread, the transaction
                # may be over by the time ROLLBACK reaches it: that must not
                # turn the cancellation into an error that callers swallow.
                with contextlib.suppress(sqlite3.OperationalError):
                    await writer.execute("ROLLBACK")
                raise


def placeholders(values) -> str:
    return ",".join("?" * len(values))
