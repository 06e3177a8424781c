"""Canned responses: the answers agents insert with a /shortcut."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.store.port import CannedResponse
from hub.store.sqlite.dossiers import iso
from models.errors import Conflict

_COLUMNS = "id, shortcut, title, body, team, created_by, created_at"


def _canned(row) -> CannedResponse:
    return CannedResponse(
        id=row[0],
        shortcut=row[1],
        title=row[2],
        body=row[3],
        team=row[4],
        created_by=row[5],
        created_at=datetime.fromisoformat(row[6]),
    )


def _taken(shortcut: str) -> Conflict:
    return Conflict(f"đã có câu trả lời mẫu với lối tắt /{shortcut}")


async def add(db, canned: CannedResponse) -> CannedResponse:
    try:
        await db.execute(
            f"INSERT INTO canned_responses ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608  constant column list
            (
                canned.id,
                canned.shortcut,
                canned.title,
                canned.body,
                canned.team,
                canned.created_by,
                iso(canned.created_at),
            ),
        )
    except sqlite3.IntegrityError:
        raise _taken(canned.shortcut) from None
    return canned


async def get(db, ref: str) -> CannedResponse | None:
    rows = list(
        await db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM canned_responses WHERE id = ? OR shortcut = ? LIMIT 1",  # noqa: S608  constant column list
            (ref, ref),
        )
    )
    return _canned(rows[0]) if rows else None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def listing(db, *, query: str | None, team: str | None, every_team: bool, limit: int) -> list[CannedResponse]:
    where, args = [], []
    if not every_team:
        where.append("(team IS NULL OR team = ?)")
        args.append(team)
    if query:
        # lower() in SQLite folds ASCII only: the title's Vietnamese letters
        # match as typed, which is how agents type a title they have seen.
        where.append("(shortcut LIKE ? ESCAPE '\\' OR lower(title) LIKE ? ESCAPE '\\')")
        args += [_like(query.lower()) + "%", "%" + _like(query.lower()) + "%"]
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await db.execute_fetchall(
        f"SELECT {_COLUMNS} FROM canned_responses {clause} ORDER BY shortcut LIMIT ?",  # noqa: S608  fixed clauses; values bound
        (*args, limit),
    )
    return [_canned(row) for row in rows]


async def update(db, canned: CannedResponse) -> bool:
    try:
        rows = await db.execute_fetchall(
            "UPDATE canned_responses SET shortcut = ?, title = ?, body = ?, team = ? WHERE id = ? RETURNING 1",
            (canned.shortcut, canned.title, canned.body, canned.team, canned.id),
        )
    except sqlite3.IntegrityError:
        raise _taken(canned.shortcut) from None
    return bool(list(rows))


async def delete(db, canned_id: str) -> bool:
    rows = await db.execute_fetchall("DELETE FROM canned_responses WHERE id = ? RETURNING 1", (canned_id,))
    return bool(list(rows))
