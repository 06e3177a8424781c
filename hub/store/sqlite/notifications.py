"""Notifications, their attempts, followers and what recording providers kept."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from hub.store.port import DossierTargets, Waiting
from hub.store.sqlite.db import chunks, placeholders
from models.notifications import (
    KEPT_TEMPLATES,
    RANK,
    STATUS_NEWS,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    Progress,
)

log = logging.getLogger(__name__)

_STATUSES = {s.value: s for s in DeliveryStatus}
_RANK_SQL = "CASE status " + " ".join(f"WHEN '{s.value}' THEN {r}" for s, r in RANK.items()) + " END"


def _dumps(value) -> str:
    return orjson.dumps(value).decode()


# Positional reads: by-name access on sqlite3.Row was the notifier's top cost.
COLUMNS = (
    "id, citizen_id, purpose, source_event_id, template, context, status, dossier_code, broadcast_id,"
    " urgent, channel, tried, tries, current_attempt, next_at, created_at, updated_at,"
    " legal_basis, reason, event_at, superseded_by"
)


def notification_from_row(row, attempts=()) -> Notification:
    tried = row[11]
    return Notification(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        orjson.loads(row[5]),
        _STATUSES[row[6]],
        row[7],
        row[8],
        bool(row[9]),
        row[10],
        () if tried == "[]" else tuple(orjson.loads(tried)),
        row[12],
        row[13],
        row[14],
        row[15],
        row[16],
        tuple(attempts),
        row[17],
        row[18],
        row[19],
        row[20],
    )


def attempt_from_row(row) -> DeliveryAttempt:
    return DeliveryAttempt(
        id=row["id"],
        notification_id=row["notification_id"],
        channel=row["channel"],
        provider=row["provider"],
        status=DeliveryStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        provider_ref=row["provider_ref"],
        error=row["error"],
        address=row["address"],
        subject=row["subject"],
        text=row["text"],
    )


async def insert_notifications(db, items: list[Notification], now: str) -> int:
    before = db.total_changes
    await db.executemany(
        "INSERT OR IGNORE INTO notifications (id, citizen_id, purpose, source_event_id, template, context,"
        " status, dossier_code, broadcast_id, urgent, next_at, created_at, updated_at, legal_basis, event_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                n.id,
                n.citizen_id,
                n.purpose,
                n.source_event_id,
                n.template,
                _dumps(n.context),
                n.status.value,
                n.dossier_code,
                n.broadcast_id,
                int(n.urgent),
                n.next_at,
                now,
                now,
                n.legal_basis,
                n.event_at,
            )
            for n in items
        ],
    )
    added = db.total_changes - before
    news = [n for n in items if n.purpose in STATUS_NEWS and n.dossier_code]
    if added and news:
        await supersede(db, news, now)
    return added


# Not yet handed to a provider: these may still be replaced by newer news.
_PENDING = ("queued", "deferred", "temporary_failure")


def _order(row) -> tuple[int, float, int]:
    # The dossier's own sequence first: the order its status changes were
    # recorded, which is what its status follows, whatever order the bus
    # delivers them in and whatever `at` a client gave. The registration has
    # no event row and comes first. Then the event's time, then planning order.
    at = row["event_at"]
    moment = float("-inf")
    if at:
        parsed = datetime.fromisoformat(at)
        moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return (-1 if row["seq"] is None else row["seq"]), moment, row["rowid"]


async def supersede(db, news: list[Notification], now: str) -> list[str]:
    """Within the transaction that planned `news`: for each (dossier, citizen)
    they touch, every pending status notice older than the newest one (in the
    order the dossier's changes were recorded, not the order the bus delivered
    them) is cancelled as superseded by it. A result with collection details
    is kept. Idempotent: a redelivered event inserts nothing and changes no
    order. One read per 500 dossiers, not one per dossier: it runs inside the
    writer's transaction, which every other write waits for."""
    pairs = set((n.dossier_code, n.citizen_id) for n in news)
    codes = list(dict.fromkeys(code for code, _ in pairs))
    by_pair: dict[tuple, list] = defaultdict(list)
    for chunk in chunks(codes):
        rows = await db.execute_fetchall(
            f"SELECT n.rowid, n.id, n.dossier_code, n.citizen_id, n.status, n.template, n.event_at,"  # noqa: S608  constant placeholders only
            f" e.rowid AS seq FROM notifications n LEFT JOIN dossier_events e ON e.event_id = n.source_event_id"
            f" WHERE n.dossier_code IN ({placeholders(chunk)}) AND n.purpose IN ({placeholders(list(STATUS_NEWS))})",
            (*chunk, *STATUS_NEWS),
        )
        for row in rows:
            if (row["dossier_code"], row["citizen_id"]) in pairs:
                by_pair[(row["dossier_code"], row["citizen_id"])].append(row)
    updates = []
    for (code, _), rows in by_pair.items():
        if len(rows) < 2:
            continue
        newest = max(rows, key=_order)
        for r in rows:
            if r["id"] != newest["id"] and r["status"] in _PENDING and r["template"] not in KEPT_TEMPLATES:
                updates.append((newest["id"], now, r["id"]))
                log.info(
                    "notification cancelled: superseded",
                    extra={
                        "notification": r["id"],
                        "dossier": code,
                        "reason": "superseded",
                        "superseded_by": newest["id"],
                    },
                )
    if updates:
        await db.executemany(
            "UPDATE notifications SET status = 'cancelled', reason = 'superseded', superseded_by = ?,"
            " next_at = NULL, updated_at = ? WHERE id = ? AND status IN ('queued', 'deferred', 'temporary_failure')",
            updates,
        )
    return [one for _, _, one in updates]


