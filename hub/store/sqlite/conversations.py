"""Conversations: inbound messages stored once, threaded, with what was
answered; the bus events they cause commit in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson

from hub.store.port import InboundRecord, InboundResult, Mask
from hub.store.sqlite import queue
from hub.store.sqlite.dossiers import insert_outbox, iso
from models.citizen import ADDRESS_FIELD, Channel
from models.events import new_id
from models.timeutil import utcnow

# A chat or SMS exchange that has been quiet this long starts a new conversation.
QUIET_GAP = timedelta(hours=24)


async def _thread(db, record: InboundRecord, now) -> str | None:
    if record.references:
        # Email: a reply names the messages it answers, ours or theirs.
        marks = ",".join("?" * len(record.references))
        rows = await db.execute_fetchall(
            f"SELECT conversation_id FROM conversation_messages WHERE provider_message_id IN ({marks})"  # noqa: S608  only ? placeholders are interpolated
            " ORDER BY id DESC LIMIT 1",
            record.references,
        )
        if rows:
            return rows[0][0]
    if record.threads_by_reference:
        return None  # a new email without references is a new thread
    # One a person still has (open, pending, snoozed) is joined however long it was quiet.
    rows = await db.execute_fetchall(
        "SELECT id FROM conversations WHERE channel = ? AND address = ? AND state != 'closed'"
        " AND (updated_at >= ? OR queue_status IN ('open', 'pending', 'snoozed'))"
        " ORDER BY updated_at DESC LIMIT 1",
        (record.channel.value, record.address, iso(now - QUIET_GAP)),
    )
    return rows[0][0] if rows else None


async def add_inbound(db, record: InboundRecord, events_for, mask: Mask) -> InboundResult:
    now = utcnow()
    seen = await db.execute_fetchall(
        "SELECT conversation_id FROM conversation_messages WHERE direction = 'in' AND channel = ?"
        " AND provider_message_id = ?",
        (record.channel.value, record.provider_message_id),
    )
    if seen:
        return InboundResult(seen[0][0], new_message=False, new_conversation=False)
    conversation_id = await _thread(db, record, now)
    new_conversation = conversation_id is None
    if conversation_id is None:
        conversation_id = "cv_" + new_id()[:20]
        await db.execute(
            "INSERT INTO conversations (id, channel, address, citizen_id, dossier_code, subject, started_at,"
            " updated_at, last_message_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                record.channel.value,
                record.address,
                record.citizen_id,
                record.dossier_code,
                record.subject,
                iso(now),
                iso(now),
                iso(now),
            ),
        )
    else:
        # A dossier named later in the thread attaches it; one named before stays.
        await db.execute(
            "UPDATE conversations SET updated_at = ?1, last_message_at = ?1, dossier_code = coalesce(dossier_code, ?2),"
            " citizen_id = coalesce(citizen_id, ?3) WHERE id = ?4",
            (iso(now), record.dossier_code, record.citizen_id, conversation_id),
        )
    cursor = await db.execute(
        "INSERT INTO conversation_messages (conversation_id, direction, channel, provider_message_id, text, at)"
        " VALUES (?, 'in', ?, ?, ?, ?)",
        (conversation_id, record.channel.value, record.provider_message_id, record.text, iso(now)),
    )
    queued = False
    if not new_conversation:
        # A citizen writing into a conversation a person has (or had: resolved)
        # puts it back in the open queue, and every console sees the message.
        await queue.reopen(db, conversation_id, now, mask)
        if await queue.queued_status(db, conversation_id) is not None:
            queued = True
            await queue.message_created(db, conversation_id, cursor.lastrowid, now)
    await insert_outbox(db, events_for(conversation_id))
    return InboundResult(conversation_id, new_message=True, new_conversation=new_conversation, queued=queued)


async def add_outbound(
    db, conversation_id: str, channel: Channel, text: str, buttons: list, provider_message_id: str | None
) -> bool:
    """True when the conversation is queued: the message went to the consoles' feed too."""
    moment = utcnow()
    now = iso(moment)
    cursor = await db.execute(
        "INSERT INTO conversation_messages (conversation_id, direction, channel, provider_message_id, text, buttons,"
        " at) VALUES (?, 'out', ?, ?, ?, ?, ?)",
        (
            conversation_id,
            channel.value,
            provider_message_id,
            text,
            orjson.dumps(buttons).decode() if buttons else None,
            now,
        ),
    )
    await db.execute(
        "UPDATE conversations SET updated_at = ?1, last_message_at = ?1 WHERE id = ?2", (now, conversation_id)
    )
    if await queue.queued_status(db, conversation_id) is None:
        return False
    await queue.message_created(db, conversation_id, cursor.lastrowid, moment)
    return True


def _message(row) -> dict:
    return {
        "direction": row["direction"],
        "kind": row["kind"],
        "channel": row["channel"],
        "text": row["text"],
        "buttons": orjson.loads(row["buttons"]) if row["buttons"] else [],
        "at": row["at"],
        "provider_message_id": row["provider_message_id"],
    }


def _conversation(row, messages: list) -> dict:
    return {
        "id": row["id"],
        "channel": row["channel"],
        "address": row["address"],
        "citizen_id": row["citizen_id"],
        "dossier_code": row["dossier_code"],
        "state": row["state"],
        "subject": row["subject"],
        "started_at": row["started_at"],
        "updated_at": row["updated_at"],
        "messages": messages,
    }


