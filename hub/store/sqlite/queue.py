"""The console's queue (QueueStore): conversations a person must answer,
their assignment and agents' presence. Every write here appends its feed
rows (hub/store/sqlite/feed.py) in the caller's transaction, so a console
never sees a change that did not commit, nor misses one that did."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson

from hub.store.port import Mask, QueueItem, QueueQuery
from hub.store.sqlite.db import chunks, fold, placeholders
from hub.store.sqlite.dossiers import iso
from hub.store.sqlite.feed import append_feed
from models.dossier_code import normalize_code

STATUSES = ("open", "pending", "snoozed", "resolved")
WAITING = ("pending", "snoozed", "resolved")  # a citizen's message makes these open again
NOTE_KINDS = ("message", "note")
LAST_TEXT = 140
_UNIT = "\x1f"  # char(31): separates labels in group_concat; no label contains it

# An agent (not a supervisor) sees a conversation assigned to them, an
# unassigned one of their team or of no team, or one where a note mentions them.
_VISIBLE = (
    "(c.assignee = :me OR (c.assignee IS NULL AND (c.team IS NULL OR c.team = :team))"
    " OR EXISTS (SELECT 1 FROM mentions mn WHERE mn.conversation_id = c.id AND mn.agent_id = :me))"
)
_UNASSIGNED_SEEN = "(c.assignee IS NULL AND (:sup OR c.team IS NULL OR c.team = :team))"
_TEAM_SUPERVISED = "(:team IS NULL OR c.team = :team)"
_ONLY_DIGITS = re.compile(r"[\d\s.+()-]+")


# reading the queue

_ITEM_COLUMNS = (
    "c.id, c.channel, c.address, c.queue_status, c.priority, c.assignee, c.team, c.citizen_id, ci.full_name,"
    " c.dossier_code, c.subject, coalesce(c.last_message_at, c.updated_at) AS last_at, c.queued_at,"
    " c.escalation_reason, c.snooze_until,"
    " (SELECT m.text FROM conversation_messages m WHERE m.conversation_id = c.id AND m.kind = 'message'"
    "  ORDER BY m.id DESC LIMIT 1) AS last_text,"
    " (SELECT group_concat(l.label, char(31)) FROM conversation_labels l WHERE l.conversation_id = c.id) AS labels"
)


def _item(row, mask: Mask) -> QueueItem:
    return QueueItem(
        conversation_id=row["id"],
        channel=row["channel"],
        status=row["queue_status"] or "",
        priority=row["priority"],
        assignee=row["assignee"],
        team=row["team"],
        citizen_id=row["citizen_id"],
        citizen_name=row["full_name"] or None,
        address_masked=mask(row["channel"], row["address"]),
        dossier_code=row["dossier_code"],
        subject=row["subject"],
        last_text=(row["last_text"] or "")[:LAST_TEXT],
        last_at=row["last_at"],
        queued_at=row["queued_at"],
        escalation_reason=row["escalation_reason"],
        labels=tuple(sorted(row["labels"].split(_UNIT))) if row["labels"] else (),
        snooze_until=row["snooze_until"],
    )


def item_payload(item: QueueItem) -> dict:
    return {
        "conversation_id": item.conversation_id,
        "channel": item.channel,
        "status": item.status,
        "priority": item.priority,
        "assignee": item.assignee,
        "team": item.team,
        "citizen_id": item.citizen_id,
        "citizen_name": item.citizen_name,
        "address_masked": item.address_masked,
        "dossier_code": item.dossier_code,
        "subject": item.subject,
        "last_text": item.last_text,
        "last_at": item.last_at,
        "queued_at": item.queued_at,
        "escalation_reason": item.escalation_reason,
        "labels": list(item.labels),
        "snooze_until": item.snooze_until,
    }


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filters(query: QueueQuery) -> tuple[list[str], dict]:
    """The WHERE terms every view shares: who may see it, and the filters."""
    where = ["c.queue_status IS NOT NULL"]
    args: dict = {"me": query.viewer, "team": query.viewer_team, "sup": int(query.viewer_is_supervisor)}
    if not query.viewer_is_supervisor:
        where.append(_VISIBLE)
    if query.status is not None:
        where.append("c.queue_status = :status")
        args["status"] = query.status
    if query.channel is not None:
        where.append("c.channel = :channel")
        args["channel"] = query.channel
    if query.priority is not None:
        where.append("c.priority = :priority")
        args["priority"] = query.priority
    if query.label is not None:
        where.append(
            "EXISTS (SELECT 1 FROM conversation_labels lf WHERE lf.conversation_id = c.id AND lf.label = :label)"
        )
        args["label"] = query.label
    if query.dossier is not None:
        where.append(
            "(c.dossier_code = :dossier OR EXISTS (SELECT 1 FROM dossiers df"
            " WHERE df.applicant_id = c.citizen_id AND df.code = :dossier))"
        )
        args["dossier"] = normalize_code(query.dossier)
    search = (query.search or "").strip()
    if search:
        digits = re.sub(r"\D", "", search)
        if "@" in search:
            # An email address, whole: the conversation's own or the citizen's.
            where.append("(c.address = :email OR ci.email = :email)")
            args["email"] = search.lower()
        elif _ONLY_DIGITS.fullmatch(search) and len(digits) >= 3:
            # The last digits of a phone: the conversation's own address or the citizen's phone.
            where.append("(c.address LIKE :phone OR ci.phone LIKE :phone)")
            args["phone"] = "%" + digits
        else:
            where.append(
                "(c.dossier_code = :code OR EXISTS (SELECT 1 FROM dossiers ds WHERE ds.applicant_id = c.citizen_id"
                " AND ds.code = :code) OR fold(ci.full_name) LIKE :name ESCAPE '\\'"
                " OR fold(c.subject) LIKE :name ESCAPE '\\'"
                " OR c.dossier_code LIKE :name ESCAPE '\\')"
            )
            args["code"] = normalize_code(search)
            args["name"] = _like(fold(search))
    return where, args


def _view(query: QueueQuery) -> str:
    view = query.view
    if view == "mine":
        return "c.assignee = :me"
    if view == "unassigned":
        return _UNASSIGNED_SEEN
    if query.viewer_is_supervisor and view == "team":
        return _TEAM_SUPERVISED
    return "1"  # 'all' for a supervisor; an agent's 'team' and 'all' are what they may see


async def queue(db, query: QueueQuery, mask: Mask) -> list[QueueItem]:
    where, args = _filters(query)
    where.append(_view(query))
    if query.before:
        at, _, last_id = query.before.partition("|")
        where.append("(c.last_message_at < :b_at OR (c.last_message_at = :b_at AND c.id < :b_id))")
        args.update(b_at=at, b_id=last_id)
    args["limit"] = max(0, min(query.limit, 500))
    # The page's ids first, then its columns: the last text and the labels are
    # read for the rows shown only, however many match.
    sql = (
        "WITH page AS (SELECT c.id FROM conversations c LEFT JOIN citizens ci ON ci.id = c.citizen_id"  # noqa: S608  terms are constants; values bound
        f" WHERE {' AND '.join(where)} ORDER BY c.last_message_at DESC, c.id DESC LIMIT :limit)"
        f" SELECT {_ITEM_COLUMNS} FROM page JOIN conversations c ON c.id = page.id"
        " LEFT JOIN citizens ci ON ci.id = c.citizen_id ORDER BY c.last_message_at DESC, c.id DESC"
    )
    return [_item(row, mask) for row in await db.execute_fetchall(sql, args)]


async def queue_counts(db, query: QueueQuery) -> dict[str, int]:
    where, args = _filters(query)
    team_view = _TEAM_SUPERVISED if query.viewer_is_supervisor else "1"
    rows = await db.execute_fetchall(
        f"SELECT coalesce(sum(c.assignee = :me), 0), coalesce(sum({_UNASSIGNED_SEEN}), 0),"  # noqa: S608  terms are constants; values bound
        f" coalesce(sum({team_view}), 0), count(*) FROM conversations c"
        f" LEFT JOIN citizens ci ON ci.id = c.citizen_id WHERE {' AND '.join(where)}",
        args,
    )
    mine, unassigned, team, every = rows[0]
    return {"mine": mine, "unassigned": unassigned, "team": team, "all": every if query.viewer_is_supervisor else 0}


async def queue_item(db, conversation_id: str, mask: Mask) -> QueueItem | None:
    rows = await db.execute_fetchall(
        f"SELECT {_ITEM_COLUMNS} FROM conversations c LEFT JOIN citizens ci ON ci.id = c.citizen_id WHERE c.id = ?",  # noqa: S608  constant columns
        (conversation_id,),
    )
    return _item(rows[0], mask) if rows else None


async def mentioned_in(db, agent_id: str) -> set[str]:
    rows = await db.execute_fetchall("SELECT DISTINCT conversation_id FROM mentions WHERE agent_id = ?", (agent_id,))
    return {row[0] for row in rows}


# messages

_MESSAGE_COLUMNS = (
    "m.id, m.conversation_id, m.direction, m.kind, m.author, m.text, m.at, m.channel, m.buttons,"
    " m.notification_id, n.status AS n_status, n.reason AS n_reason, n.channel AS n_channel"
)


def message_dict(row) -> dict:
    delivery = None
    if row["notification_id"] is not None and row["n_status"] is not None:
        delivery = {"status": row["n_status"], "reason": row["n_reason"], "channel": row["n_channel"]}
    return {
        "id": row["id"],
        "direction": row["direction"],
        "kind": row["kind"],
        "author": row["author"],
        "text": row["text"],
        "at": row["at"],
        "channel": row["channel"],
        "buttons": orjson.loads(row["buttons"]) if row["buttons"] else [],
        "delivery": delivery,
    }


async def get_message(db, message_id: int) -> dict:
    rows = await db.execute_fetchall(
        f"SELECT {_MESSAGE_COLUMNS} FROM conversation_messages m"  # noqa: S608  constant columns
        " LEFT JOIN notifications n ON n.id = m.notification_id WHERE m.id = ?",
        (message_id,),
    )
    return message_dict(rows[0])


async def conversation_messages(db, conversation_id: str, *, include_notes: bool) -> list[dict]:
    clause = "" if include_notes else " AND m.kind != 'note'"
    rows = await db.execute_fetchall(
        f"SELECT {_MESSAGE_COLUMNS} FROM conversation_messages m"  # noqa: S608  constant columns and clause
        f" LEFT JOIN notifications n ON n.id = m.notification_id WHERE m.conversation_id = ?{clause} ORDER BY m.id",
        (conversation_id,),
    )
    return [message_dict(row) for row in rows]


async def queued_status(db, conversation_id: str) -> str | None:
    rows = await db.execute_fetchall("SELECT queue_status FROM conversations WHERE id = ?", (conversation_id,))
    return rows[0][0] if rows else None


async def message_created(db, conversation_id: str, message_id: int, now: datetime) -> None:
    """The feed row of a message added to a queued conversation (any other
    conversation is the assistant's: no console follows it)."""
    await append_feed(
        db,
        "message.created",
        now,
        {"conversation_id": conversation_id, "message": await get_message(db, message_id)},
        conversation_id=conversation_id,
    )


async def add_agent_message(
    db,
    conversation_id: str,
    *,
    author: str,
    kind: str,
    text: str,
    now: datetime,
    notification_id: str | None,
    mentions: tuple[str, ...],
) -> dict:
    if kind not in NOTE_KINDS:
        raise ValueError(f"an agent writes a message or a note, not {kind!r}")
    rows = await db.execute_fetchall("SELECT channel FROM conversations WHERE id = ?", (conversation_id,))
    if not rows:
        raise LookupError(f"no conversation {conversation_id}")
    cursor = await db.execute(
        "INSERT INTO conversation_messages (conversation_id, direction, channel, text, at, kind, author,"
        " notification_id) VALUES (?, 'out', ?, ?, ?, ?, ?, ?)",
        (conversation_id, rows[0][0], text, iso(now), kind, author, notification_id),
    )
    message_id = cursor.lastrowid
    if kind == "message":
        # A reply is activity on the thread (the quiet gap) and the queue's order.
        await db.execute(
            "UPDATE conversations SET last_message_at = ?, updated_at = ? WHERE id = ?",
            (iso(now), iso(now), conversation_id),
        )
    await message_created(db, conversation_id, message_id, now)
    for agent_id in dict.fromkeys(mentions):
        await db.execute(
            "INSERT OR IGNORE INTO mentions (message_id, agent_id, conversation_id, at) VALUES (?, ?, ?, ?)",
            (message_id, agent_id, conversation_id, iso(now)),
        )
        await append_feed(
            db,
            "mention",
            now,
            {"conversation_id": conversation_id, "message_id": message_id, "by": author},
            conversation_id=conversation_id,
            agent_id=agent_id,
        )
    return await get_message(db, message_id)


# changes of state


async def _escalations_follow(db, conversation_id: str, status: str | None, now: datetime) -> None:
    """The escalation row says whether the citizen waits for a person (one
    place in the queue each: escalate() checks it): closed when resolved or
    handed back, open again when the conversation is."""
    if status in (None, "resolved"):
        await db.execute(
            "UPDATE escalations SET state = 'closed' WHERE conversation_id = ? AND state = 'open'", (conversation_id,)
        )
        return
    await db.execute(
        "UPDATE escalations SET state = 'open' WHERE id = (SELECT id FROM escalations WHERE conversation_id = ?1"
        " ORDER BY created_at DESC, id DESC LIMIT 1) AND NOT EXISTS (SELECT 1 FROM escalations"
        " WHERE conversation_id = ?1 AND state = 'open')",
        (conversation_id,),
    )


async def set_queue_status(
    db,
    conversation_id: str,
    status: str | None,
    *,
    by: str,
    now: datetime,
    snooze_until: datetime | None,
    mask: Mask,
) -> bool:
    """A conversation that becomes open (an agent's reopen, a snooze that
    ends, a citizen's message) is also `conversation.queued` with its item:
    consoles whose open list lacked it get it whole."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown queue status {status!r}")
    if status == "snoozed" and snooze_until is None:
        raise ValueError("snoozed needs snooze_until")
    rows = await db.execute_fetchall("SELECT queue_status FROM conversations WHERE id = ?", (conversation_id,))
    if not rows:
        return False
    before = rows[0][0]
    until = iso(snooze_until) if status == "snoozed" else None
    if status is None:
        await db.execute(
            "UPDATE conversations SET queue_status = NULL, snooze_until = NULL, state = 'bot' WHERE id = ?",
            (conversation_id,),
        )
    else:
        await db.execute(
            "UPDATE conversations SET queue_status = ?, snooze_until = ?,"
            " queued_at = CASE WHEN ? = 'open' AND coalesce(queue_status, '') != 'open' THEN ? ELSE queued_at END,"
            " state = CASE WHEN state = 'bot' THEN 'escalated' ELSE state END WHERE id = ?",
            (status, until, status, iso(now), conversation_id),
        )
    if before != status or status == "snoozed":
        await _escalations_follow(db, conversation_id, status, now)
        await append_feed(
            db,
            "conversation.status",
            now,
            {"conversation_id": conversation_id, "status": status, "snooze_until": until, "by": by},
            conversation_id=conversation_id,
        )
    if status == "open" and before != "open":
        item = await queue_item(db, conversation_id, mask)
        if item is not None:
            await append_feed(db, "conversation.queued", now, item_payload(item), conversation_id=conversation_id)
    return True


async def reopen(db, conversation_id: str, now: datetime, mask: Mask) -> bool:
    """A citizen wrote into a resolved, pending or snoozed conversation: open
    again, same assignee, and back in every open queue."""
    if await queued_status(db, conversation_id) not in WAITING:
        return False
    await set_queue_status(db, conversation_id, "open", by="citizen", now=now, snooze_until=None, mask=mask)
    return True


async def _turn(db, now: datetime) -> str:
    """When an agent's turn was taken, as text that sorts: in microseconds,
    and after every earlier turn even within one tick of the clock, so that
    round-robin never favours one agent on a tie."""
    stamp = now.astimezone(UTC).isoformat(timespec="microseconds")
    rows = await db.execute_fetchall("SELECT max(last_assigned_at) FROM agents")
    latest = rows[0][0]
    if latest is not None and latest >= stamp:
        stamp = (datetime.fromisoformat(latest) + timedelta(microseconds=1)).isoformat(timespec="microseconds")
    return stamp


async def assign(
    db,
    conversation_id: str,
    agent_id: str | None,
    *,
    by: str,
    now: datetime,
    note: str | None,
    team: str | None,
    only_if_unassigned: bool,
) -> bool:
    claim = " AND (assignee IS NULL OR assignee = ?2)" if only_if_unassigned else ""
    cursor = await db.execute(
        f"UPDATE conversations SET assignee = ?2, team = coalesce(?3, team) WHERE id = ?1{claim}",  # noqa: S608  constant clause
        (conversation_id, agent_id, team),
    )
    if cursor.rowcount == 0:
        return False
    if agent_id is not None:
        await db.execute("UPDATE agents SET last_assigned_at = ? WHERE id = ?", (await _turn(db, now), agent_id))
    if note:
        # A transfer's note stays in the conversation, for whoever takes it next.
        await add_agent_message(
            db, conversation_id, author=by, kind="note", text=note, now=now, notification_id=None, mentions=()
        )
    rows = await db.execute_fetchall("SELECT team FROM conversations WHERE id = ?", (conversation_id,))
    await append_feed(
        db,
        "conversation.assigned",
        now,
        {"conversation_id": conversation_id, "assignee": agent_id, "team": rows[0][0], "by": by, "note": note},
        conversation_id=conversation_id,
    )
    return True


_HAS_ROOM = (
    "a.presence = 'online' AND a.disabled = 0 AND a.capacity > (SELECT count(*) FROM conversations o"
    " WHERE o.assignee = a.id AND o.queue_status = 'open')"
)


async def assign_next(db, conversation_id: str, now: datetime) -> str | None:
    rows = await db.execute_fetchall(
        "SELECT team FROM conversations WHERE id = ? AND queue_status = 'open' AND assignee IS NULL",
        (conversation_id,),
    )
    if not rows:
        return None
    team = rows[0][0]
    # Round-robin: the agent with room whose last assignment is the oldest (never first).
    found = await db.execute_fetchall(
        f"SELECT a.id FROM agents a WHERE {_HAS_ROOM} AND (?1 IS NULL OR a.team = ?1)"  # noqa: S608  constant clause
        " ORDER BY a.last_assigned_at IS NOT NULL, a.last_assigned_at, a.id LIMIT 1",
        (team,),
    )
    if not found:
        return None
    agent_id = found[0][0]
    await assign(db, conversation_id, agent_id, by="auto", now=now, note=None, team=None, only_if_unassigned=True)
    return agent_id


async def waiting_unassigned(db, team: str | None, limit: int) -> list[str]:
    """Open unassigned conversations an agent of `team` may take, longest waiting first."""
    rows = await db.execute_fetchall(
        "SELECT id FROM conversations WHERE queue_status = 'open' AND assignee IS NULL"
        " AND (team IS NULL OR team = ?) ORDER BY priority DESC, coalesce(queued_at, last_message_at), rowid LIMIT ?",
        (team, limit),
    )
    return [row[0] for row in rows]


async def set_labels(db, conversation_id: str, labels: tuple[str, ...], *, by: str, now: datetime) -> bool:
    rows = await db.execute_fetchall("SELECT priority FROM conversations WHERE id = ?", (conversation_id,))
    if not rows:
        return False
    clean = sorted({label.replace(_UNIT, "").strip() for label in labels} - {""})
    await db.execute("DELETE FROM conversation_labels WHERE conversation_id = ?", (conversation_id,))
    await db.executemany(
        "INSERT INTO conversation_labels (conversation_id, label) VALUES (?, ?)",
        [(conversation_id, label) for label in clean],
    )
    await append_feed(
        db,
        "conversation.updated",
        now,
        {"conversation_id": conversation_id, "labels": clean, "priority": rows[0][0], "by": by},
        conversation_id=conversation_id,
    )
    return True


async def set_priority(db, conversation_id: str, priority: int, *, by: str, now: datetime) -> bool:
    if priority not in (0, 1, 2):
        raise ValueError(f"priority is 0, 1 or 2, not {priority!r}")
    cursor = await db.execute("UPDATE conversations SET priority = ? WHERE id = ?", (priority, conversation_id))
    if cursor.rowcount == 0:
        return False
    labels = await db.execute_fetchall(
        "SELECT label FROM conversation_labels WHERE conversation_id = ? ORDER BY label", (conversation_id,)
    )
    await append_feed(
        db,
        "conversation.updated",
        now,
        {"conversation_id": conversation_id, "labels": [row[0] for row in labels], "priority": priority, "by": by},
        conversation_id=conversation_id,
    )
    return True


async def set_presence(db, agent_id: str, presence: str, now: datetime) -> bool:
    if presence not in ("online", "away", "offline"):
        raise ValueError(f"unknown presence {presence!r}")
    cursor = await db.execute("UPDATE agents SET presence = ? WHERE id = ?", (presence, agent_id))
    if cursor.rowcount == 0:
        return False
    await append_feed(db, "presence", now, {"agent_id": agent_id, "presence": presence}, agent_id=agent_id)
    return True


async def set_capacity(db, agent_id: str, capacity: int) -> bool:
    if capacity < 0:
        raise ValueError(f"a capacity is 0 or more, not {capacity}")
    cursor = await db.execute("UPDATE agents SET capacity = ? WHERE id = ?", (capacity, agent_id))
    return cursor.rowcount > 0


async def agent_workload(db) -> list[dict]:
    rows = await db.execute_fetchall(
        "SELECT a.id, a.name, a.team, a.presence, a.capacity, (SELECT count(*) FROM conversations o"
        " WHERE o.assignee = a.id AND o.queue_status = 'open') AS open FROM agents a WHERE a.disabled = 0"
        " ORDER BY a.name, a.id"
    )
    return [
        {
            "agent_id": r["id"],
            "name": r["name"],
            "team": r["team"],
            "presence": r["presence"],
            "capacity": r["capacity"],
            "open": r["open"],
        }
        for r in rows
    ]


async def queue_load(db, team: str | None) -> tuple[int, int]:
    rows = await db.execute_fetchall(
        "SELECT (SELECT count(*) FROM conversations WHERE queue_status = 'open' AND assignee IS NULL"  # noqa: S608  constant clause
        " AND (?1 IS NULL OR team IS NULL OR team = ?1)),"
        f" (SELECT count(*) FROM agents a WHERE {_HAS_ROOM} AND (?1 IS NULL OR a.team = ?1))",
        (team,),
    )
    return rows[0][0], rows[0][1]


async def wake_snoozed(db, now: datetime, mask: Mask) -> int:
    rows = await db.execute_fetchall(
        "SELECT id FROM conversations WHERE queue_status = 'snoozed' AND snooze_until <= ?", (iso(now),)
    )
    for (conversation_id,) in rows:
        await set_queue_status(db, conversation_id, "open", by="system", now=now, snooze_until=None, mask=mask)
    return len(rows)


async def message_delivery_changed(db, notification_ids: list[str], now: datetime) -> int:
    count = 0
    for run in chunks(list(dict.fromkeys(notification_ids))):
        rows = await db.execute_fetchall(
            "SELECT m.id, m.conversation_id, n.status, n.reason, n.channel FROM conversation_messages m"  # noqa: S608  only ? placeholders are interpolated
            f" JOIN notifications n ON n.id = m.notification_id WHERE m.notification_id IN ({placeholders(run)})"
            " ORDER BY m.id",
            run,
        )
        for message_id, conversation_id, status, reason, channel in rows:
            await append_feed(
                db,
                "message.status",
                now,
                {
                    "conversation_id": conversation_id,
                    "message_id": message_id,
                    "delivery": {"status": status, "reason": reason, "channel": channel},
                },
                conversation_id=conversation_id,
            )
            count += 1
    return count
