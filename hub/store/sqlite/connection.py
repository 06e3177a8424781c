"""One sqlite3 connection and the one thread that uses it: SQLite's calls
block, so none of them runs on the event loop.

What aiosqlite does, plus `call`: any function in that thread, which
`Database.write` (db.py) uses to run a whole store function there. Each
hand-off between the loop and the thread costs about 130 µs here (a queue, a
wake-up, a future), far more than a statement on a warm page cache (a few
µs); a transaction of eight statements paid eight of them, and held the
write lock all the while. `Database.write` pays one.

The store's functions are written once, as `async def f(db, ...)` over
`await db.execute(...)`, and serve both ways: awaited statement by statement
on a Connection, or driven to the end in the thread on an `Inline` whose
statements complete at once (so the coroutine never suspends)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from queue import SimpleQueue
from typing import Any, TypeVar

T = TypeVar("T")


class Inline:
    """The statements a store function awaits, answered at once in the thread
    that owns the connection."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    async def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[sqlite3.Row]:
        return self._conn.execute(sql, parameters).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, rows)

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes


def run_inline(conn: sqlite3.Connection, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """`fn(Inline(conn), *args)` to its end, here and now."""
    coroutine = fn(Inline(conn), *args)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    # It awaited something that really waits (another store call, a sleep): that
    # cannot run in the database's thread, and must not half-run either.
    raise RuntimeError(f"{getattr(fn, '__qualname__', fn)} awaited something besides its database statements")


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return  # its caller gave up; the work itself was done (or failed) all the same
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Connection:
    def __init__(self, path: str):
        self.path = path
        self._conn: sqlite3.Connection | None = None
        # A queue and a thread of our own rather than an executor: each hand-off
        # is then a put and a call_soon_threadsafe, without concurrent.futures'
        # future, condition and wrapper on the loop (a tenth of its time under load).
        self._jobs: SimpleQueue[tuple[asyncio.Future, Callable[[], Any]] | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=f"sqlite {path}", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn = job
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to the caller, whatever it is
                result, error = None, exc
            future.get_loop().call_soon_threadsafe(_settle, future, result, error)

    async def open(self) -> Connection:
        # check_same_thread off: the connection is made, used and closed in the
        # one thread, but the cursors handed back are read (rowcount, lastrowid) on the loop.
        self._conn = await self._in_thread(sqlite3.connect, self.path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        return self

    def _opened(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError(f"database {self.path} is not open")
        return self._conn

    async def _in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Cancelling the caller does not withdraw the work: what was handed over
        runs whole (a transaction commits or rolls back in the thread)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((future, partial(fn, *args, **kwargs)))
        return await future

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` in the connection's thread."""
        return await self._in_thread(fn, self._opened(), *args)

    async def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return await self.call(lambda conn: conn.execute(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[sqlite3.Row]:
        return await self.call(lambda conn: conn.execute(sql, parameters).fetchall())

    async def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        return await self.call(lambda conn: conn.executemany(sql, rows))

    async def executescript(self, script: str) -> None:
        await self.call(lambda conn: conn.executescript(script))

    async def create_function(self, name: str, arity: int, fn: Callable, *, deterministic: bool = False) -> None:
        await self.call(lambda conn: conn.create_function(name, arity, fn, deterministic=deterministic))

    @property
    def total_changes(self) -> int:
        return self._opened().total_changes

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._in_thread(conn.close)
        self._jobs.put(None)