async def list_conversations(
    db, *, channel: Channel | None, citizen: str | None, dossier: str | None, limit: int
) -> list[dict]:
    where, args = [], []
    for column, value in (
        ("channel", channel.value if channel else None),
        ("citizen_id", citizen),
        ("dossier_code", dossier),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await db.execute_fetchall(
        f"SELECT * FROM conversations {clause} ORDER BY updated_at DESC, id LIMIT ?",  # noqa: S608  clause of fixed column names; values bound
        (*args, limit),
    )
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    messages: dict[str, list] = {i: [] for i in ids}
    for row in await db.execute_fetchall(
        f"SELECT * FROM conversation_messages WHERE conversation_id IN ({','.join('?' * len(ids))}) ORDER BY id",  # noqa: S608  only ? placeholders are interpolated
        ids,
    ):
        messages[row["conversation_id"]].append(_message(row))
    return [_conversation(row, messages[row["id"]]) for row in rows]


async def get_conversation(db, conversation_id: str) -> dict | None:
    rows = await db.execute_fetchall("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
    if not rows:
        return None
    messages = await db.execute_fetchall(
        "SELECT * FROM conversation_messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
    )
    return _conversation(rows[0], [_message(m) for m in messages])


async def bind_link(db, link: str, citizen_id: str, dossier_code: str, channel: Channel, address) -> bool:
    """The first address to use a link owns it; True when that is `address`."""
    await db.execute(
        "INSERT INTO link_bindings (token_digest, citizen_id, dossier_code, channel, address, bound_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token_digest) DO NOTHING",
        (link, citizen_id, dossier_code, channel.value, str(address), iso(utcnow())),
    )
    rows = await db.execute_fetchall("SELECT channel, address FROM link_bindings WHERE token_digest = ?", (link,))
    return (rows[0][0], rows[0][1]) == (channel.value, str(address))


async def add_start_link(db, link: str, citizen_id: str, dossier_code: str, expires_at: datetime) -> None:
    # The same receipt asked for again is the same link (the id is derived, not random).
    await db.execute(
        "INSERT INTO start_links (token_digest, citizen_id, dossier_code, expires_at, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (token_digest) DO NOTHING",
        (link, citizen_id, dossier_code, iso(expires_at), iso(utcnow())),
    )


async def start_link(db, link: str, now: datetime) -> tuple[str, str] | None:
    rows = await db.execute_fetchall(
        "SELECT citizen_id, dossier_code FROM start_links WHERE token_digest = ? AND expires_at > ?", (link, iso(now))
    )
    return (rows[0][0], rows[0][1]) if rows else None


async def offered_options(db, conversation_id: str) -> list[dict]:
    """The buttons offered in answer to the citizen's message before their
    latest one (the one being answered now): options from an older turn
    are never picked from. One turn may be several replies; the last with
    buttons is the one whose numbers the citizen read last."""
    rows = await db.execute_fetchall(
        "SELECT buttons FROM conversation_messages WHERE conversation_id = ?1 AND direction = 'out'"
        " AND buttons IS NOT NULL AND id > coalesce((SELECT id FROM conversation_messages"
        " WHERE conversation_id = ?1 AND direction = 'in' ORDER BY id DESC LIMIT 1 OFFSET 1), 0)"
        " ORDER BY id DESC LIMIT 1",
        (conversation_id,),
    )
    return orjson.loads(rows[0][0]) if rows else []


async def linked_dossier_codes(db, channel: Channel, address, limit: int) -> list[str]:
    """Codes of the dossiers of the citizen this address was linked to by a
    deep link, while the address is still that citizen's; newest first."""
    column = ADDRESS_FIELD[channel]
    rows = await db.execute_fetchall(
        "SELECT d.code FROM dossiers d WHERE d.applicant_id IN ("  # noqa: S608  column name from a fixed table; values bound
        " SELECT b.citizen_id FROM link_bindings b JOIN citizens c ON c.id = b.citizen_id"
        f" WHERE b.channel = ? AND b.address = ? AND c.{column} = ?)"
        " ORDER BY d.received_at DESC, d.code LIMIT ?",
        (channel.value, str(address), address, limit),
    )
    return [row[0] for row in rows]


async def link_contact(db, citizen_id: str, channel: Channel, address) -> None:
    """Move the address to `citizen_id`; a nameless citizen created when the
    address first wrote hands its conversations over."""
    column = ADDRESS_FIELD[channel]
    previous = await db.execute_fetchall(
        f"SELECT id FROM citizens WHERE {column} = ? AND id != ?",  # noqa: S608  column name from a fixed table; values bound
        (address, citizen_id),
    )
    for (old_id,) in previous:
        await db.execute(f"UPDATE citizens SET {column} = NULL, updated_at = ? WHERE id = ?", (iso(utcnow()), old_id))  # noqa: S608  column name from a fixed table; values bound
        await db.execute("UPDATE conversations SET citizen_id = ? WHERE citizen_id = ?", (citizen_id, old_id))
    await db.execute(
        f"UPDATE citizens SET {column} = ?, updated_at = ? WHERE id = ?",  # noqa: S608  column name from a fixed table; values bound
        (address, iso(utcnow()), citizen_id),
    )
