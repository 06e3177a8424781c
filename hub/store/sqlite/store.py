"""SqliteStore: the store port on one SQLite file in WAL mode."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hub.store.port import (
    Agent,
    AgentSession,
    ApiKeyInfo,
    AuditEntry,
    Broadcast,
    CannedResponse,
    CitizenMerge,
    DeadLetter,
    DeliveryResult,
    DossierData,
    DossierLookup,
    DossierTargets,
    FeedRow,
    FollowOutcome,
    FollowRequest,
    Handover,
    InboundRecord,
    InboundResult,
    Kiosk,
    KioskRatings,
    Mask,
    MergeOutcome,
    OutboxRow,
    QueueItem,
    QueueQuery,
    StatusChange,
    StatusChangeResult,
    UpsertResult,
    Waiting,
)
from hub.store.sqlite import (
    agents,
    api_keys,
    broadcasts,
    canned,
    citizen_view,
    citizens,
    conversations,
    dossiers,
    escalations,
    feed,
    follows,
    kiosks,
    merges,
    notifications,
    outbox,
    queue,
    webchat,
)
from hub.store.sqlite.db import Database, migrations
from hub.store.sqlite.dossiers import iso
from models.citizen import Channel, Citizen, ConsentRecord, Contact
from models.dossier import Dossier
from models.dossier_code import normalize_code
from models.errors import StoreUnavailable
from models.notifications import DeliveryAttempt, Notification, Progress
from models.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 512
CONTACT_CACHE_SECONDS = 5.0


def _hidden(channel: str, address: str) -> str:
    # Without the channels' own masks, nothing of an address but its end.
    return "***" + str(address)[-2:]


class SqliteStore:
    def __init__(self, path: Path | str, synchronous: str = "FULL", *, mask: Mask = _hidden):
        self.db = Database(path, synchronous)
        # How the feed's queue items show an address (the composition root
        # hands in the channels' masks: the store imports no channel).
        self.mask = mask
        self._feed_listeners: list[Callable[[], None]] = []
        self._pending: list[tuple[StatusChange, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()  # set while no status change waits to be committed
        self._drained.set()
        self._flusher: asyncio.Task | None = None
        self._notification_listeners: list[Callable[[], None]] = []
        self._contacts: dict[str, tuple[Contact, float]] = {}
        self._contacts_generation = 0

    async def open(self) -> None:
        await self.db.open()
        self._flusher = asyncio.create_task(self._flush_status_changes(), name="sqlite-group-commit")
        # A flusher that died must not leave close() waiting for a drain that cannot come.
        self._flusher.add_done_callback(lambda _: self._drained.set())

    async def close(self) -> None:
        if self._flusher is not None:
            await self._drained.wait()
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        await self.db.close()

    async def readiness(self) -> dict:
        version = await self.db.schema_version()
        latest = migrations()[-1][0]
        state = {"store": "sqlite", "schema_version": version, "latest_migration": latest}
        try:
            # A real write, so a store that reads fine but keeps nothing is not "ready".
            async with self.db.transaction() as db:
                await db.execute("INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, ?)", (iso(utcnow()),))
        except StoreUnavailable as exc:
            return {**state, "writable": False, "error": str(exc), "ready": False}
        return {**state, "writable": True, "ready": version == latest}

    def on_outbox_append(self, listener: Callable[[], None]) -> None:
        self.db.on_outbox_append(listener)

    # dossiers and citizens

    async def upsert_dossier(self, data: DossierData) -> UpsertResult:
        created, changed, events = await self.db.write(dossiers.upsert_with_events, data)
        if events:
            self.db.outbox_appended()
        dossier = await self.get_dossier(data.code)
        if dossier is None:
            raise RuntimeError(f"dossier {data.code} is missing right after its upsert")
        self._forget_contact(dossier.applicant_id)
        return UpsertResult(created, dossier, changed)

    async def record_status_change(self, change: StatusChange) -> StatusChangeResult:
        future = asyncio.get_running_loop().create_future()
        self._drained.clear()
        self._pending.append((change, future))
        self._wake.set()
        return await future

    async def _flush_status_changes(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    results, events = await self.db.write(dossiers.apply_status_changes, [c for c, _ in batch])
                except Exception as exc:  # the whole batch failed to commit: tell every caller
                    log.exception("status batch failed")
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                if events:
                    self.db.outbox_appended()
            self._drained.set()

    async def get_dossier(self, code: str) -> Dossier | None:
        found = await self.lookup_dossier(code)
        return found.dossier if found else None

    async def lookup_dossier(self, code: str) -> DossierLookup | None:
        return await dossiers.lookup_dossier(self.db.reader, code)

    async def applicant_phone(self, code: str) -> str | None:
        return await dossiers.applicant_phone(self.db.reader, code)

    async def get_citizen(self, citizen_id: str) -> Citizen | None:
        return (await self.get_citizens([citizen_id])).get(citizen_id)

    async def get_citizens(self, ids: list[str]) -> dict[str, Citizen]:
        return await citizens.get_citizens(self.db.reader, ids)

    async def get_contacts(self, ids: list[str]) -> dict[str, Contact]:
        """Routing asks for the same citizens over and over; writes through this
        store forget them at once, and anything cached is re-read after a few
        seconds in case another process changed it."""
        now = time.monotonic()
        found, missing = {}, []
        for citizen_id in ids:
            cached = self._contacts.get(citizen_id)
            if cached is not None and cached[1] > now:
                found[citizen_id] = cached[0]
            else:
                missing.append(citizen_id)
        if missing:
            generation = self._contacts_generation
            fresh = await citizens.get_contacts(self.db.reader, missing)
            found.update(fresh)
            if generation == self._contacts_generation:  # no write raced the read
                if len(self._contacts) > 200_000:
                    self._contacts.clear()
                expires = now + CONTACT_CACHE_SECONDS
                self._contacts.update((k, (v, expires)) for k, v in fresh.items())
        return found

    def _forget_contact(self, citizen_id: str) -> None:
        self._contacts_generation += 1
        self._contacts.pop(citizen_id, None)

    async def add_consent(self, citizen_id: str, record: ConsentRecord) -> None:
        applied = await self.db.write(citizens.add_consent, citizen_id, record)
        for one in applied:
            self._forget_contact(one)

    async def find_contact(self, channel: Channel, address: str | int) -> str | None:
        return await citizens.find_contact(self.db.reader, channel, address)

    async def ensure_contact(self, channel: Channel, address: str | int) -> str:
        found = await self.find_contact(channel, address)
        if found:
            return found
        return await self.db.write(citizens.ensure_contact, channel, address)

    async def follow(
        self, code: str, channel: Channel, address: str | int, via: str, consent: ConsentRecord
    ) -> tuple[str, bool]:
        async with self.db.transaction() as db:
            citizen_id = await citizens.ensure_contact(db, channel, address)
            await citizens.add_consent(db, citizen_id, consent)
            await citizens.prefer_channel(db, citizen_id, channel)
            added = await citizens.follow(db, code, citizen_id, channel, via)
        self._forget_contact(citizen_id)
        return citizen_id, added

    async def request_follow(
        self,
        code: str,
        channel: Channel,
        address: str | int,
        *,
        limit: int,
        expires_at: datetime,
        confirmation: Callable[[str, str], Notification],
    ) -> FollowOutcome:
        outcome, queued = await self.db.write(
            follows.request_follow,
            code,
            channel,
            address,
            limit=limit,
            expires_at=expires_at,
            confirmation=confirmation,
        )
        if queued:
            self._notifications_added()
        return outcome

    async def live_follow_request(self, code: str, channel: Channel, address: str | int) -> FollowRequest | None:
        return await follows.live_follow_request(self.db.reader, [code, normalize_code(code)], channel, address)

    async def get_follow_request(self, request_id: str) -> FollowRequest | None:
        return await follows.get_follow_request(self.db.reader, request_id)

    async def confirm_follow(self, request_id: str, consent: ConsentRecord) -> FollowOutcome:
        outcome = await self.db.write(follows.confirm_follow, request_id, consent)
        if outcome.request is not None:
            self._forget_contact(outcome.request.citizen_id)
        return outcome

    # notifications

    def on_notifications_added(self, listener: Callable[[], None]) -> None:
        self._notification_listeners.append(listener)

    def _notifications_added(self) -> None:
        for listener in self._notification_listeners:
            listener()

    async def dossier_targets(self, codes: list[str]) -> dict[str, DossierTargets]:
        return await notifications.dossier_targets(self.db.reader, codes)

    async def add_notifications(self, items: list[Notification]) -> int:
        if not items:
            return 0
        added = await self.db.write(notifications.insert_notifications, items, iso(utcnow()))
        if added:
            self._notifications_added()
        return added

    async def due_notifications(self, now: float, limit: int) -> list[Notification]:
        return await notifications.due_notifications(self.db.reader, now, limit)

    async def next_notification_due(self) -> float | None:
        return await notifications.next_due(self.db.reader)

    async def notification_backlog(self) -> dict[str, Waiting]:
        return await notifications.backlog(self.db.reader)

    async def claim_notifications(self, ids: list[str], now: float, lease: float) -> set[str]:
        return await self.db.write(notifications.claim, ids, now, lease)

    async def start_sending(self, updates: list[Progress], attempts: list[DeliveryAttempt]) -> set[str]:
        return await self.db.write(notifications.start_sending, updates, attempts, iso(utcnow()))

    async def resend_notification(self, notification_id: str, now: float) -> Notification | None:
        found = await self.db.write(notifications.resend, notification_id, now, iso(utcnow()))
        if found is not None:
            self._notifications_added()
        return found

    async def not_sent_notifications(self, limit: int) -> list[Notification]:
        return await notifications.pending_notifications(self.db.reader, limit)

    async def record_progress(self, updates: list[Progress], attempts: list[DeliveryAttempt]) -> None:
        await self.db.write(notifications.record_progress, updates, attempts, iso(utcnow()))
        if any(n.next_at is not None for n in updates):
            self._notifications_added()

    async def attempts_by_ref(self, provider: str, refs: list[str]) -> list[tuple[DeliveryAttempt, Notification]]:
        return await notifications.attempts_by_ref(self.db.reader, provider, refs)

    async def list_notifications(
        self, *, dossier: str | None = None, citizen: str | None = None, broadcast: str | None = None, limit: int = 200
    ) -> list[Notification]:
        return await notifications.list_notifications(
            self.db.reader, dossier=dossier, citizen=citizen, broadcast=broadcast, limit=limit
        )

    async def get_notifications(self, ids: list[str]) -> list[Notification]:
        return await notifications.get_notifications(self.db.reader, ids)

    async def overdue_without_apology(self, now, limit: int, since=None) -> list[str]:
        return await notifications.overdue_without_apology(self.db.reader, iso(now), limit, iso(since))

    async def sent_after(self, after_id: int, limit: int) -> list[dict]:
        return await notifications.sent_after(self.db.reader, after_id, limit)

    async def last_sent(self, count: int) -> list[dict]:
        return await notifications.last_sent(self.db.reader, count)

    async def purge_sent_texts(self, before) -> int:
        return await self.db.write(
            notifications.purge_sent_texts, before.astimezone(UTC).isoformat(timespec="milliseconds")
        )

    async def record_messages(self, rows: list[tuple]) -> None:
        await self.db.write(notifications.record_messages, rows)

    async def recorded_after(self, after_id: int, limit: int) -> list[dict]:
        return await notifications.recorded_after(self.db.reader, after_id, limit)

    async def last_recorded(self, count: int) -> list[dict]:
        return await notifications.last_recorded(self.db.reader, count)

    # conversations

    async def add_inbound(self, record: InboundRecord, events_for) -> InboundResult:
        result = await self.db.write(conversations.add_inbound, record, events_for, self.mask)
        if result.new_message:
            self.db.outbox_appended()
        if result.queued:
            self._feed_appended()
        return result

    async def add_outbound(
        self, conversation_id: str, channel: Channel, text: str, buttons: list, provider_message_id: str | None = None
    ) -> None:
        queued = await self.db.write(
            conversations.add_outbound, conversation_id, channel, text, buttons, provider_message_id
        )
        if queued:
            self._feed_appended()

    async def list_conversations(
        self, *, channel: Channel | None = None, citizen: str | None = None, dossier: str | None = None, limit: int = 50
    ) -> list[dict]:
        return await conversations.list_conversations(
            self.db.reader, channel=channel, citizen=citizen, dossier=dossier, limit=limit
        )

    async def get_conversation(self, conversation_id: str) -> dict | None:
        return await conversations.get_conversation(self.db.reader, conversation_id)

    async def add_start_link(self, link: str, citizen_id: str, dossier_code: str, expires_at: datetime) -> None:
        await self.db.write(conversations.add_start_link, link, citizen_id, dossier_code, expires_at)

    async def start_link(self, link: str, now: datetime) -> tuple[str, str] | None:
        return await conversations.start_link(self.db.reader, link, now)

    async def offered_options(self, conversation_id: str) -> list[dict]:
        return await conversations.offered_options(self.db.reader, conversation_id)

    async def link_contact(
        self,
        citizen_id: str,
        channel: Channel,
        address: str | int,
        consent: ConsentRecord,
        *,
        link: str,
        dossier_code: str,
    ) -> bool:
        async with self.db.transaction() as db:
            if not await conversations.bind_link(db, link, citizen_id, dossier_code, channel, address):
                return False
            await conversations.link_contact(db, citizen_id, channel, address)
            await citizens.add_consent(db, citizen_id, consent)
            await citizens.prefer_channel(db, citizen_id, channel)
        # The address may have left another citizen: forget every cached contact.
        self._contacts_generation += 1
        self._contacts.clear()
        return True

    async def linked_dossiers(self, channel: Channel, address: str | int, limit: int = 10) -> list[Dossier]:
        codes = await conversations.linked_dossier_codes(self.db.reader, channel, address, limit)
        found = [await self.get_dossier(code) for code in codes]
        return [dossier for dossier in found if dossier is not None]

    async def escalate(self, conversation_id: str, reason: str):
        event = await self.db.write(escalations.escalate, conversation_id, reason, self.mask)
        if event is not None:
            self.db.outbox_appended()
            self._feed_appended()
        return event

    async def count_open_escalations(self) -> int:
        return await escalations.count_open(self.db.reader)

    async def list_escalations(self, *, state: str | None = None, limit: int = 100) -> list[dict]:
        return await escalations.list_escalations(self.db.reader, state=state, limit=limit)

    # broadcasts

    async def create_broadcast(self, broadcast: Broadcast) -> Broadcast:
        return await self.db.write(broadcasts.create, broadcast, iso(utcnow()))

    async def add_broadcast_recipients(
        self, broadcast_id: str, items: list[Notification], total: int, done: bool
    ) -> None:
        async with self.db.transaction() as db:
            added = await notifications.insert_notifications(db, items, iso(utcnow())) if items else 0
            await broadcasts.set_loaded(db, broadcast_id, total, done, iso(utcnow()))
        if added:
            self._notifications_added()

    async def get_broadcast(self, broadcast_id: str) -> Broadcast | None:
        return await broadcasts.get(self.db.reader, broadcast_id)

    async def cancel_broadcast(self, broadcast_id: str) -> int:
        return await self.db.write(broadcasts.cancel, broadcast_id, iso(utcnow()))

    # API keys

    async def add_api_key(self, name: str, key_hash: str, actor: str = "system") -> int:
        return await self.db.write(api_keys.add, name, key_hash, actor, iso(utcnow()))

    async def api_key_name(self, key_hash: str) -> str | None:
        rows = list(
            await self.db.opened_reader().execute_fetchall(
                "SELECT name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,)
            )
        )
        return rows[0][0] if rows else None

    async def list_api_keys(self) -> list[ApiKeyInfo]:
        return await api_keys.listing(self.db.opened_reader())

    async def revoke_api_keys(self, ref: str, actor: str) -> list[ApiKeyInfo]:
        return await self.db.write(api_keys.revoke, ref, actor, iso(utcnow()))

    async def rotate_api_key(self, name: str, key_hash: str, actor: str) -> tuple[int, list[ApiKeyInfo]] | None:
        return await self.db.write(api_keys.rotate, name, key_hash, actor, iso(utcnow()))

    # console agents, sessions and the audit log

    async def add_agent(self, agent: Agent) -> Agent:
        return await self.db.write(agents.add, agent)

    async def get_agent(self, ref: str) -> Agent | None:
        return await agents.get(self.db.opened_reader(), ref)

    async def list_agents(self) -> list[Agent]:
        return await agents.listing(self.db.opened_reader())

    async def set_agent_disabled(self, agent_id: str, disabled: bool, now: datetime) -> bool:
        return await self.db.write(agents.set_disabled, agent_id, disabled, now)

    async def add_password_token(self, token_hash: str, agent_id: str, now: datetime, expires_at: datetime) -> None:
        await self.db.write(agents.add_password_token, token_hash, agent_id, now, expires_at)

    async def password_token_agent(self, token_hash: str, now: datetime) -> str | None:
        return await agents.password_token_agent(self.db.opened_reader(), token_hash, now)

    async def use_password_token(self, token_hash: str, password_hash: str, now: datetime) -> str | None:
        return await self.db.write(agents.use_password_token, token_hash, password_hash, now)

    async def add_session(self, id_hash: str, agent_id: str, now: datetime) -> None:
        await self.db.write(agents.add_session, id_hash, agent_id, now)

    async def get_session(self, id_hash: str) -> AgentSession | None:
        return await agents.get_session(self.db.opened_reader(), id_hash)

    async def touch_session(self, id_hash: str, now: datetime) -> None:
        await self.db.write(agents.touch_session, id_hash, now)

    async def revoke_session(self, id_hash: str, now: datetime) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                "UPDATE agent_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL", (iso(now), id_hash)
            )

    async def revoke_agent_sessions(self, agent_id: str, now: datetime) -> int:
        return await self.db.write(agents.revoke_sessions, agent_id, now)

    async def append_audit(self, entry: AuditEntry) -> int:
        return await self.db.write(agents.append_audit, entry)

    async def audit_entries(
        self,
        *,
        actor: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        return await agents.audit_entries(
            self.db.opened_reader(),
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            since=since,
            limit=limit,
        )

    # the console's citizen panel, merges and canned responses

    async def citizen_conversations(
        self, citizen_ids: list[str], channel: str, address: str, *, limit: int = 20, messages: int = 100
    ) -> list[dict]:
        return await citizen_view.citizen_conversations(
            self.db.opened_reader(), citizen_ids, channel, address, limit=limit, messages=messages
        )

    async def citizen_dossier_codes(self, citizen_ids: list[str], *, limit: int = 20) -> list[tuple[str, str]]:
        return await citizen_view.citizen_dossier_codes(self.db.opened_reader(), citizen_ids, limit=limit)

    async def merge_citizens(
        self, merge_id: str, kept_id: str, merged_id: str, *, agent_id: str, reason: str, now: datetime
    ) -> MergeOutcome:
        outcome = await self.db.write(
            merges.merge, merge_id, kept_id, merged_id, agent_id=agent_id, reason=reason, now=now
        )
        self._forget_every_contact()
        return outcome

    async def undo_citizen_merge(self, merge_id: str, *, agent_id: str, now: datetime) -> MergeOutcome:
        outcome = await self.db.write(merges.undo, merge_id, agent_id=agent_id, now=now)
        self._forget_every_contact()
        return outcome

    def _forget_every_contact(self) -> None:
        # Addresses and consents moved between two citizens: nothing cached about either holds.
        self._contacts_generation += 1
        self._contacts.clear()
        self._feed_appended()  # queued conversations that moved told the consoles

    async def get_citizen_merge(self, merge_id: str) -> CitizenMerge | None:
        return await merges.get(self.db.opened_reader(), merge_id)

    async def citizen_merges(self, citizen_id: str) -> list[CitizenMerge]:
        return await merges.of_citizen(self.db.opened_reader(), citizen_id)

    async def add_canned(self, canned_response: CannedResponse) -> CannedResponse:
        return await self.db.write(canned.add, canned_response)

    async def get_canned(self, ref: str) -> CannedResponse | None:
        return await canned.get(self.db.opened_reader(), ref)

    async def list_canned(
        self, *, query: str | None = None, team: str | None = None, every_team: bool = False, limit: int = 50
    ) -> list[CannedResponse]:
        return await canned.listing(self.db.opened_reader(), query=query, team=team, every_team=every_team, limit=limit)

    async def update_canned(self, canned_response: CannedResponse) -> bool:
        return await self.db.write(canned.update, canned_response)

    async def delete_canned(self, canned_id: str) -> bool:
        return await self.db.write(canned.delete, canned_id)

    # kiosks (issue 13)

    async def add_kiosk(self, kiosk: Kiosk, key_hash: str) -> Kiosk:
        return await self.db.write(kiosks.add, kiosk, key_hash)

    async def kiosk_by_key(self, key_hash: str) -> Kiosk | None:
        return await kiosks.by_key(self.db.opened_reader(), key_hash)

    async def list_kiosks(self) -> list[Kiosk]:
        return await kiosks.listing(self.db.opened_reader())

    async def disable_kiosk(self, ref: str) -> Kiosk | None:
        return await self.db.write(kiosks.disable, ref)

    async def add_kiosk_rating(self, kiosk_id: str, score: int, at: datetime) -> None:
        await self.db.write(kiosks.add_rating, kiosk_id, score, at)

    async def kiosk_ratings(self, kiosk_id: str, since: datetime | None = None) -> KioskRatings:
        return await kiosks.ratings(self.db.opened_reader(), kiosk_id, since)

    async def dossier_handover(self, code: str) -> Handover:
        return await kiosks.handover(self.db.opened_reader(), code)

    # the console's queue and its feed

    def on_feed_append(self, listener: Callable[[], None]) -> None:
        self._feed_listeners.append(listener)

    def _feed_appended(self) -> None:
        for listener in self._feed_listeners:
            listener()

    async def queue(self, query: QueueQuery, mask: Mask) -> list[QueueItem]:
        return await queue.queue(self.db.opened_reader(), query, mask)

    async def queue_counts(self, query: QueueQuery) -> dict[str, int]:
        return await queue.queue_counts(self.db.opened_reader(), query)

    async def queue_item(self, conversation_id: str, mask: Mask) -> QueueItem | None:
        return await queue.queue_item(self.db.opened_reader(), conversation_id, mask)

    async def mentioned_in(self, agent_id: str) -> set[str]:
        return await queue.mentioned_in(self.db.opened_reader(), agent_id)

    async def address_messages(self, channel: Channel, address: str, after: int, limit: int = 500) -> list[dict]:
        return await webchat.address_messages(self.db.opened_reader(), channel.value, address, after, limit)

    async def inbound_message_id(self, channel: Channel, provider_message_id: str) -> int | None:
        return await webchat.inbound_message_id(self.db.opened_reader(), channel.value, provider_message_id)

    async def attach_citizen(self, channel: Channel, address: str, citizen_id: str) -> int:
        return await self.db.write(webchat.attach_citizen, channel.value, address, citizen_id)

    async def addresses_after(self, channel: Channel, after: int) -> tuple[int, dict[str, int]]:
        return await webchat.addresses_after(self.db.opened_reader(), channel.value, after)

    async def conversation_messages(self, conversation_id: str, *, include_notes: bool = True) -> list[dict]:
        return await queue.conversation_messages(self.db.opened_reader(), conversation_id, include_notes=include_notes)

    async def set_queue_status(
        self, conversation_id: str, status: str | None, *, by: str, now: datetime, snooze_until: datetime | None = None
    ) -> bool:
        changed = await self.db.write(
            queue.set_queue_status, conversation_id, status, by=by, now=now, snooze_until=snooze_until, mask=self.mask
        )
        self._feed_appended()
        return changed

    async def assign(
        self,
        conversation_id: str,
        agent_id: str | None,
        *,
        by: str,
        now: datetime,
        note: str | None = None,
        team: str | None = None,
        only_if_unassigned: bool = False,
    ) -> bool:
        changed = await self.db.write(
            queue.assign,
            conversation_id,
            agent_id,
            by=by,
            now=now,
            note=note,
            team=team,
            only_if_unassigned=only_if_unassigned,
        )
        if changed:
            self._feed_appended()
        return changed

    async def assign_next(self, conversation_id: str, now: datetime) -> str | None:
        agent_id = await self.db.write(queue.assign_next, conversation_id, now)
        if agent_id is not None:
            self._feed_appended()
        return agent_id

    async def waiting_unassigned(self, team: str | None, limit: int) -> list[str]:
        return await queue.waiting_unassigned(self.db.opened_reader(), team, limit)

    async def add_agent_message(
        self,
        conversation_id: str,
        *,
        author: str,
        kind: str,
        text: str,
        now: datetime,
        notification_id: str | None = None,
        mentions: tuple[str, ...] = (),
    ) -> dict:
        message = await self.db.write(
            queue.add_agent_message,
            conversation_id,
            author=author,
            kind=kind,
            text=text,
            now=now,
            notification_id=notification_id,
            mentions=mentions,
        )
        self._feed_appended()
        return message

    async def set_labels(self, conversation_id: str, labels: tuple[str, ...], *, by: str, now: datetime) -> bool:
        changed = await self.db.write(queue.set_labels, conversation_id, labels, by=by, now=now)
        self._feed_appended()
        return changed

    async def set_priority(self, conversation_id: str, priority: int, *, by: str, now: datetime) -> bool:
        changed = await self.db.write(queue.set_priority, conversation_id, priority, by=by, now=now)
        self._feed_appended()
        return changed

    async def set_presence(self, agent_id: str, presence: str, now: datetime) -> None:
        changed = await self.db.write(queue.set_presence, agent_id, presence, now)
        if changed:
            self._feed_appended()

    async def set_capacity(self, agent_id: str, capacity: int) -> bool:
        return await self.db.write(queue.set_capacity, agent_id, capacity)

    async def agent_workload(self) -> list[dict]:
        return await queue.agent_workload(self.db.opened_reader())

    async def queue_load(self, team: str | None) -> tuple[int, int]:
        return await queue.queue_load(self.db.opened_reader(), team)

    async def feed_since(self, seq: int, limit: int = 500) -> list[FeedRow]:
        return await feed.feed_since(self.db.opened_reader(), seq, limit)

    async def feed_last_seq(self) -> int:
        return await feed.feed_last_seq(self.db.opened_reader())

    async def wake_snoozed(self, now: datetime) -> int:
        woken = await self.db.write(queue.wake_snoozed, now, self.mask)
        if woken:
            self._feed_appended()
        return woken

    async def prune_feed(self, before: datetime) -> int:
        return await self.db.write(feed.prune_feed, before)

    async def message_delivery_changed(self, notification_ids: list[str]) -> int:
        if not notification_ids:
            return 0
        count = await self.db.write(queue.message_delivery_changed, notification_ids, utcnow())
        if count:
            self._feed_appended()
        return count

    # outbox, for the bus

    async def append_outbox(self, messages: list) -> None:
        await self.db.write(dossiers.insert_outbox, messages)
        self.db.outbox_appended()

    async def outbox_after(self, cursor: int, limit: int) -> list[OutboxRow]:
        return await outbox.outbox_after(self.db.reader, cursor, limit)

    async def outbox_first_pending(self) -> int:
        return await outbox.outbox_first_pending(self.db.reader)

    async def outbox_by_ids(self, message_ids: list[str]) -> list[OutboxRow]:
        return await outbox.outbox_by_ids(self.db.reader, message_ids)

    async def due_retries(self, now: float, limit: int) -> list[str]:
        return await outbox.due_retries(self.db.reader, now, limit)

    async def record_deliveries(self, results: list[DeliveryResult], dispatched: list[int]) -> None:
        await self.db.write(outbox.record_deliveries, results, dispatched)

    async def count_pending(self) -> int:
        rows = list(await self.db.opened_reader().execute_fetchall("SELECT count(*) FROM outbox WHERE dispatched = 0"))
        return rows[0][0]

    async def dead_letters(self) -> list[DeadLetter]:
        return await outbox.dead_letters(self.db.reader)

    async def retry_dead_letter(self, dead_letter_id: int) -> bool:
        return await self.db.write(outbox.retry_dead_letter, dead_letter_id)
