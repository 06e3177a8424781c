"""The outbox and per-handler delivery records that make the bus durable."""

from __future__ import annotations

from hub.store.port import DeadLetter, DeliveryResult, OutboxRow
from hub.store.sqlite.db import placeholders
from hub.store.sqlite.dossiers import iso
from models.timeutil import utcnow


async def rows_with_deliveries(db, rows) -> list[OutboxRow]:
    if not rows:
        return []
    ids = [row["message_id"] for row in rows]
    deliveries: dict[str, dict[str, tuple[str, int, float | None]]] = {}
    for d in await db.execute_fetchall(
        f"SELECT message_id, handler, state, attempts, next_at FROM deliveries"  # noqa: S608  only ? placeholders are interpolated
        f" WHERE message_id IN ({placeholders(ids)})",
        ids,
    ):
        deliveries.setdefault(d["message_id"], {})[d["handler"]] = (d["state"], d["attempts"], d["next_at"])
    return [
        OutboxRow(
            id=row["id"],
            message_id=row["message_id"],
            type=row["type"],
            key=row["key"],
            raw_payload=row["payload"],
            created_at=row["created_at"],
            deliveries=deliveries.get(row["message_id"], {}),
        )
        for row in rows
    ]


async def outbox_after(db, cursor: int, limit: int) -> list[OutboxRow]:
    rows = await db.execute_fetchall(
        "SELECT * FROM outbox WHERE id > ? AND dispatched = 0 ORDER BY id LIMIT ?", (cursor, limit)
    )
    return await rows_with_deliveries(db, rows)


async def outbox_first_pending(db) -> int:
    rows = await db.execute_fetchall(
        "SELECT coalesce((SELECT min(id) FROM outbox WHERE dispatched = 0),"
        " (SELECT coalesce(max(id), 0) + 1 FROM outbox))"
    )
    return rows[0][0]


async def outbox_by_ids(db, message_ids: list[str]) -> list[OutboxRow]:
    if not message_ids:
        return []
    rows = await db.execute_fetchall(
        f"SELECT * FROM outbox WHERE message_id IN ({placeholders(message_ids)}) ORDER BY id",  # noqa: S608  only ? placeholders are interpolated
        message_ids,
    )
    return await rows_with_deliveries(db, rows)


async def due_retries(db, now: float, limit: int) -> list[str]:
    rows = await db.execute_fetchall(
        "SELECT DISTINCT message_id FROM deliveries WHERE state = 'retry' AND next_at <= ? ORDER BY next_at LIMIT ?",
        (now, limit),
    )
    return [row[0] for row in rows]


async def record_deliveries(db, results: list[DeliveryResult], dispatched: list[int]) -> None:
    now = iso(utcnow())
    if results:
        await db.executemany(
            "INSERT INTO deliveries (message_id, handler, state, attempts, next_at, last_error, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, handler) DO UPDATE SET"
            " state = excluded.state, attempts = excluded.attempts, next_at = excluded.next_at,"
            " last_error = excluded.last_error, updated_at = excluded.updated_at",
            [(r.message_id, r.handler, r.state, r.attempts, r.next_at, r.error, now) for r in results],
        )
    if dispatched:
        await db.executemany("UPDATE outbox SET dispatched = 1 WHERE id = ?", [(i,) for i in dispatched])


async def dead_letters(db) -> list[DeadLetter]:
    rows = await db.execute_fetchall(
        "SELECT d.id, d.message_id, o.type, d.handler, d.attempts, d.last_error, d.updated_at"
        " FROM deliveries d JOIN outbox o USING (message_id) WHERE d.state = 'dead' ORDER BY d.id"
    )
    return [
        DeadLetter(id=r[0], message_id=r[1], type=r[2], handler=r[3], attempts=r[4], error=r[5] or "", updated_at=r[6])
        for r in rows
    ]


async def retry_dead_letter(db, dead_letter_id: int) -> bool:
    rows = await db.execute_fetchall(
        "SELECT message_id FROM deliveries WHERE id = ? AND state = 'dead'", (dead_letter_id,)
    )
    if not rows:
        return False
    # A fresh set of attempts, due now; the running dispatcher picks it up on its next poll.
    await db.execute(
        "UPDATE deliveries SET state = 'retry', attempts = 0, next_at = 0, updated_at = ? WHERE id = ?",
        (iso(utcnow()), dead_letter_id),
    )
    await db.execute("UPDATE outbox SET dispatched = 0 WHERE message_id = ?", (rows[0][0],))
    return True
