"""What the console shows of one citizen: their conversations on every
channel, with the assistant's hand-over, and the dossiers they are on."""

from __future__ import annotations

import orjson

from hub.store.sqlite.db import placeholders


async def citizen_conversations(
    db, citizen_ids: list[str], channel: str, address: str, *, limit: int, messages: int
) -> list[dict]:
    ids = list(dict.fromkeys(citizen_ids))[:500]
    by_citizen = f"citizen_id IN ({placeholders(ids)}) OR " if ids else ""
    rows = await db.execute_fetchall(
        f"SELECT * FROM conversations WHERE {by_citizen}(channel = ? AND address = ?)"  # noqa: S608  only ? placeholders are interpolated
        " ORDER BY updated_at DESC, id LIMIT ?",
        (*ids, channel, str(address), limit),
    )
    if not rows:
        return []
    found = [row["id"] for row in rows]
    marks = placeholders(found)
    texts: dict[str, list[dict]] = {cid: [] for cid in found}
    # Private notes are the agents' own talk about one conversation: not the citizen's history.
    for m in await db.execute_fetchall(
        f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY conversation_id ORDER BY id DESC) AS newest"  # noqa: S608  only ? placeholders are interpolated
        f" FROM conversation_messages WHERE conversation_id IN ({marks}) AND kind != 'note')"
        " WHERE newest <= ? ORDER BY id",
        (*found, messages),
    ):
        texts[m["conversation_id"]].append(
            {
                "direction": m["direction"],
                "kind": m["kind"],
                "author": m["author"],
                "text": m["text"],
                "at": m["at"],
                "channel": m["channel"],
            }
        )
    escalations: dict[str, dict] = {}
    for e in await db.execute_fetchall(
        f"SELECT * FROM escalations WHERE conversation_id IN ({marks}) ORDER BY created_at, id",  # noqa: S608  only ? placeholders are interpolated
        found,
    ):
        escalations[e["conversation_id"]] = {  # the latest wins
            "id": e["id"],
            "reason": e["reason"],
            "state": e["state"],
            "created_at": e["created_at"],
            "transcript": orjson.loads(e["transcript"]),
        }
    return [
        {
            "id": row["id"],
            "channel": row["channel"],
            "address": row["address"],
            "citizen_id": row["citizen_id"],
            "dossier_code": row["dossier_code"],
            "state": row["state"],
            "queue_status": row["queue_status"],
            "subject": row["subject"],
            "started_at": row["started_at"],
            "updated_at": row["updated_at"],
            "escalation": escalations.get(row["id"]),
            "messages": texts[row["id"]],
        }
        for row in rows
    ]


async def citizen_dossier_codes(db, citizen_ids: list[str], *, limit: int) -> list[tuple[str, str]]:
    ids = list(dict.fromkeys(citizen_ids))[:500]
    if not ids:
        return []
    marks = placeholders(ids)
    rows = await db.execute_fetchall(
        f"SELECT code, relation FROM ("  # noqa: S608  only ? placeholders are interpolated
        f" SELECT d.code, 'applicant' AS relation, d.received_at, 0 AS rank FROM dossiers d"
        f"  WHERE d.applicant_id IN ({marks})"
        f" UNION ALL"
        f" SELECT d.code, 'follower', d.received_at, 1 FROM subscriptions s JOIN dossiers d ON d.code = s.dossier_code"
        f"  WHERE s.citizen_id IN ({marks}))"
        " ORDER BY received_at DESC, code, rank",
        (*ids, *ids),
    )
    found: dict[str, str] = {}
    for code, relation in rows:
        found.setdefault(code, relation)  # an applicant who also follows is the applicant
    return list(found.items())[:limit]
