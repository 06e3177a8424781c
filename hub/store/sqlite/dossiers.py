"""Dossiers, citizens and status changes in SQLite."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, overload

import orjson

from hub.store.port import (
    ApplicantData,
    DossierData,
    DossierLookup,
    StatusChange,
    StatusChangeResult,
)
from hub.store.sqlite.db import placeholders
from models.dossier import Dossier, DossierStatus, TimelineEntry, check_transition
from models.errors import Conflict
from models.events import DossierRegistered, DossierStatusChanged, DossierUpdated, Message, new_id
from models.timeutil import utcnow

STATUSES = {s.value: s for s in DossierStatus}


@overload
def iso(moment: datetime) -> str: ...
@overload
def iso(moment: None) -> None: ...
@overload
def iso(moment: datetime | None) -> str | None: ...
def iso(moment: datetime | None) -> str | None:
    """UTC, so that stored times sort as text."""
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


@overload
def from_iso(text: str) -> datetime: ...
@overload
def from_iso(text: None) -> None: ...
@overload
def from_iso(text: str | None) -> datetime | None: ...
def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


async def insert_outbox(db, messages: Sequence[Message]) -> None:
    now = iso(utcnow())
    await db.executemany(
        "INSERT INTO outbox (message_id, type, key, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        [(m.message_id, type(m).__name__, m.key, orjson.dumps(m.to_dict()).decode(), now) for m in messages],
    )


def same_name(a: str, b: str) -> bool:
    """Two spellings of one name: case, spacing and Unicode composition aside."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


async def _find_person(db, applicant: ApplicantData):
    """The person a dossier's applicant is, or None for someone new.

    A national ID number names a person. Without one, a phone or an email is
    only a contact point that families share: the person is the one with the
    same name at that contact (or a contact nobody has named yet, someone who
    only wrote to us from it). Someone with another ID number is someone else."""
    if applicant.id_number:
        rows = await db.execute_fetchall("SELECT * FROM citizens WHERE id_number = ?", (applicant.id_number,))
        if rows:
            return rows[0]
    for column, value in (("phone", applicant.phone), ("email", applicant.email)):
        if not value:
            continue
        rows = await db.execute_fetchall(
            f"SELECT * FROM citizens WHERE {column} = ? ORDER BY created_at, id",  # noqa: S608  column name from a fixed table; values bound
            (value,),
        )
        for row in rows:
            if applicant.id_number and row["id_number"] and row["id_number"] != applicant.id_number:
                continue
            if same_name(row["full_name"], applicant.full_name) or not row["full_name"].strip():
                return row
    return None


async def upsert_citizen(db, applicant: ApplicantData) -> str:
    """The applicant's person: found by ID number, or by name at a contact
    point, else created. What a person gave once is kept: a later dossier adds
    what is missing (a new phone of the same person too) but never renames
    them or takes their ID number, and nobody else's record changes because
    they share a phone or an email."""
    now = iso(utcnow())
    row = await _find_person(db, applicant)
    if row is None:
        citizen_id = "c_" + new_id()[:16]
        await db.execute(
            "INSERT INTO citizens (id, full_name, phone, email, id_number, telegram_chat_id,"
            " preferred_channels, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                citizen_id,
                applicant.full_name,
                applicant.phone,
                applicant.email,
                applicant.id_number,
                applicant.telegram_chat_id,
                orjson.dumps(list(applicant.preferred_channels)).decode(),
                now,
                now,
            ),
        )
    else:
        citizen_id = row["id"]
        await db.execute(
            "UPDATE citizens SET full_name = CASE WHEN trim(full_name) = '' THEN ? ELSE full_name END,"
            " phone = coalesce(?, phone), email = coalesce(?, email),"
            " id_number = coalesce(id_number, ?), telegram_chat_id = coalesce(?, telegram_chat_id),"
            " preferred_channels = CASE WHEN ? = '[]' THEN preferred_channels ELSE ? END,"
            " updated_at = ? WHERE id = ?",
            (
                applicant.full_name,
                applicant.phone,
                applicant.email,
                applicant.id_number,
                applicant.telegram_chat_id,
                *[orjson.dumps(list(applicant.preferred_channels)).decode()] * 2,
                now,
                citizen_id,
            ),
        )
    if applicant.consents:
        recorded = utcnow().isoformat(timespec="milliseconds")
        # The one-stop-shop resends the same consents with every update of the
        # dossier: the ledger keeps each decision once.
        await db.executemany(
            "INSERT INTO consents (citizen_id, channel, granted, at, via, legal_basis, recorded_at)"
            " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM consents WHERE citizen_id = ?1"
            " AND channel = ?2 AND granted = ?3 AND at = ?4 AND via = ?5)",
            [
                (citizen_id, c.channel.value, int(c.granted), iso(c.at), c.via, c.legal_basis, recorded)
                # Within one request the times it gives order its records; across
                # requests, the order they arrived in.
                for c in sorted(applicant.consents, key=lambda c: c.at)
            ],
        )
    return citizen_id