async def dossier_targets(db, codes: list[str]) -> dict[str, DossierTargets]:
    if not codes:
        return {}
    rows = await db.execute_fetchall(
        f"SELECT d.code, d.procedure, d.agency, d.status, d.received_at, d.due_at,"  # noqa: S608  only ? placeholders are interpolated
        f" d.applicant_id AS citizen_id, coalesce(d.applicant_name, c.full_name) AS full_name"
        f" FROM dossiers d JOIN citizens c ON c.id = d.applicant_id"
        f" WHERE d.code IN ({placeholders(codes)})",
        codes,
    )
    found = {
        row["code"]: DossierTargets(
            code=row["code"],
            procedure=row["procedure"],
            agency=row["agency"],
            status=row["status"],
            received_at=row["received_at"],
            due_at=row["due_at"],
            recipients=[(row["citizen_id"], row["full_name"])],
        )
        for row in rows
    }
    for row in await db.execute_fetchall(
        f"SELECT s.dossier_code, s.citizen_id, c.full_name FROM subscriptions s"  # noqa: S608  only ? placeholders are interpolated
        f" JOIN citizens c ON c.id = s.citizen_id WHERE s.dossier_code IN ({placeholders(codes)})"
        f" ORDER BY s.created_at",
        codes,
    ):
        target = found[row["dossier_code"]]
        if all(cid != row["citizen_id"] for cid, _ in target.recipients):
            target.recipients.append((row["citizen_id"], row["full_name"]))
    return found


async def due_notifications(db, now: float, limit: int) -> list[Notification]:
    rows = await db.execute_fetchall(
        f"SELECT {COLUMNS} FROM notifications WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at LIMIT ?",  # noqa: S608  constant SQL fragments; values bound
        (now, limit),
    )
    return [notification_from_row(row) for row in rows]


async def next_due(db) -> float | None:
    rows = await db.execute_fetchall("SELECT min(next_at) FROM notifications WHERE next_at IS NOT NULL")
    return rows[0][0]


async def backlog(db) -> dict[str, Waiting]:
    rows = await db.execute_fetchall(
        "SELECT status, count(*), min(created_at) FROM notifications WHERE next_at IS NOT NULL GROUP BY status"
    )
    return {row[0]: Waiting(row[1], row[2]) for row in rows}


async def claim(db, ids: list[str], now: float, lease: float) -> set[str]:
    """Compare-and-set on next_at: whoever moves it past now owns the row for
    the lease, so two workers never send the same notification at once."""
    if not ids:
        return set()
    rows = await db.execute_fetchall(
        f"UPDATE notifications SET next_at = ? WHERE id IN ({placeholders(ids)})"  # noqa: S608  only ? placeholders are interpolated
        f" AND next_at IS NOT NULL AND next_at <= ? RETURNING id",
        (now + lease, *ids, now),
    )
    return {row[0] for row in rows}


async def insert_attempts(db, attempts: list[DeliveryAttempt]) -> None:
    # OR IGNORE: a send that resumes after a crash reuses its attempt (and idempotency key).
    await db.executemany(
        "INSERT OR IGNORE INTO notification_attempts (id, notification_id, channel, provider, status,"
        " provider_ref, error, created_at, updated_at, address, subject, text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                a.id,
                a.notification_id,
                a.channel,
                a.provider,
                a.status.value,
                a.provider_ref,
                a.error,
                a.created_at,
                a.updated_at,
                a.address,
                a.subject,
                a.text,
            )
            for a in attempts
        ],
    )


