"""Merging two citizen records of one person, and undoing it.

A merge moves every row that names the merged citizen to the kept one, and
each contact the kept one lacks; `moved` lists exactly those rows and the
columns' values before and after, so that an undo puts back what still sits
where the merge left it, and nothing else."""

from __future__ import annotations

from datetime import datetime

import orjson

from hub.store.port import CitizenMerge, MergeOutcome
from hub.store.sqlite.db import chunks, placeholders
from hub.store.sqlite.dossiers import iso
from hub.store.sqlite.feed import append_feed

# The citizen's own columns a merge may change (updated_at with them).
_FIELDS = ("full_name", "phone", "email", "id_number", "telegram_chat_id", "preferred_channels", "updated_at")
# Contact points and the ID number: moved when the kept citizen has none.
_CONTACTS = ("phone", "email", "telegram_chat_id", "id_number")

# table -> (its key, the column naming the citizen, rows that stay: those the
# kept citizen already has the same of, which a unique key allows once)
_TABLES: dict[str, tuple[str, str, str]] = {
    "consents": ("id", "citizen_id", ""),
    "conversations": ("id", "citizen_id", ""),
    "escalations": ("id", "citizen_id", ""),
    "follow_requests": ("id", "citizen_id", ""),
    "link_bindings": ("token_digest", "citizen_id", ""),
    "start_links": ("token_digest", "citizen_id", ""),
    "notifications": (
        "id",
        "citizen_id",
        "EXISTS (SELECT 1 FROM notifications k WHERE k.citizen_id = ?2"
        " AND k.source_event_id = t.source_event_id AND k.purpose = t.purpose)",
    ),
    "subscriptions": (
        "dossier_code",
        "citizen_id",
        "EXISTS (SELECT 1 FROM subscriptions k WHERE k.citizen_id = ?2 AND k.dossier_code = t.dossier_code)",
    ),
    "dossiers": ("code", "applicant_id", ""),
}


def _merge(row) -> CitizenMerge:
    return CitizenMerge(
        id=row["id"],
        kept_id=row["kept_id"],
        merged_id=row["merged_id"],
        agent_id=row["agent_id"],
        at=datetime.fromisoformat(row["at"]),
        reason=row["reason"],
        moved=orjson.loads(row["moved"]),
        undone_at=datetime.fromisoformat(row["undone_at"]) if row["undone_at"] else None,
        undone_by=row["undone_by"],
    )


async def _snapshot(db, citizen_id: str) -> dict:
    rows = list(
        await db.execute_fetchall(f"SELECT {', '.join(_FIELDS)} FROM citizens WHERE id = ?", (citizen_id,))  # noqa: S608  constant column list
    )
    return dict(zip(_FIELDS, rows[0], strict=True)) if rows else {}


async def _set(db, citizen_id: str, values: dict) -> None:
    if values:
        await db.execute(
            f"UPDATE citizens SET {', '.join(f'{c} = ?' for c in values)} WHERE id = ?",  # noqa: S608  column names from _FIELDS; values bound
            (*values.values(), citizen_id),
        )


async def _live_merge_of(db, citizen_ids: list[str]) -> bool:
    rows = list(
        await db.execute_fetchall(
            f"SELECT 1 FROM citizen_merges WHERE undone_at IS NULL AND merged_id IN ({placeholders(citizen_ids)})",  # noqa: S608  only ? placeholders are interpolated
            citizen_ids,
        )
    )
    return bool(rows)


async def _tell_consoles(db, conversation_ids: list[str], citizen_id: str, by: str, now: datetime) -> None:
    """The queued ones among these conversations changed citizen: consoles reload its panel."""
    for chunk in chunks(conversation_ids):
        rows = await db.execute_fetchall(
            f"SELECT c.id, c.priority, (SELECT json_group_array(l.label) FROM (SELECT label FROM conversation_labels"  # noqa: S608  only ? placeholders are interpolated
            f" WHERE conversation_id = c.id ORDER BY label) l) FROM conversations c"
            f" WHERE c.queue_status IS NOT NULL AND c.id IN ({placeholders(chunk)})",
            chunk,
        )
        for conversation_id, priority, labels in rows:
            payload = {
                "conversation_id": conversation_id,
                "labels": orjson.loads(labels),
                "priority": priority,
                "by": by,
                "citizen_id": citizen_id,
            }
            await append_feed(db, "conversation.updated", now, payload, conversation_id=conversation_id)


def _joined_preferences(kept: str, merged: str) -> str:
    channels = orjson.loads(kept)
    channels += [c for c in orjson.loads(merged) if c not in channels]
    return orjson.dumps(channels).decode()


