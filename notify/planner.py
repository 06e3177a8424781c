"""From dossier events to notifications: who is told what, once.

The unique key (source event, citizen, purpose) makes planning idempotent:
when the bus delivers an event twice, the second plan inserts nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hub.store.port import DossierTargets, NotificationStore
from models.dossier import DossierStatus
from models.events import DossierRegistered, DossierStatusChanged, Message, new_id
from models.notifications import (
    CONSENT,
    DEFAULT_LEGAL_BASES,
    DOSSIER_RECEIVED,
    DOSSIER_STATUS,
    OVERDUE_APOLOGY,
    DeliveryStatus,
    Notification,
)
from notify.context import (
    APOLOGY,
    GENERIC,
    STATUS_TEMPLATES,
    display,
    dossier_context,
    missing_documents,
    result_info,
)


def _later(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return datetime.fromisoformat(a) > datetime.fromisoformat(b)


def _utc(at: str | None) -> str | None:
    """An event's time as UTC ISO, so that the store compares like with like."""
    if not at:
        return None
    moment = datetime.fromisoformat(at)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


class Planner:
    def __init__(
        self,
        store: NotificationStore,
        clock: Callable[[], float] = time.time,
        legal_bases: dict[str, str] | None = None,
    ):
        self.store = store
        self.clock = clock
        # Per purpose (TONGDAI_LEGAL_BASIS): what lets the sender write to the applicant.
        self.legal_bases = legal_bases if legal_bases is not None else DEFAULT_LEGAL_BASES

    async def handle(self, events: list[Message]) -> None:
        codes = list({e.code for e in events if isinstance(e, (DossierRegistered, DossierStatusChanged))})
        targets = await self.store.dossier_targets(codes)
        items: list[Notification] = []
        for event in events:
            if not isinstance(event, (DossierRegistered, DossierStatusChanged)):
                continue
            if not event.notify:  # back-filled history: in the timeline, never a notice
                continue
            target = targets.get(event.code)
            if target is None:
                continue
            if isinstance(event, DossierRegistered):
                items += self._registered(event, target)
            elif isinstance(event, DossierStatusChanged):
                items += self._status_changed(event, target)
        await self.store.add_notifications(items)

    def _for_everyone(
        self,
        target: DossierTargets,
        *,
        purpose: str,
        source: str,
        template: str,
        context: dict,
        event_at: str | None = None,
    ) -> list[Notification]:
        now = self.clock()
        applicant_basis = self.legal_bases.get(purpose, CONSENT)
        return [
            Notification(
                id=new_id(),
                citizen_id=citizen_id,
                purpose=purpose,
                source_event_id=source,
                template=template,
                # Greeted as named on the dossier: whoever else shares their phone or email.
                context={**context, "citizen_name": name} if name else context,
                status=DeliveryStatus.QUEUED,
                dossier_code=target.code,
                next_at=now,
                # The applicant under the purpose's basis; a follower asked for
                # it and confirmed: their consent is the basis.
                legal_basis=applicant_basis if i == 0 else CONSENT,
                event_at=event_at,
            )
            for i, (citizen_id, name) in enumerate(target.recipients)
        ]

    def _registered(self, event: DossierRegistered, target: DossierTargets) -> list[Notification]:
        context: dict[str, Any] = {
            "dossier": dossier_context(
                target, status=event.status, previous_status=None, at=event.received_at, note="", due_at=event.due_at
            )
        }
        return self._for_everyone(
            target,
            purpose=DOSSIER_RECEIVED,
            source=f"registered:{event.code}",
            template="dossier_received",
            context=context,
            event_at=_utc(event.received_at),
        )

    def _status_changed(self, event: DossierStatusChanged, target: DossierTargets) -> list[Notification]:
        items = []
        # A late due date set after the old one passed is the new return date the
        # law makes the agency give with its apology.
        if _later(event.due_at, event.previous_due_at) and _later(event.at, event.previous_due_at):
            items += self.apology(target, new_due_at=event.due_at, original_due_at=event.previous_due_at)
        if event.status == event.previous_status:
            return items  # a repeat (new note or date) is not news worth a message
        status = DossierStatus(event.status)
        context: dict[str, Any] = {
            "dossier": dossier_context(
                target,
                status=event.status,
                previous_status=event.previous_status,
                at=event.at,
                note=event.note,
                due_at=event.due_at or target.due_at,
            )
        }
        if status is DossierStatus.SUPPLEMENT_REQUESTED:
            context["missing_documents"] = missing_documents(event.note)
        if status is DossierStatus.RESULT_READY:
            context["result"] = result_info(event.result, target.agency)
        items += self._for_everyone(
            target,
            purpose=DOSSIER_STATUS,
            source=event.event_id,
            template=STATUS_TEMPLATES.get(status, GENERIC),
            context=context,
            event_at=_utc(event.at),
        )
        return items

    def apology(
        self, target: DossierTargets, *, new_due_at: str | None, original_due_at: str | None
    ) -> list[Notification]:
        """Once per dossier, whichever comes first: the scheduler noticing it is
        late, or the one-stop-shop moving the due date."""
        context: dict[str, Any] = {
            "dossier": dossier_context(
                target, status=target.status, previous_status=None, at=None, note="", due_at=original_due_at
            ),
            "new_due_at_display": display(new_due_at),
            "original_due_at_display": display(original_due_at),
        }
        return self._for_everyone(
            target, purpose=OVERDUE_APOLOGY, source=f"overdue:{target.code}", template=APOLOGY, context=context
        )

    async def apologise_for(self, codes: list[str]) -> int:
        targets = await self.store.dossier_targets(codes)
        items = [
            item
            for target in targets.values()
            for item in self.apology(target, new_due_at=None, original_due_at=target.due_at)
        ]
        return await self.store.add_notifications(items)
