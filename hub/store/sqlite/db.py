"""Connections, migrations and transactions for the SQLite backend."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, overload

from hub.store.sqlite.connection import Connection, run_inline
from models.errors import StoreUnavailable
from models.smstext import unaccent
from models.timeutil import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLite result codes (the low byte of an extended code) that say the store,
# not the statement, is the problem: nothing written now would be kept.
_UNAVAILABLE_CODES = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CORRUPT,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_NOTADB,
}
_FILE_MODE, _DIR_MODE = 0o600, 0o700  # the database holds every citizen's personal data


def _store_failure(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _UNAVAILABLE_CODES


def _prepare_files(path: Path) -> None:
    """Owner-only directory and files, before SQLite creates any: it gives the
    -wal and -shm files the database file's own mode."""
    directory = path.parent
    directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        # A data directory made by an older version (0755): it is the service's own.
        directory.chmod(_DIR_MODE)
        log.info("data directory made private", extra={"path": str(directory)})
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, _FILE_MODE))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(name.stat().st_mode) != _FILE_MODE:
                name.chmod(_FILE_MODE)


def _identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


def _file_fault(path: Path, opened: tuple[int, int]) -> str | None:
    """Why writes to the file opened as `opened` would not be kept, or None.
    SQLite keeps writing through its open descriptors to a file that was
    deleted or replaced (lost at the next start) or made read-only (refused
    by the next start), so the name is checked against what was opened."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return "database file is gone"
    except OSError as exc:
        return f"database file cannot be read: {exc.strerror}"
    if (info.st_dev, info.st_ino) != opened:
        return "database file was replaced"
    # The owner's write bit, not access(): a service running as root passes any access check.
    if not info.st_mode & stat.S_IWUSR:
        return "database file is read-only"
    return None


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
        self.writer: Connection | None = None
        self.reader: Connection | None = None
        self.write_lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._opened: tuple[int, int] | None = None  # (device, inode) of the file as opened

    @property
    def on_file(self) -> bool:
        return self.path != ":memory:"

    async def open(self) -> None:
        if self.on_file:
            await asyncio.to_thread(_prepare_files, Path(self.path))
        self.writer = await self._connect()
        if self.on_file:
            self._opened = await asyncio.to_thread(_identity, Path(self.path))
        await self.writer.execute("PRAGMA journal_mode=WAL")
        await self._migrate()
        # An in-memory database is private to its connection: read through the writer.
        self.reader = self.writer if not self.on_file else await self._connect()

    def opened_writer(self) -> Connection:
        if self.writer is None:
            raise RuntimeError(f"database {self.path} is not open")
        return self.writer

    def opened_reader(self) -> Connection:
        if self.reader is None:
            raise RuntimeError(f"database {self.path} is not open")
        return self.reader

    async def _connect(self) -> Connection:
        conn = await Connection(self.path).open()
        # Agents search names as they type them: "binh" finds "Bình", "BÌNH" too
        # (SQLite's own LIKE folds ASCII letters only).
        await conn.create_function("fold", 1, fold, deterministic=True)
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

    def _begin(self, conn: sqlite3.Connection) -> None:
        """In the writer's thread: refuse when what is written would not be kept, else BEGIN."""
        fault = None if self._opened is None else _file_fault(Path(self.path), self._opened)
        if fault is not None:
            log.error("store refuses writes", extra={"reason": fault, "path": self.path})
            raise StoreUnavailable(fault)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            if _store_failure(exc):
                raise StoreUnavailable(f"sqlite: {exc}") from exc
            raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One write transaction, a statement per hand-off to the writer's
        thread; StoreUnavailable when what it writes would not be kept, so
        that nobody is told "stored" for a lost write. `write` does the same
        in one hand-off."""
        async with self.write_lock:
            writer = self.opened_writer()
            await writer.call(self._begin)
            try:
                yield writer
                await writer.execute("COMMIT")
            except BaseException as exc:
                # Cancelled while COMMIT ran in the worker thread, the transaction
                # may be over by the time ROLLBACK reaches it: that must not
                # turn the cancellation into an error that callers swallow.
                with contextlib.suppress(sqlite3.OperationalError):
                    await writer.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error) and _store_failure(exc):
                    raise StoreUnavailable(f"sqlite: {exc}") from exc
                raise

    async def write(self, fn: Callable[..., Coroutine[Any, Any, T]], /, *args: Any, **kwargs: Any) -> T:
        """`fn(db, *args, **kwargs)` as one write transaction, whole in the
        writer's thread (hub/store/sqlite/connection.py)."""
        async with self.write_lock:
            return await self.opened_writer().call(self._write, lambda db: fn(db, *args, **kwargs))

    def _write(self, conn: sqlite3.Connection, fn: Callable[..., Coroutine[Any, Any, T]]) -> T:
        self._begin(conn)
        try:
            result = run_inline(conn, fn)
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error) and _store_failure(exc):
                raise StoreUnavailable(f"sqlite: {exc}") from exc
            raise
        return result


def placeholders(values) -> str:
    return ",".join("?" * len(values))


@overload
def fold(text: str) -> str: ...
@overload
def fold(text: None) -> None: ...
def fold(text: str | None) -> str | None:
    """Lower case without Vietnamese diacritics: the SQL function `fold`."""
    return None if text is None else unaccent(text).lower()


def chunks(values: list, size: int = 500):
    """`values` in runs of `size`: SQLite binds at most 999 parameters per statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
