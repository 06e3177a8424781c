"""Broadcasts: one announcement to many citizens, through the same engine as
dossier notices, so consent, quiet hours and rate limits hold alike.

Loading is idempotent: the broadcast id comes from its content, each recipient
is one notification keyed by (broadcast, citizen), so running the same
command again after a crash carries on instead of starting over."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Callable, Iterable
from typing import Protocol

import orjson

from channels.registry import by_address_field
from hub.store.port import Broadcast, BroadcastStore, CitizenStore
from models.events import new_id
from models.notifications import BROADCAST, FINAL, DeliveryStatus, Notification

# A recipient row names a citizen by id or by one of their addresses, matched in this order.
ADDRESS_COLUMNS = by_address_field()
CONTACT_FIELDS = ("citizen_id", *ADDRESS_COLUMNS)
CHUNK = 500


class BroadcastLoading(BroadcastStore, CitizenStore, Protocol):
    """Recipients are found among citizens and added to the broadcast."""


def broadcast_id(template: str, context: dict, recipients: bytes) -> str:
    digest = hashlib.sha256(
        template.encode() + b"\0" + orjson.dumps(context, option=orjson.OPT_SORT_KEYS) + b"\0" + recipients
    )
    return "b_" + digest.hexdigest()[:16]


def read_csv(data: bytes) -> list[dict]:
    text = data.decode("utf-8-sig")  # Excel writes a BOM
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and not any(f in rows[0] for f in CONTACT_FIELDS):
        raise ValueError(f"tệp danh sách người nhận cần có một trong các cột {', '.join(CONTACT_FIELDS)}")
    return rows


async def resolve(store: CitizenStore, row: dict) -> str | None:
    """The citizen a recipient row names, or None when we do not know them (a
    broadcast never creates people: only those who consented hear from us)."""
    if row.get("citizen_id"):
        return row["citizen_id"] if await store.get_citizen(row["citizen_id"]) else None
    for field, spec in ADDRESS_COLUMNS.items():
        if row.get(field) and spec.normalize is not None:  # by_address_field() has only those with one
            try:
                return await store.find_contact(spec.channel, spec.normalize(row[field]))
            except ValueError:
                return None
    return None


async def load(
    store: BroadcastLoading,
    broadcast: Broadcast,
    rows: Iterable[dict],
    *,
    urgent: bool = False,
    clock: Callable[[], float] = time.time,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Adds a notification per known recipient; returns (added, skipped)."""
    rows = list(rows)
    seen: set[str] = set()
    added = skipped = 0
    for start in range(0, len(rows), CHUNK):
        items = []
        for row in rows[start : start + CHUNK]:
            citizen_id = await resolve(store, row)
            if citizen_id is None or citizen_id in seen:
                skipped += 1
                continue
            seen.add(citizen_id)
            extra = {k: v for k, v in row.items() if k not in CONTACT_FIELDS and k and v}
            items.append(
                Notification(
                    id=new_id(),
                    citizen_id=citizen_id,
                    purpose=BROADCAST,
                    source_event_id=broadcast.id,
                    template=broadcast.template,
                    context={**broadcast.context, **extra},
                    status=DeliveryStatus.QUEUED,
                    broadcast_id=broadcast.id,
                    urgent=urgent,
                    next_at=clock(),
                )
            )
        added += len(items)
        done = start + CHUNK >= len(rows)
        await store.add_broadcast_recipients(broadcast.id, items, added, done)
        if progress:
            progress(min(start + CHUNK, len(rows)), len(rows))
    if not rows:
        await store.add_broadcast_recipients(broadcast.id, [], 0, True)
    return added, skipped


def finished(broadcast: Broadcast) -> int:
    """How many of its notifications need nothing more (sent counts: the
    provider has it)."""
    return sum(
        count
        for status, count in broadcast.counts.items()
        if DeliveryStatus(status) in FINAL or status == DeliveryStatus.SENT.value
    )


def view(broadcast: Broadcast) -> dict:
    return {
        "id": broadcast.id,
        "template": broadcast.template,
        "state": broadcast.state,
        "total": broadcast.total,
        "finished": finished(broadcast),
        "by_status": broadcast.counts,
        "created_at": broadcast.created_at,
    }
