"""Follows asked for through the API: pending until the owner of the address
confirms, and capped per dossier so that nobody can make us send codes to
addresses without end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.store.port import FollowOutcome, FollowRequest
from hub.store.sqlite import citizens, notifications
from hub.store.sqlite.dossiers import from_iso, iso
from models.citizen import Channel, ConsentRecord
from models.events import new_id
from models.notifications import Notification
from models.timeutil import utcnow


def _request(row) -> FollowRequest:
    return FollowRequest(
        id=row["id"],
        code=row["dossier_code"],
        citizen_id=row["citizen_id"],
        channel=Channel(row["channel"]),
        state=row["state"],
        expires_at=from_iso(row["expires_at"]),
    )


async def _live(db, code: str, citizen_id: str, channel: Channel, now: str):
    rows = await db.execute_fetchall(
        "SELECT * FROM follow_requests WHERE dossier_code = ? AND citizen_id = ? AND channel = ?"
        " AND state = 'pending' AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
        (code, citizen_id, channel.value, now),
    )
    return rows[0] if rows else None


async def request_follow(
    db,
    code: str,
    channel: Channel,
    address: str | int,
    *,
    limit: int,
    expires_at: datetime,
    confirmation: Callable[[str, str], Notification],
) -> tuple[FollowOutcome, bool]:
    """(outcome, whether a notification was queued)."""
    now = iso(utcnow())
    citizen_id = await citizens.find_contact(db, channel, address)
    if citizen_id is not None:
        consent = await citizens.current_consent(db, citizen_id, channel)
        if consent is False:
            return FollowOutcome("withdrawn"), False
        followed = await db.execute_fetchall(
            "SELECT 1 FROM subscriptions WHERE dossier_code = ? AND citizen_id = ?", (code, citizen_id)
        )
        if followed and consent:
            return FollowOutcome("following"), False
        live = await _live(db, code, citizen_id, channel, now)
        if live is not None:
            return FollowOutcome("pending", _request(live)), False
    # Followers and live requests together: every request costs us a message.
    rows = await db.execute_fetchall(
        "SELECT (SELECT count(*) FROM subscriptions WHERE dossier_code = ?1)"
        " + (SELECT count(*) FROM follow_requests WHERE dossier_code = ?1 AND state = 'pending' AND expires_at > ?2)",
        (code, now),
    )
    if rows[0][0] >= limit:
        return FollowOutcome("full"), False
    if citizen_id is None:
        citizen_id = await citizens.ensure_contact(db, channel, address)
    request = FollowRequest(
        id="f_" + new_id(), code=code, citizen_id=citizen_id, channel=channel, state="pending", expires_at=expires_at
    )
    await db.execute(
        "INSERT INTO follow_requests (id, dossier_code, citizen_id, channel, state, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, 'pending', ?, ?)",
        (request.id, code, citizen_id, channel.value, now, iso(expires_at)),
    )
    added = await notifications.insert_notifications(db, [confirmation(request.id, citizen_id)], now)
    return FollowOutcome("requested", request), bool(added)


async def live_follow_request(db, codes: list[str], channel: Channel, address: str | int) -> FollowRequest | None:
    citizen_id = await citizens.find_contact(db, channel, address)
    if citizen_id is None:
        return None
    now = iso(utcnow())
    for code in dict.fromkeys(codes):
        row = await _live(db, code, citizen_id, channel, now)
        if row is not None:
            return _request(row)
    return None


async def get_follow_request(db, request_id: str) -> FollowRequest | None:
    rows = await db.execute_fetchall("SELECT * FROM follow_requests WHERE id = ?", (request_id,))
    return _request(rows[0]) if rows else None


async def confirm_follow(db, request_id: str, consent: ConsentRecord) -> FollowOutcome:
    found = await get_follow_request(db, request_id)
    if found is None:
        return FollowOutcome("not_found")
    if found.state == "confirmed":
        return FollowOutcome("following", found)  # the link opened twice
    if found.expires_at <= utcnow():
        return FollowOutcome("expired", found)
    # A follow never says yes for someone who said no: only they can, from the address.
    if await citizens.current_consent(db, found.citizen_id, found.channel) is False:
        return FollowOutcome("withdrawn", found)
    await citizens.add_consent(db, found.citizen_id, consent)
    await citizens.prefer_channel(db, found.citizen_id, found.channel)
    await citizens.follow(db, found.code, found.citizen_id, found.channel, "api")
    await db.execute(
        "UPDATE follow_requests SET state = 'confirmed', confirmed_at = ? WHERE id = ?", (iso(utcnow()), request_id)
    )
    return FollowOutcome("following", found)
