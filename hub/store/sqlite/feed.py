"""console_feed: the numbered changes consoles follow live and resync from
(contact_center/live.py). A row is appended in the transaction of the change
it reports; `seq` (AUTOINCREMENT) is the one order of events."""

from __future__ import annotations

from datetime import datetime

import orjson

from hub.store.port import FeedRow
from hub.store.sqlite.dossiers import iso


def _feed_args(now: datetime, kind: str, payload: dict) -> tuple[str, str, str]:
    return iso(now), kind, orjson.dumps(payload).decode()


async def append_feed(
    db, kind: str, now: datetime, payload: dict, *, conversation_id: str | None = None, agent_id: str | None = None
) -> None:
    """One feed row; a conversation's row carries its assignee and team as
    they are now (after the change), which the live hub routes by."""
    at, kind, body = _feed_args(now, kind, payload)
    if conversation_id is None:
        await db.execute(
            "INSERT INTO console_feed (at, kind, agent_id, payload) VALUES (?, ?, ?, ?)", (at, kind, agent_id, body)
        )
        return
    await db.execute(
        "INSERT INTO console_feed (at, kind, conversation_id, assignee, team, agent_id, payload)"
        " SELECT ?, ?, id, assignee, team, ?, ? FROM conversations WHERE id = ?",
        (at, kind, agent_id, body, conversation_id),
    )


async def feed_since(db, seq: int, limit: int) -> list[FeedRow]:
    rows = await db.execute_fetchall(
        "SELECT seq, at, kind, conversation_id, assignee, team, agent_id, payload FROM console_feed"
        " WHERE seq > ? ORDER BY seq LIMIT ?",
        (seq, max(0, limit)),
    )
    return [
        FeedRow(
            seq=r["seq"],
            at=r["at"],
            kind=r["kind"],
            conversation_id=r["conversation_id"],
            assignee=r["assignee"],
            team=r["team"],
            agent_id=r["agent_id"],
            payload=orjson.loads(r["payload"]),
        )
        for r in rows
    ]


async def feed_last_seq(db) -> int:
    # AUTOINCREMENT keeps the highest seq ever given, even once pruned.
    rows = await db.execute_fetchall("SELECT seq FROM sqlite_sequence WHERE name = 'console_feed'")
    return rows[0][0] if rows else 0


async def prune_feed(db, before: datetime) -> int:
    cursor = await db.execute("DELETE FROM console_feed WHERE at < ?", (iso(before),))
    return cursor.rowcount
