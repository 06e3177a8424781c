"""Every backend of each port that can run on this machine; the contract
suites parametrise over these. A MongoDB store joins STORE_BACKENDS as one
more entry (a factory from tmp_path to an unopened store); it is not listed
until it exists.

SQLite is one backend in two configurations: in memory it reads through its
writer connection (hub/store/sqlite/db.py), which a file never does."""

from __future__ import annotations

import os

from hub.store.sqlite import SqliteStore


def sqlite_file(tmp_path):
    return SqliteStore(tmp_path / "store.sqlite3")


def sqlite_memory(tmp_path):
    return SqliteStore(":memory:")


STORE_BACKENDS = {"sqlite-file": sqlite_file, "sqlite-memory": sqlite_memory}


def delete_sqlite_files(store) -> None:
    path = store.db.path
    for name in (path, path + "-wal", path + "-shm"):
        os.unlink(name)


# name -> how to take its storage away under an open store (an operator's
# rm, a lost volume); a backend with nothing to take away is not listed.
LOSE_STORAGE = {"sqlite-file": delete_sqlite_files}


class InProcessOver:
    """The embedded bus over a store's outbox; what a test asks of the bus's
    bookkeeping is answered by that outbox."""

    durable = True

    def __init__(self, store):
        self.store = store

    def make(self, **options):
        from hub.bus.inprocess import InProcessBus

        return InProcessBus(self.store, **options)

    async def count_pending(self) -> int:
        return await self.store.count_pending()

    async def dead_letters(self) -> list:
        return await self.store.dead_letters()

    async def retry_dead_letter(self, dead_letter_id: int) -> bool:
        return await self.store.retry_dead_letter(dead_letter_id)

    async def deliveries(self, message_id: str) -> dict:
        [row] = await self.store.outbox_by_ids([message_id])
        return row.deliveries


class InMemory:
    """The recording bus keeps its own bookkeeping, in the outbox's shapes."""

    durable = False
    bus = None

    def make(self, *, poll_seconds=None, concurrency=None, **options):
        from hub.bus.recording import RecordingBus

        self.bus = RecordingBus(**options)  # polls nothing and runs every handler at once: nothing to tune
        return self.bus

    async def count_pending(self) -> int:
        return await self.bus.count_pending()

    async def dead_letters(self) -> list:
        return await self.bus.dead_letters()

    async def retry_dead_letter(self, dead_letter_id: int) -> bool:
        return await self.bus.retry_dead_letter(dead_letter_id)

    async def deliveries(self, message_id: str) -> dict:
        return await self.bus.deliveries(message_id)


# name -> the store backend under it, or None for a bus that needs none
BUS_BACKENDS = {**{f"inprocess-{name}": name for name in STORE_BACKENDS}, "recording": None}