async def upsert_with_events(db, data: DossierData) -> tuple[bool, tuple[str, ...], list[Message]]:
    """The upsert and the events it causes, in one transaction."""
    created, changed, events = await upsert_dossier(db, data)
    if events:
        await insert_outbox(db, events)
    return created, changed, events


async def upsert_dossier(db, data: DossierData) -> tuple[bool, tuple[str, ...], list[Message]]:
    """Returns (created, changed fields, events to publish)."""
    citizen_id = await upsert_citizen(db, data.applicant)
    rows = await db.execute_fetchall("SELECT * FROM dossiers WHERE code = ?", (data.code,))
    now = iso(utcnow())
    received_at = iso(data.received_at)
    fields = {
        "procedure": data.procedure,
        "agency": data.agency,
        "applicant_id": citizen_id,
        "applicant_name": data.applicant.full_name,
        "received_at": received_at,
        "due_at": iso(data.due_at),
    }
    if not rows:
        status = data.status or DossierStatus.SUBMITTED
        await db.execute(
            "INSERT INTO dossiers (code, procedure, agency, applicant_id, applicant_name, received_at, due_at,"
            " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (data.code, *fields.values(), status.value, now, now),
        )
        event = DossierRegistered(
            code=data.code,
            procedure=data.procedure,
            agency=data.agency,
            applicant_id=citizen_id,
            status=status.value,
            received_at=received_at,
            due_at=fields["due_at"],
            notify=data.notify,
        )
        return True, (), [event]
    current = rows[0]
    if data.status is not None and data.status.value != current["status"]:
        current_status = DossierStatus(current["status"])
        raise Conflict(
            f"Hồ sơ đang ở trạng thái '{current_status.value}' ({current_status.label}); đổi trạng thái bằng "
            f"POST /api/v1/dossiers/{data.code}/events, không dùng PUT."
        )
    changed = tuple(name for name, value in fields.items() if current[name] != value)
    if not changed:
        return False, (), []
    await db.execute(
        "UPDATE dossiers SET " + ", ".join(f"{name} = ?" for name in changed) + ", updated_at = ? WHERE code = ?",  # noqa: S608  column names from the fixed field list; values bound
        (*[fields[n] for n in changed], now, data.code),
    )
    return False, changed, [DossierUpdated(code=data.code, changed=changed)]


