"""The citizen panel beside a conversation: who the citizen is (contacts
masked), everything they said to us on every channel, why the assistant
handed them over, their dossiers with timelines, and the notices we sent.

Agents help without the lookup secret: a dossier's applicant phone is shown
masked, and wherever a text repeats the last four digits of one of these
dossiers' phones (a citizen typing "TRACUU <mã> 5678") they are blanked, so
the panel never tells an agent what a stranger would need to read the
dossier by SMS. The caller audits every object listed in "viewed"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from channels.registry import REGISTRY, by_address_field
from contact_center.merges import MergeRefused, Merges, MergeUnknown
from models.citizen import Channel, Citizen
from models.dossier import DossierStatus
from models.notifications import REASONS, Notification
from models.privacy import mask_phone, mask_text
from models.timeutil import utcnow

__all__ = ["ConversationNotFound", "MergeRefused", "MergeUnknown", "Merges", "citizen_view", "mask_address"]

CONVERSATIONS = 20  # the latest, on every channel
MESSAGES = 100  # the latest of each conversation
NOTICES = 50
DOSSIERS = 20


class ConversationNotFound(LookupError):
    def __init__(self, conversation_id: str):
        super().__init__(f"Không tìm thấy cuộc trò chuyện {conversation_id}.")


def mask_address(channel: str, address: str) -> str:
    """An address as agents see it, masked the way its channel masks it."""
    try:
        spec = REGISTRY[Channel(channel)]
    except ValueError:
        return "***"
    return spec.mask(str(address))


class _Redactor:
    """Blanks the lookup digits of the dossiers in view, then masks phones,
    emails and ID numbers, in any free text the panel shows."""

    def __init__(self, phones: Iterable[str | None]):
        tails = sorted({p[-4:] for p in phones if p and len(p) >= 4 and p[-4:].isdigit()})
        # Not after '-' or '.': a dossier code's serial number may end the same way.
        self._digits = re.compile(r"(?<![\d.-])(?:" + "|".join(tails) + r")(?!\d)") if tails else None

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        if self._digits is not None:
            text = self._digits.sub("****", text)
        return mask_text(text)


async def _citizen_ids(store, citizen_id: str) -> tuple[list[str], list[dict]]:
    """The citizen and everyone merged into them (and into those), with the merges."""
    ids, merged, todo = [citizen_id], [], [citizen_id]
    while todo and len(ids) < 50:
        one = todo.pop()
        for merge in await store.citizen_merges(one):
            if merge.kept_id == one and merge.undone_at is None and merge.merged_id not in ids:
                ids.append(merge.merged_id)
                todo.append(merge.merged_id)
                merged.append(
                    {
                        "merge_id": merge.id,
                        "citizen_id": merge.merged_id,
                        "into": one,
                        "at": merge.at.isoformat(),
                        "agent_id": merge.agent_id,
                        "reason": merge.reason,
                    }
                )
    return ids, merged


def _contacts(citizens: list[Citizen]) -> list[dict]:
    found, seen = [], set()
    for citizen in citizens:
        for field, spec in by_address_field().items():
            value = getattr(citizen, field, None)
            if value is None or (field, str(value)) in seen:
                continue
            seen.add((field, str(value)))
            found.append({"field": field, "channel": spec.channel.value, "address": spec.mask(str(value))})
    return found


def _consents(citizen: Citizen) -> list[dict]:
    latest = {record.channel: record for record in citizen.consents}  # recorded order: the last decides
    return [
        {"channel": c.value, "granted": r.granted, "at": r.at.isoformat(), "via": r.via, "legal_basis": r.legal_basis}
        for c, r in latest.items()
    ]


async def _merged_into(store, citizen_id: str) -> dict | None:
    for merge in await store.citizen_merges(citizen_id):
        if merge.merged_id == citizen_id and merge.undone_at is None:
            return {"merge_id": merge.id, "citizen_id": merge.kept_id, "at": merge.at.isoformat()}
    return None


def _dossier(found, relation: str, now: datetime, clean: _Redactor) -> dict:
    dossier = found.dossier
    return {
        "code": dossier.code,
        "relation": relation,  # applicant | follower | conversation (named in this conversation)
        "procedure": dossier.procedure,
        "agency": dossier.agency,
        "status": dossier.status.value,
        "status_label": dossier.status.label,
        "overdue": dossier.is_overdue(now),
        "received_at": dossier.received_at.isoformat(),
        "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
        "applicant_name": found.applicant_name,
        "applicant_phone": mask_phone(found.applicant_phone) if found.applicant_phone else None,
        "timeline": [
            {
                "status": entry.status.value,
                "status_label": DossierStatus(entry.status).label,
                "at": entry.at.isoformat(),
                "actor": entry.actor,
                "note": clean(entry.note),
            }
            for entry in dossier.timeline
        ],
    }


def _notice(n: Notification, clean: _Redactor) -> dict:
    attempts = [
        {
            "channel": a.channel,
            "provider": a.provider,
            "status": a.status.value,
            "error": a.error,
            "address": a.address,  # stored masked
            "subject": clean(a.subject),
            "text": clean(a.text),  # None once the retention period blanked it
            "at": a.created_at,
            "updated_at": a.updated_at,
        }
        for a in n.attempts
    ]
    sent = next((a for a in reversed(attempts) if a["text"]), None)
    return {
        "id": n.id,
        "purpose": n.purpose,
        "dossier_code": n.dossier_code,
        "status": n.status.value,
        "channel": n.channel,
        "reason": n.reason,
        "reason_label": REASONS.get(n.reason or "", n.reason),
        "created_at": n.created_at,
        "updated_at": n.updated_at,
        "subject": sent["subject"] if sent else None,
        "text": sent["text"] if sent else None,
        "attempts": attempts,
    }


def _conversation(row: dict, current: str, clean: _Redactor) -> dict:
    escalation = row["escalation"]
    if escalation is not None:
        escalation = {
            **escalation,
            "transcript": [{**line, "text": clean(line.get("text"))} for line in escalation["transcript"]],
        }
    return {
        **row,
        "current": row["id"] == current,
        "address": mask_address(row["channel"], row["address"]),
        "subject": clean(row["subject"]),
        "escalation": escalation,
        "messages": [{**m, "text": clean(m["text"])} for m in row["messages"]],
    }


async def citizen_view(store, conversation_id: str, *, now: datetime | None = None) -> dict:
    """The panel as JSON-ready data; ConversationNotFound for an unknown id.
    `viewed` lists the objects shown ({"object_type", "object_id"}): the
    caller writes one audit row for each."""
    now = now or utcnow()
    conversation = await store.get_conversation(conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    citizen_id = conversation["citizen_id"]
    ids, merged = await _citizen_ids(store, citizen_id) if citizen_id else ([], [])
    citizens = await store.get_citizens(ids) if ids else {}
    codes = await store.citizen_dossier_codes(ids, limit=DOSSIERS) if ids else []
    if conversation["dossier_code"] and conversation["dossier_code"] not in {c for c, _ in codes}:
        codes.append((conversation["dossier_code"], "conversation"))
    lookups = [(await store.lookup_dossier(code), relation) for code, relation in codes]
    dossiers_found = [(found, relation) for found, relation in lookups if found is not None]
    clean = _Redactor(found.applicant_phone for found, _ in dossiers_found)

    rows = await store.citizen_conversations(
        ids, conversation["channel"], str(conversation["address"]), limit=CONVERSATIONS, messages=MESSAGES
    )
    # The one being handled first, then the others, latest first.
    rows.sort(key=lambda row: row["id"] != conversation_id)
    conversations = [_conversation(row, conversation_id, clean) for row in rows]
    current = next((c for c in conversations if c["current"]), None)

    notices: list[Notification] = []
    for one in ids:
        notices += await store.list_notifications(citizen=one)
    notices.sort(key=lambda n: (n.created_at, n.id), reverse=True)

    citizen = citizens.get(citizen_id) if citizen_id else None
    view_citizen = None
    if citizen is not None:
        view_citizen = {
            "id": citizen.id,
            "name": citizen.full_name,
            "id_number": mask_text(citizen.id_number) if citizen.id_number else None,
            "contacts": _contacts([citizen, *(citizens[i] for i in ids[1:] if i in citizens)]),
            "preferred_channels": [c.value for c in citizen.preferred_channels],
            "consents": _consents(citizen),
            "merged": merged,  # citizens merged into this one: their rows are shown as this person's
            "merged_into": await _merged_into(store, citizen.id),
        }
    viewed = [{"object_type": "citizen", "object_id": one} for one in ids if one in citizens]
    viewed += [{"object_type": "dossier", "object_id": found.dossier.code} for found, _ in dossiers_found]
    return {
        "conversation_id": conversation_id,
        "citizen": view_citizen,
        "escalation": current["escalation"] if current else None,
        "conversations": conversations,
        "dossiers": [_dossier(found, relation, now, clean) for found, relation in dossiers_found],
        "notices": [_notice(n, clean) for n in notices[:NOTICES]],
        "viewed": viewed,
    }
