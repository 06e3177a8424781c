"""Broadcasts: announcements to many citizens, loaded in chunks so that a
crash while loading resumes where it stopped."""

from __future__ import annotations

import orjson

from hub.store.port import Broadcast


def _from_row(row, counts=None) -> Broadcast:
    return Broadcast(
        id=row["id"],
        template=row["template"],
        context=orjson.loads(row["context"]),
        source=row["source"],
        total=row["total"],
        state=row["state"],
        created_at=row["created_at"],
        counts=counts or {},
    )


async def create(db, b: Broadcast, now: str) -> Broadcast:
    await db.execute(
        "INSERT OR IGNORE INTO broadcasts (id, template, context, source, total, state, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (b.id, b.template, orjson.dumps(b.context).decode(), b.source, b.total, b.state, now, now),
    )
    created = await get(db, b.id)
    if created is None:
        raise RuntimeError(f"broadcast {b.id} is missing right after its insert")
    return created


async def set_loaded(db, broadcast_id: str, total: int, done: bool, now: str) -> None:
    await db.execute(
        "UPDATE broadcasts SET total = max(total, ?), state = CASE WHEN ? AND state = 'loading' THEN 'active'"
        " ELSE state END, updated_at = ? WHERE id = ?",
        (total, int(done), now, broadcast_id),
    )


async def get(db, broadcast_id: str) -> Broadcast | None:
    rows = await db.execute_fetchall("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    if not rows:
        return None
    counts = {
        row[0]: row[1]
        for row in await db.execute_fetchall(
            "SELECT status, count(*) FROM notifications WHERE broadcast_id = ? GROUP BY status", (broadcast_id,)
        )
    }
    return _from_row(rows[0], counts)


async def cancel(db, broadcast_id: str, now: str) -> int:
    await db.execute("UPDATE broadcasts SET state = 'cancelled', updated_at = ? WHERE id = ?", (now, broadcast_id))
    before = db.total_changes
    # What is already with a provider cannot be called back; everything else stops.
    await db.execute(
        "UPDATE notifications SET status = 'cancelled', reason = 'broadcast_cancelled', next_at = NULL, updated_at = ?"
        " WHERE broadcast_id = ? AND status IN ('created', 'queued', 'deferred', 'temporary_failure')",
        (now, broadcast_id),
    )
    return db.total_changes - before