async def apply_status_changes(db, changes: list[StatusChange]) -> tuple[list[StatusChangeResult], list]:
    """Validate and record a batch in one transaction, in arrival order, so that
    many concurrent events share one durable commit."""
    ids = list({c.event_id for c in changes})
    codes = list({c.code for c in changes})
    existing = {
        row["event_id"]: row
        for row in await db.execute_fetchall(
            f"SELECT * FROM dossier_events WHERE event_id IN ({placeholders(ids)})",  # noqa: S608  only ? placeholders are interpolated
            ids,
        )
    }
    dossiers = {
        row["code"]: dict(row)
        for row in await db.execute_fetchall(
            f"SELECT code, status, applicant_id, due_at FROM dossiers WHERE code IN ({placeholders(codes)})",  # noqa: S608  only ? placeholders are interpolated
            codes,
        )
    }
    recorded_at = utcnow().replace(microsecond=0)  # as stored, so that a replay answers the same
    now = iso(recorded_at)
    results, event_rows, outbox = [], [], []
    for change in changes:
        if change.event_id in existing:
            results.append(_replay(existing[change.event_id], change))
            continue
        dossier = dossiers.get(change.code)
        if dossier is None:
            results.append(StatusChangeResult("not_found"))
            continue
        current = STATUSES[dossier["status"]]
        if not check_transition(current, change.status):
            results.append(StatusChangeResult("illegal", previous_status=current, current_status=current))
            continue
        at = iso(change.at)
        row: dict[str, Any] = {
            "event_id": change.event_id,
            "code": change.code,
            "previous_status": current.value,
            "status": change.status.value,
            "at": at,
            "actor": change.actor,
            "note": change.note,
            "due_at": iso(change.due_at),
            "recorded_at": now,
            "result": orjson.dumps(change.result).decode() if change.result else None,
            "notify": int(change.notify),
        }
        event_rows.append(tuple(row.values()))
        existing[change.event_id] = row
        previous_due_at = dossier["due_at"]
        dossier["status"] = change.status.value
        if change.due_at is not None:
            dossier["due_at"] = row["due_at"]
        dossier["touched"] = True
        outbox.append(
            DossierStatusChanged(
                code=change.code,
                event_id=change.event_id,
                previous_status=current.value,
                status=change.status.value,
                at=at,
                actor=change.actor,
                note=change.note,
                due_at=row["due_at"],
                applicant_id=dossier["applicant_id"],
                previous_due_at=previous_due_at,
                result=change.result,
                notify=change.notify,
            )
        )
        # Built from what was written, not parsed back: this is the ingest hot path.
        results.append(
            StatusChangeResult(
                "accepted",
                entry=TimelineEntry(
                    status=change.status,
                    at=change.at.replace(microsecond=0),
                    actor=change.actor,
                    note=change.note,
                    event_id=change.event_id,
                ),
                previous_status=current,
                current_status=change.status,
                recorded_at=recorded_at,
                notified=change.notify,
            )
        )
    if event_rows:
        await db.executemany(
            "INSERT INTO dossier_events (event_id, code, previous_status, status, at, actor, note, due_at,"
            " recorded_at, result, notify) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        await db.executemany(
            "UPDATE dossiers SET status = ?, due_at = ?, updated_at = ? WHERE code = ?",
            [(d["status"], d["due_at"], now, code) for code, d in dossiers.items() if d.get("touched")],
        )
        await insert_outbox(db, outbox)
    return results, outbox


def _replay(row, change: StatusChange) -> StatusChangeResult:
    if row["code"] != change.code or row["status"] != change.status.value:
        return StatusChangeResult(
            "event_id_reused",
            previous_status=DossierStatus(row["previous_status"]),
            current_status=DossierStatus(row["status"]),
        )
    return _result_from_row(row, "duplicate")


def _result_from_row(row, outcome: str) -> StatusChangeResult:
    return StatusChangeResult(
        outcome,
        entry=_timeline_entry(row),
        previous_status=DossierStatus(row["previous_status"]),
        current_status=DossierStatus(row["status"]),
        recorded_at=from_iso(row["recorded_at"]),
        notified=bool(row["notify"]),
    )


def _timeline_entry(row) -> TimelineEntry:
    return TimelineEntry(
        status=DossierStatus(row["status"]),
        at=from_iso(row["at"]),
        actor=row["actor"],
        note=row["note"],
        event_id=row["event_id"],
    )


# One round trip: kiosk, phone and chat lookups are the hot read path.
_DOSSIER_SQL = """
SELECT d.*, coalesce(d.applicant_name, c.full_name) AS applicant_name, c.phone AS applicant_phone,
       (SELECT json_group_array(json_array(e.at, e.recorded_at, e.event_id, e.status, e.actor, e.note))
          FROM dossier_events e WHERE e.code = d.code) AS timeline
  FROM dossiers d JOIN citizens c ON c.id = d.applicant_id
 WHERE d.code = ?"""


_PHONE_SQL = "SELECT c.phone FROM dossiers d JOIN citizens c ON c.id = d.applicant_id WHERE d.code = ?"


async def applicant_phone(db, code: str) -> str | None:
    rows = await db.execute_fetchall(_PHONE_SQL, (code,))
    return rows[0]["phone"] if rows else None


async def lookup_dossier(db, code: str) -> DossierLookup | None:
    rows = await db.execute_fetchall(_DOSSIER_SQL, (code,))
    if not rows:
        return None
    row = rows[0]
    entries = sorted(orjson.loads(row["timeline"]))  # by at, then recorded_at
    timeline = tuple(
        TimelineEntry(status=DossierStatus(status), at=from_iso(at), actor=actor, note=note, event_id=event_id)
        for at, _, event_id, status, actor, note in entries
    )
    dossier = Dossier(
        code=row["code"],
        procedure=row["procedure"],
        agency=row["agency"],
        applicant_id=row["applicant_id"],
        received_at=from_iso(row["received_at"]),
        due_at=from_iso(row["due_at"]),
        status=DossierStatus(row["status"]),
        timeline=timeline,
    )
    return DossierLookup(dossier, row["applicant_name"], row["applicant_phone"])
