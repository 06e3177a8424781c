"""Citizens as contact points: batch reads, the consent ledger, followers."""

from __future__ import annotations

import orjson

from hub.store.sqlite.db import chunks, placeholders
from hub.store.sqlite.dossiers import from_iso, iso
from models.citizen import ADDRESS_FIELD, Channel, Citizen, ConsentRecord, Contact
from models.events import new_id
from models.timeutil import utcnow


async def get_citizens(db, ids: list[str]) -> dict[str, Citizen]:
    ids = list(dict.fromkeys(ids))
    found: dict[str, Citizen] = {}
    for chunk in chunks(ids):
        rows = await db.execute_fetchall(f"SELECT * FROM citizens WHERE id IN ({placeholders(chunk)})", chunk)  # noqa: S608  only ? placeholders are interpolated
        consents: dict[str, list[ConsentRecord]] = {}
        for c in await db.execute_fetchall(
            f"SELECT * FROM consents WHERE citizen_id IN ({placeholders(chunk)}) ORDER BY id",  # noqa: S608  only ? placeholders are interpolated
            chunk,
        ):
            consents.setdefault(c["citizen_id"], []).append(
                ConsentRecord(
                    channel=Channel(c["channel"]),
                    granted=bool(c["granted"]),
                    at=from_iso(c["at"]),
                    via=c["via"],
                    legal_basis=c["legal_basis"],
                )
            )
        for row in rows:
            found[row["id"]] = Citizen(
                id=row["id"],
                full_name=row["full_name"],
                phone=row["phone"],
                email=row["email"],
                telegram_chat_id=row["telegram_chat_id"],
                id_number=row["id_number"],
                preferred_channels=tuple(Channel(c) for c in orjson.loads(row["preferred_channels"])),
                consents=tuple(consents.get(row["id"], ())),
            )
    return found


async def add_consent(db, citizen_id: str, record: ConsentRecord) -> list[str]:
    """Records it; returns every citizen it applies to. A withdrawal is about
    an address (stop writing to this phone), so it applies to everyone who
    shares the address on that channel; a grant is one person's."""
    ids = [citizen_id]
    column = ADDRESS_FIELD.get(record.channel)
    if not record.granted and column is not None:
        rows = await db.execute_fetchall(
            f"SELECT other.id FROM citizens me JOIN citizens other ON other.{column} = me.{column}"  # noqa: S608  column name from a fixed table; values bound
            f" WHERE me.id = ? AND other.id != me.id",
            (citizen_id,),
        )
        ids += [row[0] for row in rows]
    recorded = recorded_now()
    await db.executemany(
        "INSERT INTO consents (citizen_id, channel, granted, at, via, legal_basis, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (one, record.channel.value, int(record.granted), iso(record.at), record.via, record.legal_basis, recorded)
            for one in ids
        ],
    )
    return ids


def recorded_now() -> str:
    return utcnow().isoformat(timespec="milliseconds")


async def find_contact(db, channel: Channel, address: str | int) -> str | None:
    column = ADDRESS_FIELD[channel]
    # People may share an address: the first who had it answers for it.
    rows = await db.execute_fetchall(
        f"SELECT id FROM citizens WHERE {column} = ? ORDER BY created_at, id LIMIT 1",  # noqa: S608  column name from a fixed table; values bound
        (address,),
    )
    return rows[0][0] if rows else None


async def ensure_contact(db, channel: Channel, address: str | int) -> str:
    """The citizen behind a phone, email or chat, created with no name the first
    time someone writes or follows from it: one person, whatever the channel."""
    found = await find_contact(db, channel, address)
    if found:
        return found
    now = iso(utcnow())
    citizen_id = "c_" + new_id()[:16]
    await db.execute(
        f"INSERT INTO citizens (id, full_name, {ADDRESS_FIELD[channel]}, preferred_channels, created_at,"  # noqa: S608  column name from a fixed table; values bound
        f" updated_at) VALUES (?, '', ?, ?, ?, ?)",
        (citizen_id, address, orjson.dumps([channel.value]).decode(), now, now),
    )
    return citizen_id


async def prefer_channel(db, citizen_id: str, channel: Channel) -> None:
    """Someone who asks to be told on a channel wants that channel used: it is
    added to the end of their list if missing."""
    rows = await db.execute_fetchall("SELECT preferred_channels FROM citizens WHERE id = ?", (citizen_id,))
    channels = orjson.loads(rows[0][0])
    if channel.value not in channels:
        channels.append(channel.value)
        await db.execute(
            "UPDATE citizens SET preferred_channels = ?, updated_at = ? WHERE id = ?",
            (orjson.dumps(channels).decode(), iso(utcnow()), citizen_id),
        )


async def follow(db, code: str, citizen_id: str, channel: Channel, via: str) -> bool:
    before = db.total_changes
    await db.execute(
        "INSERT OR IGNORE INTO subscriptions (dossier_code, citizen_id, channel, via, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (code, citizen_id, channel.value, via, iso(utcnow())),
    )
    return db.total_changes > before


async def current_consent(db, citizen_id: str, channel: Channel) -> bool | None:
    """The ledger's current answer for one citizen on one channel, by the rule
    below; None: never asked."""
    rows = await db.execute_fetchall(
        "SELECT granted FROM consents WHERE citizen_id = ? AND channel = ? ORDER BY id DESC LIMIT 1",
        (citizen_id, channel.value),
    )
    return bool(rows[0][0]) if rows else None


# The record written last per (citizen, channel) is the ledger's current
# answer: ids grow in the order records are written, whatever `at` they claim.
_CURRENT_CONSENT = """
SELECT citizen_id, channel, granted FROM (
    SELECT citizen_id, channel, granted,
           row_number() OVER (PARTITION BY citizen_id, channel ORDER BY id DESC) AS newest
      FROM consents WHERE citizen_id IN ({ids}))
 WHERE newest = 1"""


async def get_contacts(db, ids: list[str]) -> dict[str, Contact]:
    ids = list(dict.fromkeys(ids))
    found: dict[str, Contact] = {}
    for chunk in chunks(ids):
        marks = placeholders(chunk)
        consented: dict[str, set[Channel]] = {}
        withdrawn: dict[str, set[Channel]] = {}
        for citizen_id, channel, granted in await db.execute_fetchall(_CURRENT_CONSENT.format(ids=marks), chunk):
            (consented if granted else withdrawn).setdefault(citizen_id, set()).add(Channel(channel))
        for row in await db.execute_fetchall(
            f"SELECT id, full_name, phone, email, telegram_chat_id, preferred_channels FROM citizens"  # noqa: S608  only ? placeholders are interpolated
            f" WHERE id IN ({marks})",
            chunk,
        ):
            found[row[0]] = Contact(
                id=row[0],
                full_name=row[1],
                phone=row[2],
                email=row[3],
                telegram_chat_id=row[4],
                preferred_channels=_channels(row[5]),
                consented=frozenset(consented.get(row[0], ())),
                withdrawn=frozenset(withdrawn.get(row[0], ())),
            )
    return found


_PARSED_CHANNELS: dict[str, tuple[Channel, ...]] = {}


def _channels(text: str) -> tuple[Channel, ...]:
    # A handful of distinct orders across all citizens: parse each once.
    parsed = _PARSED_CHANNELS.get(text)
    if parsed is None:
        parsed = tuple(Channel(c) for c in orjson.loads(text))
        if len(_PARSED_CHANNELS) < 1024:
            _PARSED_CHANNELS[text] = parsed
    return parsed
