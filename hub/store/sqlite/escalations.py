"""Escalations: conversations waiting for a person, with what was said so far."""

from __future__ import annotations

import orjson

from hub.store.port import Mask
from hub.store.sqlite import feed, queue
from hub.store.sqlite.conversations import get_conversation
from hub.store.sqlite.dossiers import insert_outbox, iso
from models.events import EscalationRequested, new_id
from models.timeutil import utcnow

# A complaint goes ahead of ordinary questions in the queue.
PRIORITY = {"complaint": 1}

# Teams by agency or procedure, with nothing to configure: a conversation about
# a dossier goes to the team named after the dossier's agency (or else its
# procedure) when an active agent has that team; otherwise to no team, which
# every agent sees. A team chosen before (a transfer) stays.
_ROUTE_TO_TEAM = """
UPDATE conversations SET team = (
    SELECT a.team FROM dossiers d JOIN agents a ON a.disabled = 0 AND a.team IN (d.agency, d.procedure)
    WHERE d.code = conversations.dossier_code
    ORDER BY a.team = d.agency DESC LIMIT 1
) WHERE id = ? AND team IS NULL AND dossier_code IS NOT NULL
"""


async def escalate(db, conversation_id: str, reason: str, mask: Mask) -> EscalationRequested | None:
    """None when the sender already waits for a person, in this conversation or
    an earlier one: one place in the queue each, however often they ask.
    The conversation enters the console's open queue, unassigned (the
    assignment service picks an agent), with a conversation.queued feed row."""
    conversation = await get_conversation(db, conversation_id)
    if conversation is None:
        raise LookupError(f"no conversation {conversation_id} to escalate")
    open_ = await db.execute_fetchall(
        "SELECT e.id FROM escalations e JOIN conversations c ON c.id = e.conversation_id"
        " WHERE c.channel = ? AND c.address = ? AND e.state = 'open' LIMIT 1",
        (conversation["channel"], conversation["address"]),
    )
    if open_:
        return None
    now = utcnow()
    transcript = tuple(
        {"direction": m["direction"], "text": m["text"], "at": m["at"]}
        for m in conversation["messages"]
        if m.get("kind", "message") == "message"  # agents' notes are not what the citizen said
    )
    event = EscalationRequested(
        escalation_id="esc_" + new_id()[:20],
        conversation_id=conversation_id,
        channel=conversation["channel"],
        reason=reason,
        transcript=transcript,
    )
    await db.execute(
        "INSERT INTO escalations (id, conversation_id, channel, citizen_id, reason, transcript, state, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
        (
            event.escalation_id,
            conversation_id,
            conversation["channel"],
            conversation["citizen_id"],
            reason,
            orjson.dumps(transcript).decode(),
            iso(now),
        ),
    )
    await db.execute(
        "UPDATE conversations SET state = 'escalated', queue_status = 'open', queued_at = ?, escalation_reason = ?,"
        " priority = max(priority, ?), assignee = NULL, snooze_until = NULL,"
        " last_message_at = coalesce(last_message_at, updated_at) WHERE id = ?",
        (iso(now), reason, PRIORITY.get(reason, 0), conversation_id),
    )
    await db.execute(_ROUTE_TO_TEAM, (conversation_id,))
    item = await queue.queue_item(db, conversation_id, mask)
    if item is not None:
        await feed.append_feed(
            db, "conversation.queued", now, queue.item_payload(item), conversation_id=conversation_id
        )
    await insert_outbox(db, [event])
    return event


async def list_escalations(db, *, state: str | None, limit: int) -> list[dict]:
    clause, args = ("WHERE state = ?", (state,)) if state else ("", ())
    rows = await db.execute_fetchall(
        f"SELECT * FROM escalations {clause} ORDER BY created_at DESC, id LIMIT ?",  # noqa: S608  constant WHERE clause; values bound
        (*args, limit),
    )
    return [
        {
            "id": r["id"],
            "conversation_id": r["conversation_id"],
            "channel": r["channel"],
            "citizen_id": r["citizen_id"],
            "reason": r["reason"],
            "state": r["state"],
            "created_at": r["created_at"],
            "transcript": orjson.loads(r["transcript"]),
        }
        for r in rows
    ]


async def count_open(db) -> int:
    rows = await db.execute_fetchall("SELECT count(*) FROM escalations WHERE state = 'open'")
    return rows[0][0]