async def update_attempts(db, attempts: list[DeliveryAttempt], now: str) -> None:
    await db.executemany(
        f"UPDATE notification_attempts SET status = ?, provider = ?, provider_ref = coalesce(?, provider_ref),"  # noqa: S608  constant SQL fragments; values bound
        f" error = coalesce(?, error), updated_at = ? WHERE id = ? AND {_RANK_SQL} < ?",
        [(a.status.value, a.provider, a.provider_ref, a.error, now, a.id, a.status.rank) for a in attempts],
    )


async def cancelled_among(db, ids: list[str]) -> set[str]:
    """Those of `ids` cancelled meanwhile (superseded while a round decided)."""
    found: set[str] = set()
    for chunk in chunks(ids):
        rows = await db.execute_fetchall(
            f"SELECT id FROM notifications WHERE id IN ({placeholders(chunk)}) AND status = 'cancelled'",  # noqa: S608  only ? placeholders are interpolated
            chunk,
        )
        found.update(row[0] for row in rows)
    return found


# A reason says why a notice is not (yet) sent: none once it is on its way.
_NO_REASON = ("sending", "sent", "delivered")


async def update_notifications(db, items: Sequence[Progress], now: str) -> None:
    # Delivered and cancelled are the end: no late decision undoes them.
    await db.executemany(
        "UPDATE notifications SET status = ?, channel = ?, tried = ?, tries = ?, current_attempt = ?,"
        " next_at = ?, reason = ?, updated_at = ? WHERE id = ? AND status NOT IN ('delivered', 'cancelled')",
        [
            (
                n.status.value,
                n.channel,
                _dumps(list(n.tried)),
                n.tries,
                n.current_attempt,
                n.next_at,
                None if n.status.value in _NO_REASON else n.reason,
                now,
                n.id,
            )
            for n in items
        ],
    )


async def resend(db, notification_id: str, now: float, stamp: str) -> Notification | None:
    """Routed again from the start with today's consents: status queued, no
    channel given up, no tries, due at `now`. None: no such notification, or
    it is being handed to a provider right now (the caller says so)."""
    rows = await db.execute_fetchall(
        "UPDATE notifications SET status = 'queued', channel = NULL, tried = '[]', tries = 0,"
        " current_attempt = NULL, next_at = ?, reason = NULL, superseded_by = NULL, updated_at = ?"
        " WHERE id = ? AND status != 'sending' RETURNING id",
        (now, stamp, notification_id),
    )
    if not rows:
        return None
    found = await get_notifications(db, [notification_id])
    return found[0] if found else None


async def pending_notifications(db, limit: int) -> list[Notification]:
    """Not sent, and why: every notice waiting (deferred, rate limited,
    retrying) or given up with a reason, latest first."""
    rows = await db.execute_fetchall(
        f"SELECT {COLUMNS} FROM notifications WHERE reason IS NOT NULL ORDER BY updated_at DESC, rowid DESC LIMIT ?",  # noqa: S608  constant column list
        (limit,),
    )
    return [notification_from_row(row) for row in rows]


async def attempts_by_ref(db, provider: str, refs: list[str]) -> list[tuple[DeliveryAttempt, Notification]]:
    if not refs:
        return []
    rows = await db.execute_fetchall(
        f"SELECT a.*, n.id AS n_id FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id"  # noqa: S608  only ? placeholders are interpolated
        f" WHERE a.provider = ? AND a.provider_ref IN ({placeholders(refs)})",
        (provider, *refs),
    )
    if not rows:
        return []
    ids = list({row["n_id"] for row in rows})
    notes = {
        row[0]: notification_from_row(row)
        for row in await db.execute_fetchall(
            f"SELECT {COLUMNS} FROM notifications WHERE id IN ({placeholders(ids)})",  # noqa: S608  constant column list and ? placeholders only
            ids,
        )
    }
    return [(attempt_from_row(row), notes[row["n_id"]]) for row in rows]


async def list_notifications(
    db, *, dossier: str | None, citizen: str | None, broadcast: str | None, limit: int
) -> list[Notification]:
    column, value = next(
        (c, v)
        for c, v in (("dossier_code", dossier), ("citizen_id", citizen), ("broadcast_id", broadcast))
        if v is not None
    )
    rows = await db.execute_fetchall(
        f"SELECT {COLUMNS} FROM notifications WHERE {column} = ? ORDER BY created_at, rowid LIMIT ?",  # noqa: S608  column name from a fixed table; values bound
        (value, limit),
    )
    return await with_attempts(db, rows)