async def merge(
    db, merge_id: str, kept_id: str, merged_id: str, *, agent_id: str, reason: str, now: datetime
) -> MergeOutcome:
    if kept_id == merged_id:
        return MergeOutcome("same")
    keep, gone = await _snapshot(db, kept_id), await _snapshot(db, merged_id)
    if not keep or not gone:
        return MergeOutcome("unknown")
    if await _live_merge_of(db, [kept_id, merged_id]):
        return MergeOutcome("merged_away")
    if keep["id_number"] and gone["id_number"] and keep["id_number"] != gone["id_number"]:
        return MergeOutcome("different_people")  # a national ID number names one person
    stamp = iso(now)
    to_keep = {c: gone[c] for c in _CONTACTS if keep[c] is None and gone[c] is not None}
    if not keep["full_name"].strip() and gone["full_name"].strip():
        to_keep["full_name"] = gone["full_name"]
    preferences = _joined_preferences(keep["preferred_channels"], gone["preferred_channels"])
    if preferences != keep["preferred_channels"]:
        to_keep["preferred_channels"] = preferences
    from_gone = {c: None for c in _CONTACTS if c in to_keep}
    if from_gone:
        # First off the merged record: the ID number is unique.
        await _set(db, merged_id, {**from_gone, "updated_at": stamp})
    if to_keep:
        await _set(db, kept_id, {**to_keep, "updated_at": stamp})
    kept_phone = to_keep.get("phone", keep["phone"])
    # A dossier's lookup digits are its applicant's phone: one whose applicant
    # would get another phone stays where it is (both are shown as this person).
    same_phone = gone["phone"] is None or gone["phone"] == kept_phone
    rows: dict[str, list] = {}
    apart: dict[str, list] = {}
    for table, (key, column, stays) in _TABLES.items():
        found = [
            (k, bool(stay))
            for k, stay in await db.execute_fetchall(
                f"SELECT t.{key}, {stays or '0'} FROM {table} t WHERE t.{column} = ?1",  # noqa: S608  names from _TABLES; values bound
                (merged_id, kept_id) if stays else (merged_id,),
            )
        ]
        moving = [k for k, stay in found if not stay and (table != "dossiers" or same_phone)]
        staying = [k for k, stay in found if stay or (table == "dossiers" and not same_phone)]
        for chunk in chunks(moving):
            await db.execute(
                f"UPDATE {table} SET {column} = ? WHERE {key} IN ({placeholders(chunk)})",  # noqa: S608  names from _TABLES; values bound
                (kept_id, *chunk),
            )
        if moving:
            rows[table] = moving
        if staying:
            apart[table] = staying
    moved = {
        "citizens": {
            kept_id: {"before": keep, "after": await _snapshot(db, kept_id)},
            merged_id: {"before": gone, "after": await _snapshot(db, merged_id)},
        },
        "rows": rows,
        "stayed": apart,
        "contacts_kept_apart": [c for c in _CONTACTS if gone[c] is not None and c not in to_keep],
    }
    await db.execute(
        "INSERT INTO citizen_merges (id, kept_id, merged_id, agent_id, at, reason, moved) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (merge_id, kept_id, merged_id, agent_id, stamp, reason, orjson.dumps(moved).decode()),
    )
    await _tell_consoles(db, rows.get("conversations", []), kept_id, agent_id, now)
    return MergeOutcome("merged", await get(db, merge_id))


async def undo(db, merge_id: str, *, agent_id: str, now: datetime) -> MergeOutcome:
    found = await get(db, merge_id)
    if found is None:
        return MergeOutcome("unknown")
    if found.undone_at is not None:
        return MergeOutcome("already_undone", found)
    if await _live_merge_of(db, [found.kept_id]):
        return MergeOutcome("blocked", found)
    kept_id, merged_id = found.kept_id, found.merged_id
    for table, keys in found.moved["rows"].items():
        key, column, _ = _TABLES[table]
        for chunk in chunks(keys):
            # Only what is still where the merge put it; OR IGNORE: a row the
            # merged citizen has gained the same of since stays.
            await db.execute(
                f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} = ? AND {key} IN ({placeholders(chunk)})",  # noqa: S608  names from _TABLES; values bound
                (merged_id, kept_id, *chunk),
            )
    # The kept citizen first: it gives the ID number back before the merged one takes it.
    for citizen_id in (kept_id, merged_id):
        states = found.moved["citizens"][citizen_id]
        before, after = states["before"], states["after"]
        now_values = await _snapshot(db, citizen_id)
        await _set(
            db,
            citizen_id,
            {c: before[c] for c in _FIELDS if before[c] != after[c] and now_values.get(c) == after[c]},
        )
    await db.execute(
        "UPDATE citizen_merges SET undone_at = ?, undone_by = ? WHERE id = ?", (iso(now), agent_id, merge_id)
    )
    await _tell_consoles(db, found.moved["rows"].get("conversations", []), merged_id, agent_id, now)
    return MergeOutcome("undone", await get(db, merge_id))


async def get(db, merge_id: str) -> CitizenMerge | None:
    rows = list(await db.execute_fetchall("SELECT * FROM citizen_merges WHERE id = ?", (merge_id,)))
    return _merge(rows[0]) if rows else None


async def of_citizen(db, citizen_id: str) -> list[CitizenMerge]:
    rows = await db.execute_fetchall(
        "SELECT * FROM citizen_merges WHERE kept_id = ?1 OR merged_id = ?1 ORDER BY at, id", (citizen_id,)
    )
    return [_merge(row) for row in rows]
