"""SqliteStore: the store port on one SQLite file in WAL mode."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Callable

from hub.store.port import (
    DeadLetter, DeliveryResult, DossierData, DossierLookup, OutboxRow, StatusChange, StatusChangeResult, UpsertResult,
)
from hub.store.sqlite import dossiers, outbox
from hub.store.sqlite.db import Database, migrations
from models.citizen import Citizen
from models.dossier import Dossier
from models.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 512


class SqliteStore:
    def __init__(self, path: Path | str, synchronous: str = "FULL"):
        self.db = Database(path, synchronous)
        self._pending: list[tuple[StatusChange, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task | None = None

    async def open(self) -> None:
        await self.db.open()
        self._flusher = asyncio.create_task(self._flush_status_changes(), name="sqlite-group-commit")

    async def close(self) -> None:
        if self._flusher is not None:
            while self._pending:
                await asyncio.sleep(0.01)
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        await self.db.close()

    async def readiness(self) -> dict:
        version = await self.db.schema_version()
        latest = migrations()[-1][0]
        return {"store": "sqlite", "schema_version": version, "latest_migration": latest,
                "ready": version == latest}

    def on_outbox_append(self, listener: Callable[[], None]) -> None:
        self.db.on_outbox_append(listener)

    # dossiers and citizens

    async def upsert_dossier(self, data: DossierData) -> UpsertResult:
        async with self.db.transaction() as db:
            created, changed, events = await dossiers.upsert_dossier(db, data)
            if events:
                await dossiers.insert_outbox(db, events)
        if events:
            self.db.outbox_appended()
        return UpsertResult(created, await self.get_dossier(data.code), changed)

    async def record_status_change(self, change: StatusChange) -> StatusChangeResult:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((change, future))
        self._wake.set()
        return await future

    async def _flush_status_changes(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    async with self.db.transaction() as db:
                        results, events = await dossiers.apply_status_changes(db, [c for c, _ in batch])
                except Exception as exc:  # the whole batch failed to commit: tell every caller
                    log.exception("status batch failed")
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                if events:
                    self.db.outbox_appended()

    async def get_dossier(self, code: str) -> Dossier | None:
        found = await self.lookup_dossier(code)
        return found.dossier if found else None

    async def lookup_dossier(self, code: str) -> DossierLookup | None:
        return await dossiers.lookup_dossier(self.db.reader, code)

    async def get_citizen(self, citizen_id: str) -> Citizen | None:
        return await dossiers.get_citizen(self.db.reader, citizen_id)

    # API keys

    async def add_api_key(self, name: str, key_hash: str) -> int:
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO api_keys (name, key_hash, created_at) VALUES (?, ?, ?)",
                (name, key_hash, utcnow().isoformat()))
            return cursor.lastrowid

    async def api_key_name(self, key_hash: str) -> str | None:
        rows = await self.db.reader.execute_fetchall(
            "SELECT name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,))
        return rows[0][0] if rows else None

    # outbox, for the bus

    async def append_outbox(self, messages: list) -> None:
        async with self.db.transaction() as db:
            await dossiers.insert_outbox(db, messages)
        self.db.outbox_appended()

    async def outbox_after(self, cursor: int, limit: int) -> list[OutboxRow]:
        return await outbox.outbox_after(self.db.reader, cursor, limit)

    async def outbox_first_pending(self) -> int:
        return await outbox.outbox_first_pending(self.db.reader)

    async def outbox_by_ids(self, message_ids: list[str]) -> list[OutboxRow]:
        return await outbox.outbox_by_ids(self.db.reader, message_ids)

    async def due_retries(self, now: float, limit: int) -> list[str]:
        return await outbox.due_retries(self.db.reader, now, limit)

    async def record_deliveries(self, results: list[DeliveryResult], dispatched: list[int]) -> None:
        async with self.db.transaction() as db:
            await outbox.record_deliveries(db, results, dispatched)

    async def count_pending(self) -> int:
        rows = await self.db.reader.execute_fetchall("SELECT count(*) FROM outbox WHERE dispatched = 0")
        return rows[0][0]

    async def dead_letters(self) -> list[DeadLetter]:
        return await outbox.dead_letters(self.db.reader)

    async def retry_dead_letter(self, dead_letter_id: int) -> bool:
        async with self.db.transaction() as db:
            return await outbox.retry_dead_letter(db, dead_letter_id)