async def get_notifications(db, ids: list[str]) -> list[Notification]:
    if not ids:
        return []
    rows = await db.execute_fetchall(f"SELECT {COLUMNS} FROM notifications WHERE id IN ({placeholders(ids)})", ids)  # noqa: S608  constant column list and ? placeholders only
    return await with_attempts(db, rows)


async def with_attempts(db, rows) -> list[Notification]:
    ids = [row[0] for row in rows]
    attempts: dict[str, list[DeliveryAttempt]] = {}
    for chunk in chunks(ids):
        for row in await db.execute_fetchall(
            f"SELECT * FROM notification_attempts WHERE notification_id IN ({placeholders(chunk)})"  # noqa: S608  only ? placeholders are interpolated
            f" ORDER BY created_at, rowid",
            chunk,
        ):
            attempts.setdefault(row["notification_id"], []).append(attempt_from_row(row))
    return [notification_from_row(row, attempts.get(row[0], ())) for row in rows]


async def overdue_without_apology(db, now: str, limit: int, since: str | None = None) -> list[str]:
    rows = await db.execute_fetchall(
        "SELECT code FROM dossiers d WHERE d.due_at IS NOT NULL AND d.due_at < ? AND d.due_at >= ?"
        " AND d.status NOT IN ('returned', 'rejected', 'withdrawn', 'result_ready')"
        " AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.source_event_id = 'overdue:' || d.code)"
        " ORDER BY d.due_at LIMIT ?",
        (now, since or "", limit),
    )
    return [row[0] for row in rows]


async def record_messages(db, rows: list[tuple]) -> None:
    await db.executemany(
        "INSERT OR IGNORE INTO recorded_messages (attempt_id, provider, channel, address, subject, body, html,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def recorded_after(db, after_id: int, limit: int) -> list[dict]:
    rows = await db.execute_fetchall(
        "SELECT * FROM recorded_messages WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
    )
    return [dict(row) for row in rows]


async def last_recorded(db, count: int) -> list[dict]:
    rows = await db.execute_fetchall(
        "SELECT * FROM (SELECT * FROM recorded_messages ORDER BY id DESC LIMIT ?) ORDER BY id", (count,)
    )
    return [dict(row) for row in rows]


# What was sent on every provider, for `tongdai outbox tail`: the attempt's
# rowid is the cursor, its status as it stands when read.
_SENT = (
    "SELECT a.rowid AS id, a.created_at, a.channel, a.address, a.provider, a.status, a.subject, a.text, a.error,"
    " n.purpose, n.dossier_code FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id"
)


async def sent_after(db, after_id: int, limit: int) -> list[dict]:
    rows = await db.execute_fetchall(_SENT + " WHERE a.rowid > ? ORDER BY a.rowid LIMIT ?", (after_id, limit))
    return [dict(row) for row in rows]


async def last_sent(db, count: int) -> list[dict]:
    rows = await db.execute_fetchall(
        f"SELECT * FROM ({_SENT} ORDER BY a.rowid DESC LIMIT ?) ORDER BY id",  # noqa: S608  constant SQL; values bound
        (count,),
    )
    return [dict(row) for row in rows]


async def purge_sent_texts(db, before: str) -> int:
    """Blanks what attempts sent before `before` (the rows, their status and
    masked address stay, for the record) and drops what recording providers
    kept: the texts name people and their affairs."""
    blanked = await db.execute_fetchall(
        "UPDATE notification_attempts SET text = NULL, subject = NULL"
        " WHERE created_at < ? AND text IS NOT NULL RETURNING 1",
        (before,),
    )
    dropped = await db.execute_fetchall("DELETE FROM recorded_messages WHERE created_at < ? RETURNING 1", (before,))
    return len(blanked) + len(dropped)


async def start_sending(db, updates: Sequence[Progress], attempts: list[DeliveryAttempt], now: str) -> set[str]:
    """The sender's attempts and progress, except for notifications cancelled meanwhile (returned)."""
    gone = await cancelled_among(db, [u.id for u in updates])
    await update_notifications(db, updates, now)
    await insert_attempts(db, [a for a in attempts if a.notification_id not in gone])
    return gone


async def record_progress(db, updates: Sequence[Progress], attempts: list[DeliveryAttempt], now: str) -> None:
    await update_attempts(db, attempts, now)
    await update_notifications(db, updates, now)
