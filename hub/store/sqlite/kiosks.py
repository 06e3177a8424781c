"""Kiosk accounts and ratings, and the result hand-over a kiosk shows."""

from __future__ import annotations

from datetime import datetime

import orjson

from hub.store.port import Handover, Kiosk, KioskRatings
from hub.store.sqlite.dossiers import from_iso, iso
from models.errors import Conflict


def _kiosk(row) -> Kiosk:
    return Kiosk(id=row["id"], name=row["name"], created_at=row["created_at"], disabled=bool(row["disabled"]))


async def add(db, kiosk: Kiosk, key_hash: str) -> Kiosk:
    taken = await db.execute_fetchall("SELECT 1 FROM kiosks WHERE id = ? OR key_hash = ?", (kiosk.id, key_hash))
    if taken:
        raise Conflict(f"Ki-ốt '{kiosk.id}' (hoặc khóa của nó) đã có.")
    await db.execute(
        "INSERT INTO kiosks (id, name, key_hash, created_at, disabled) VALUES (?, ?, ?, ?, ?)",
        (kiosk.id, kiosk.name, key_hash, kiosk.created_at, int(kiosk.disabled)),
    )
    return kiosk


async def by_key(db, key_hash: str) -> Kiosk | None:
    rows = await db.execute_fetchall(
        "SELECT id, name, created_at, disabled FROM kiosks WHERE key_hash = ?", (key_hash,)
    )
    return _kiosk(rows[0]) if rows else None


async def listing(db) -> list[Kiosk]:
    rows = await db.execute_fetchall("SELECT id, name, created_at, disabled FROM kiosks ORDER BY created_at, id")
    return [_kiosk(row) for row in rows]


async def disable(db, ref: str) -> Kiosk | None:
    rows = await db.execute_fetchall(
        "SELECT id, name, created_at, disabled FROM kiosks WHERE id = ?"
        " UNION ALL SELECT * FROM (SELECT id, name, created_at, disabled FROM kiosks WHERE name = ?"
        " ORDER BY created_at, id LIMIT 1)",
        (ref, ref),
    )
    if not rows:
        return None
    found = _kiosk(rows[0])
    await db.execute("UPDATE kiosks SET disabled = 1 WHERE id = ?", (found.id,))
    return Kiosk(found.id, found.name, found.created_at, disabled=True)


async def add_rating(db, kiosk_id: str, score: int, at: datetime) -> None:
    if not 1 <= score <= 5:
        raise ValueError("a rating is 1 to 5")
    await db.execute("INSERT INTO kiosk_ratings (kiosk_id, score, at) VALUES (?, ?, ?)", (kiosk_id, score, iso(at)))


async def ratings(db, kiosk_id: str, since: datetime | None) -> KioskRatings:
    rows = await db.execute_fetchall(
        "SELECT score, count(*) AS n FROM kiosk_ratings WHERE kiosk_id = ? AND at >= ? GROUP BY score",
        (kiosk_id, iso(since) if since is not None else ""),
    )
    scores = {row["score"]: row["n"] for row in rows}
    count = sum(scores.values())
    average = round(sum(s * n for s, n in scores.items()) / count, 2) if count else None
    return KioskRatings(kiosk_id, count, average, scores)


async def handover(db, code: str) -> Handover:
    rows = await db.execute_fetchall(
        "SELECT at, due_at, result FROM dossier_events WHERE code = ? ORDER BY at, recorded_at", (code,)
    )
    result = None
    due_dates: list[tuple[datetime, datetime]] = []
    for row in rows:
        if row["result"]:
            result = orjson.loads(row["result"])
        if row["due_at"]:
            due = from_iso(row["due_at"])
            if not due_dates or due_dates[-1][1] != due:
                due_dates.append((from_iso(row["at"]), due))
    told = await db.execute_fetchall(
        "SELECT context FROM notifications WHERE dossier_code = ? AND purpose = 'overdue_apology'"
        " ORDER BY created_at DESC LIMIT 1",
        (code,),
    )
    apology = None
    if told:
        context = orjson.loads(told[0]["context"])
        apology = {k: context.get(k) for k in ("original_due_at_display", "new_due_at_display")}
    return Handover(result if isinstance(result, dict) else None, tuple(due_dates), apology)
