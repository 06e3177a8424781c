"""A web chat session's messages: every conversation of its address (a
session quiet for a day starts a new one), in id order, without the agents'
private notes or activity lines."""

from __future__ import annotations

import orjson

_COLUMNS = "m.id, m.direction, m.author, m.text, m.buttons, m.at, m.provider_message_id"


def _message(row) -> dict:
    return {
        "id": row["id"],
        "direction": row["direction"],
        "author": row["author"],
        "text": row["text"],
        "buttons": orjson.loads(row["buttons"]) if row["buttons"] else [],
        "at": row["at"],
        "provider_message_id": row["provider_message_id"],
    }


async def address_messages(db, channel: str, address: str, after: int, limit: int) -> list[dict]:
    rows = await db.execute_fetchall(
        f"SELECT {_COLUMNS} FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id"  # noqa: S608  constant columns
        " WHERE c.channel = ? AND c.address = ? AND m.id > ? AND m.kind = 'message' ORDER BY m.id LIMIT ?",
        (channel, address, after, limit),
    )
    return [_message(row) for row in rows]


async def inbound_message_id(db, channel: str, provider_message_id: str) -> int | None:
    rows = await db.execute_fetchall(
        "SELECT id FROM conversation_messages WHERE direction = 'in' AND channel = ? AND provider_message_id = ?",
        (channel, provider_message_id),
    )
    return rows[0][0] if rows else None


async def attach_citizen(db, channel: str, address: str, citizen_id: str) -> int:
    cursor = await db.execute(
        "UPDATE conversations SET citizen_id = ? WHERE channel = ? AND address = ?", (citizen_id, channel, address)
    )
    return cursor.rowcount


async def addresses_after(db, channel: str, after: int) -> tuple[int, dict[str, int]]:
    """The highest message id above `after` (else `after`) and the addresses
    of the channel whose conversations got a message above `after`, each with
    its newest message's id; with `after` below 0, the highest id and no address."""
    if after < 0:  # where to start: the newest id, nobody to wake
        top = await db.execute_fetchall("SELECT max(id) FROM conversation_messages")
        return top[0][0] or 0, {}
    rows = await db.execute_fetchall(
        "SELECT c.address, max(m.id) FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.id > ? AND c.channel = ? AND m.kind = 'message' GROUP BY c.address",
        (after, channel),
    )
    top = await db.execute_fetchall("SELECT max(id) FROM conversation_messages WHERE id > ?", (after,))
    return (top[0][0] or after), {r[0]: r[1] for r in rows}
