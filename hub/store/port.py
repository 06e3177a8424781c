"""What every store backend offers. Writes that change state also append the
events they cause to the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol

import orjson

from models.citizen import Channel, Citizen, ConsentRecord, Contact
from models.dossier import Dossier, DossierStatus, TimelineEntry
from models.notifications import DeliveryAttempt, Notification, Progress


@dataclass(frozen=True, slots=True)
class ApplicantData:
    full_name: str
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None
    telegram_chat_id: int | None = None
    preferred_channels: tuple[str, ...] = ()
    consents: tuple[ConsentRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class DossierData:
    code: str
    procedure: str
    agency: str
    received_at: datetime
    due_at: datetime | None
    applicant: ApplicantData
    status: DossierStatus | None = None  # only used when the dossier is new
    notify: bool = True  # False: registered without a notice (back-filled history)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    created: bool
    dossier: Dossier
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DossierLookup:
    """A dossier with what a public lookup needs of its applicant."""

    dossier: Dossier
    applicant_name: str
    applicant_phone: str | None


@dataclass(frozen=True, slots=True)
class StatusChange:
    code: str
    event_id: str
    status: DossierStatus
    at: datetime
    actor: str
    note: str
    due_at: datetime | None = None
    result: dict | None = None
    notify: bool = True  # False: recorded in the timeline without a notice


@dataclass(frozen=True, slots=True)
class StatusChangeResult:
    # accepted | duplicate | not_found | illegal | event_id_reused
    outcome: str
    entry: TimelineEntry | None = None
    previous_status: DossierStatus | None = None
    current_status: DossierStatus | None = None
    recorded_at: datetime | None = None
    notified: bool = True  # whether the change was recorded to be notified


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    message_id: str
    type: str
    key: str
    raw_payload: str  # JSON, parsed only when a handler needs it
    created_at: str
    # handler name -> (state, attempts, next_at) for handlers that have been tried
    deliveries: dict[str, tuple[str, int, float | None]] = field(default_factory=dict)

    @property
    def payload(self) -> dict:
        return orjson.loads(self.raw_payload)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    message_id: str
    handler: str
    # done | retry | dead
    state: str
    attempts: int
    next_at: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    message_id: str
    type: str
    handler: str
    attempts: int
    error: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class DossierTargets:
    """What the notifier needs to tell everyone concerned about a dossier."""

    code: str
    procedure: str
    agency: str
    status: str
    received_at: str
    due_at: str | None
    recipients: list[tuple[str, str]]  # (citizen id, full name): applicant first, then followers


class Waiting(NamedTuple):
    size: int  # how many
    oldest: str  # the creation time (ISO) of the oldest


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: str
    template: str
    context: dict
    source: str
    total: int
    state: str  # loading | active | cancelled
    created_at: str
    counts: dict[str, int] = field(default_factory=dict)  # notification status -> how many


@dataclass(frozen=True, slots=True)
class InboundRecord:
    channel: Channel
    address: str
    text: str
    provider_message_id: str
    citizen_id: str | None = None
    dossier_code: str | None = None
    subject: str | None = None
    references: tuple[str, ...] = ()
    # The channel threads by reply references (email): a message naming none
    # starts a new conversation instead of joining the address's recent one.
    threads_by_reference: bool = False


@dataclass(frozen=True, slots=True)
class FollowRequest:
    """A follow asked for through the API, waiting for the owner of the address."""

    id: str
    code: str
    citizen_id: str
    channel: Channel
    state: str  # pending | confirmed
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class FollowOutcome:
    # requested (a confirmation is queued) | pending (one already waits) | following |
    # withdrawn (the address said no: nothing is sent) | full | expired | not_found
    outcome: str
    request: FollowRequest | None = None


@dataclass(frozen=True, slots=True)
class InboundResult:
    conversation_id: str
    new_message: bool  # False: the same provider message came before (a webhook retried)
    new_conversation: bool
    # A person has the conversation (queued, not resolved; a resolved one the
    # message reopened included): the assistant does not answer it.
    queued: bool = False


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """One page of the console's queue, as one agent may see it."""

    viewer: str  # agent id
    viewer_team: str | None
    viewer_is_supervisor: bool
    view: str = "mine"  # mine | unassigned | team | all ("all" only for supervisors; agents get 'team')
    status: str | None = "open"  # None = any queued status
    channel: str | None = None
    priority: int | None = None
    label: str | None = None
    dossier: str | None = None  # exact code, upper case
    search: str | None = None  # a dossier code, the last 3-4+ digits of a phone, a whole email, or part of a name
    limit: int = 50
    before: str | None = None  # cursor: last_message_at|id of the previous page's last row


@dataclass(frozen=True, slots=True)
class QueueItem:
    conversation_id: str
    channel: str
    status: str
    priority: int
    assignee: str | None
    team: str | None
    citizen_id: str | None
    citizen_name: str | None
    address_masked: str  # by the `mask(channel, address)` the caller hands in: the store never imports channels
    dossier_code: str | None
    subject: str | None
    last_text: str  # the latest message (not note), cut to 140 characters
    last_at: str  # ISO
    queued_at: str | None
    escalation_reason: str | None
    labels: tuple[str, ...]
    snooze_until: str | None

    @property
    def cursor(self) -> str:
        """What QueueQuery.before takes to get the page after this row."""
        return f"{self.last_at}|{self.conversation_id}"


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One change a console must see (console_feed); `assignee`/`team` are the
    conversation's after the change, `agent_id` whom a mention or presence is about."""

    seq: int
    at: str
    kind: str
    conversation_id: str | None
    assignee: str | None
    team: str | None
    agent_id: str | None
    payload: dict


class Lifecycle(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def readiness(self) -> dict: ...


class Outbox(Protocol):
    """The bus's side of the store: what was published, and each handler's outcome."""

    def on_outbox_append(self, listener: Callable[[], None]) -> None: ...
    async def count_pending(self) -> int: ...
    async def append_outbox(self, messages: list) -> None: ...
    async def outbox_after(self, cursor: int, limit: int) -> list[OutboxRow]: ...
    async def outbox_first_pending(self) -> int: ...
    async def outbox_by_ids(self, message_ids: list[str]) -> list[OutboxRow]: ...
    async def due_retries(self, now: float, limit: int) -> list[str]: ...
    async def record_deliveries(self, results: list[DeliveryResult], dispatched: list[int]) -> None: ...
    async def dead_letters(self) -> list[DeadLetter]: ...
    async def retry_dead_letter(self, dead_letter_id: int) -> bool: ...


class DossierStore(Protocol):
    async def upsert_dossier(self, data: DossierData) -> UpsertResult: ...
    async def record_status_change(self, change: StatusChange) -> StatusChangeResult: ...
    async def get_dossier(self, code: str) -> Dossier | None: ...
    async def lookup_dossier(self, code: str) -> DossierLookup | None: ...
    async def applicant_phone(self, code: str) -> str | None:
        """The phone a lookup's digits are checked against; None for an unknown
        code too. As cheap for either, so that a failure's timing tells nothing."""


class CitizenStore(Protocol):
    """Citizens as contact points: their addresses, consents and what they follow."""

    async def get_citizen(self, citizen_id: str) -> Citizen | None: ...
    async def get_citizens(self, ids: list[str]) -> dict[str, Citizen]: ...
    async def get_contacts(self, ids: list[str]) -> dict[str, Contact]: ...
    async def add_consent(self, citizen_id: str, record: ConsentRecord) -> None: ...
    async def find_contact(self, channel: Channel, address: str | int) -> str | None: ...
    async def ensure_contact(self, channel: Channel, address: str | int) -> str: ...
    async def follow(
        self, code: str, channel: Channel, address: str | int, via: str, consent: ConsentRecord
    ) -> tuple[str, bool]: ...
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
        """A verified link (a Telegram deep link) puts the address on that
        citizen, once: the first address to use `link` (an id for the token)
        keeps it; the same address again is linked again; any other address
        gets False and nothing changes."""

    async def add_start_link(self, link: str, citizen_id: str, dossier_code: str, expires_at: datetime) -> None:
        """Record a receipt's short Telegram link (`link`: the token's digest);
        the same link again changes nothing."""

    async def start_link(self, link: str, now: datetime) -> tuple[str, str] | None:
        """(citizen_id, dossier_code) of an unexpired link recorded by add_start_link."""

    async def linked_dossiers(self, channel: Channel, address: str | int, limit: int = 10) -> list[Dossier]:
        """The dossiers the address owns by an explicit link: those of the
        applicant whose receipt's deep link the address used (link_contact),
        while the address is still that applicant's; newest first, at most
        `limit`. A phone that merely matches an applicant's owns nothing here:
        a phone may be shared."""

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
        """A pending follow and the message asking the address to confirm it
        (`confirmation(request_id, citizen_id)`), committed together; nothing
        when the address withdrew its consent on the channel, already follows,
        already has a live request, or the dossier has `limit` followers and
        live requests."""

    async def live_follow_request(self, code: str, channel: Channel, address: str | int) -> FollowRequest | None:
        """The address's unexpired pending request to follow the dossier."""

    async def get_follow_request(self, request_id: str) -> FollowRequest | None: ...

    async def confirm_follow(self, request_id: str, consent: ConsentRecord) -> FollowOutcome:
        """The owner confirmed: the consent and the subscription, unless the
        request expired or the address withdrew its consent meanwhile."""


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """An API key as operators see it: never its secret, nor its hash."""

    id: int
    name: str
    created_at: str
    revoked_at: str | None = None


class ApiKeyStore(Protocol):
    """Keys stored as hashes; every create, revoke and rotate leaves an audit row with its actor."""

    async def add_api_key(self, name: str, key_hash: str, actor: str = "system") -> int: ...
    async def api_key_name(self, key_hash: str) -> str | None: ...
    async def list_api_keys(self) -> list[ApiKeyInfo]: ...
    async def revoke_api_keys(self, ref: str, actor: str) -> list[ApiKeyInfo]:
        """Revokes the live key whose id is `ref` (digits), else every live key named `ref`; those revoked."""

    async def rotate_api_key(self, name: str, key_hash: str, actor: str) -> tuple[int, list[ApiKeyInfo]] | None:
        """In one transaction, a new key named `name` and the live ones of that
        name revoked: (new id, revoked); None when no live key has that name."""


@dataclass(frozen=True, slots=True)
class Agent:
    """A help-center agent. `password_hash` (argon2id) never leaves the
    console's own modules; None until the agent uses a set-password link."""

    id: str
    name: str
    email: str  # normalised (models/email_address.py): the sign-in name
    role: str  # agent | supervisor | admin
    team: str | None
    disabled: bool
    created_at: datetime
    password_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AgentSession:
    """A console session as stored: the cookie's value is never kept, only its digest."""

    agent_id: str
    created_at: datetime
    last_seen: datetime
    revoked: bool


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the append-only audit log: who (an agent's id, or
    'cli:<login>'), when, what they did or saw, on which object, and why."""

    actor: str
    action: str
    object_type: str = ""
    object_id: str = ""
    reason: str = ""
    at: datetime | None = None  # set by the caller's clock; the store keeps it as given
    id: int | None = None


class AgentStore(Protocol):
    """Console accounts, their one-time set-password links, their sessions,
    and the audit log, which has no method to change or remove a row."""

    async def add_agent(self, agent: Agent) -> Agent:
        """Conflict (models.errors) when an agent already has that email."""

    async def get_agent(self, ref: str) -> Agent | None:
        """By id, or by (normalised) email."""

    async def list_agents(self) -> list[Agent]: ...
    async def set_agent_disabled(self, agent_id: str, disabled: bool, now: datetime) -> bool:
        """Disabling also revokes the agent's sessions; False for an unknown id."""

    async def add_password_token(self, token_hash: str, agent_id: str, now: datetime, expires_at: datetime) -> None:
        """A new link; any earlier unused link of the agent stops working."""

    async def password_token_agent(self, token_hash: str, now: datetime) -> str | None:
        """The agent an unused, unexpired link is for."""

    async def use_password_token(self, token_hash: str, password_hash: str, now: datetime) -> str | None:
        """In one transaction: the link used up, the password set, the agent's
        sessions revoked; the agent's id, or None for a used, expired or unknown link."""

    async def add_session(self, id_hash: str, agent_id: str, now: datetime) -> None: ...
    async def get_session(self, id_hash: str) -> AgentSession | None: ...
    async def touch_session(self, id_hash: str, now: datetime) -> None: ...
    async def revoke_session(self, id_hash: str, now: datetime) -> None: ...
    async def revoke_agent_sessions(self, agent_id: str, now: datetime) -> int:
        """How many live sessions were revoked."""

    async def append_audit(self, entry: AuditEntry) -> int:
        """The new row's id."""

    async def audit_entries(
        self,
        *,
        actor: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """The latest `limit` rows that match, oldest first."""


class NotificationStore(Protocol):
    def on_notifications_added(self, listener: Callable[[], None]) -> None: ...
    async def dossier_targets(self, codes: list[str]) -> dict[str, DossierTargets]: ...
    async def add_notifications(self, items: list[Notification]) -> int: ...
    async def due_notifications(self, now: float, limit: int) -> list[Notification]: ...
    async def next_notification_due(self) -> float | None: ...
    async def notification_backlog(self) -> dict[str, Waiting]:
        """Notifications still to act on (next_at set), by status: how many and
        the oldest; the retry queue for /metrics."""

    async def claim_notifications(self, ids: list[str], now: float, lease: float) -> set[str]:
        """Those of `ids` still due at `now`, leased to the caller until now + lease."""

    async def start_sending(self, updates: list[Progress], attempts: list[DeliveryAttempt]) -> set[str]:
        """Records the round's decisions and the attempts it starts; returns the
        ids cancelled meanwhile (superseded), whose attempts it does not record
        and which the caller must not send."""

    async def resend_notification(self, notification_id: str, now: float) -> Notification | None:
        """Routed again from the start, due at `now` (an operator's resend);
        None when unknown or being handed to a provider right now."""

    async def not_sent_notifications(self, limit: int) -> list[Notification]:
        """Notifications with a reason for not being sent (waiting or given up), latest first."""

    async def record_progress(self, updates: list[Progress], attempts: list[DeliveryAttempt]) -> None: ...
    async def attempts_by_ref(self, provider: str, refs: list[str]) -> list[tuple[DeliveryAttempt, Notification]]: ...
    async def list_notifications(
        self, *, dossier: str | None = None, citizen: str | None = None, broadcast: str | None = None, limit: int = 200
    ) -> list[Notification]: ...
    async def get_notifications(self, ids: list[str]) -> list[Notification]: ...
    async def overdue_without_apology(self, now: datetime, limit: int, since: datetime | None = None) -> list[str]:
        """Dossiers due before `now` (and not before `since`), not done, not yet apologised to."""

    async def sent_after(self, after_id: int, limit: int) -> list[dict]:
        """Attempts on every provider after the cursor `id`: id, created_at, channel,
        address (masked), provider, status, subject, text (None once purged), error,
        purpose, dossier_code."""

    async def last_sent(self, count: int) -> list[dict]:
        """The latest `count` attempts as sent_after gives them, oldest first."""

    async def purge_sent_texts(self, before: datetime) -> int:
        """Blanks the texts of attempts made before `before` (the rows stay) and
        drops what recording providers kept from before it; how many."""


class RecordedMessages(Protocol):
    """What the recording providers kept instead of sending."""

    async def record_messages(self, rows: list[tuple]) -> None: ...
    async def recorded_after(self, after_id: int, limit: int) -> list[dict]: ...
    async def last_recorded(self, count: int) -> list[dict]: ...


class ConversationStore(Protocol):
    """Conversations on every channel, and their hand-over to a person."""

    async def add_inbound(self, record: InboundRecord, events_for) -> InboundResult:
        """Stores the message once per (channel, provider id), in the conversation
        it belongs to; `events_for(conversation_id)` gives the bus events that
        commit with it."""

    async def add_outbound(
        self, conversation_id: str, channel: Channel, text: str, buttons: list, provider_message_id: str | None = None
    ) -> None: ...
    async def list_conversations(
        self, *, channel: Channel | None = None, citizen: str | None = None, dossier: str | None = None, limit: int = 50
    ) -> list[dict]: ...
    async def get_conversation(self, conversation_id: str) -> dict | None: ...
    async def offered_options(self, conversation_id: str) -> list[dict]:
        """The buttons ({"title", "payload"}) the replies to the citizen's
        previous message offered (the last reply with any), the latest
        inbound message being the one that answers them; empty when none."""

    async def escalate(self, conversation_id: str, reason: str):
        """Hand the conversation to a person: an EscalationRequested event with
        the transcript, committed with it; None when it already waits."""

    async def list_escalations(self, *, state: str | None = None, limit: int = 100) -> list[dict]: ...
    async def count_open_escalations(self) -> int: ...


Mask = Callable[[str, str], str]  # (channel value, address) -> the address as an agent may see it


class QueueStore(Protocol):
    """The console's queue: conversations a person must answer, their
    assignment, agents' presence, and the feed of changes consoles follow.
    Every write appends its console_feed row(s) in the same transaction."""

    def on_feed_append(self, listener: Callable[[], None]) -> None:
        """`listener()` after any commit that appended feed rows (the live hub's wake-up)."""

    async def queue(self, query: QueueQuery, mask: Mask) -> list[QueueItem]:
        """One page, newest activity first; one query whatever the page's size."""

    async def queue_counts(self, query: QueueQuery) -> dict[str, int]:
        """How many rows each view (mine, unassigned, team, all) holds for the
        query's viewer and filters (its view, limit and cursor ignored); "all"
        is 0 for an agent who is not a supervisor."""

    async def queue_item(self, conversation_id: str, mask: Mask) -> QueueItem | None:
        """Any conversation, queued or not (status '' when with the assistant); None when unknown."""

    async def conversation_messages(self, conversation_id: str, *, include_notes: bool = True) -> list[dict]:
        """{"id", "direction", "kind", "author", "text", "at", "channel", "buttons",
        "delivery": {"status", "reason", "channel"} | None}, oldest first."""

    async def set_queue_status(
        self, conversation_id: str, status: str | None, *, by: str, now: datetime, snooze_until: datetime | None = None
    ) -> bool:
        """open | pending | snoozed (needs snooze_until) | resolved; None hands
        it back to the assistant (its open escalation closed). False: unknown."""

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
        """False when unknown, or (only_if_unassigned: a claim) when another agent has it."""

    async def assign_next(self, conversation_id: str, now: datetime) -> str | None:
        """Auto-assignment of an open unassigned conversation, round-robin among
        online agents of its team with room; the agent chosen, or None."""

    async def waiting_unassigned(self, team: str | None, limit: int) -> list[str]:
        """Open unassigned conversations an agent of `team` may take: most
        urgent, then longest waiting, first."""

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
        """kind 'message' (a reply) or 'note'; the message as conversation_messages gives it."""

    async def set_labels(self, conversation_id: str, labels: tuple[str, ...], *, by: str, now: datetime) -> bool: ...
    async def set_priority(self, conversation_id: str, priority: int, *, by: str, now: datetime) -> bool: ...
    async def set_presence(self, agent_id: str, presence: str, now: datetime) -> None: ...
    async def set_capacity(self, agent_id: str, capacity: int) -> bool:
        """How many open conversations auto-assignment gives the agent at most; False: unknown agent."""

    async def agent_workload(self) -> list[dict]:
        """{"agent_id", "name", "team", "presence", "capacity", "open"} for every enabled agent."""

    async def queue_load(self, team: str | None) -> tuple[int, int]:
        """(open unassigned conversations of the team, online agents of the team with room)."""

    async def mentioned_in(self, agent_id: str) -> set[str]:
        """The conversations where a note mentions the agent (the visibility rule's last clause)."""

    async def feed_since(self, seq: int, limit: int = 500) -> list[FeedRow]: ...
    async def feed_last_seq(self) -> int: ...
    async def wake_snoozed(self, now: datetime) -> int:
        """Snoozed conversations whose time came are open again; how many."""

    async def prune_feed(self, before: datetime) -> int: ...
    async def message_delivery_changed(self, notification_ids: list[str]) -> int:
        """One message.status feed row per agent message whose notification is among these."""


class BroadcastStore(Protocol):
    async def create_broadcast(self, broadcast: Broadcast) -> Broadcast: ...
    async def add_broadcast_recipients(
        self, broadcast_id: str, items: list[Notification], total: int, done: bool
    ) -> None: ...
    async def get_broadcast(self, broadcast_id: str) -> Broadcast | None: ...
    async def cancel_broadcast(self, broadcast_id: str) -> int: ...


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """An answer agents insert with `/shortcut`; its body may name variables
    that contact_center/canned.py fills per conversation."""

    id: str
    shortcut: str  # [a-z0-9_-]{1,32}, unique
    title: str
    body: str
    team: str | None  # None: every team's
    created_by: str | None
    created_at: datetime


class CannedStore(Protocol):
    async def add_canned(self, canned_response: CannedResponse) -> CannedResponse:
        """Conflict (models.errors) when another one has that shortcut."""

    async def get_canned(self, ref: str) -> CannedResponse | None:
        """By id, or by shortcut."""

    async def list_canned(
        self, *, query: str | None = None, team: str | None = None, every_team: bool = False, limit: int = 50
    ) -> list[CannedResponse]:
        """By shortcut; those of no team and of `team` (of every team when
        `every_team`); `query` matches the start of the shortcut or any part
        of the title, case-insensitively."""

    async def update_canned(self, canned_response: CannedResponse) -> bool:
        """Shortcut, title, body and team of the row with that id; False when
        unknown; Conflict when another one has the shortcut."""

    async def delete_canned(self, canned_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class CitizenMerge:
    """Two citizen records found to be one person: `moved` says exactly what
    went from `merged_id` to `kept_id`, for the undo."""

    id: str
    kept_id: str
    merged_id: str
    agent_id: str
    at: datetime
    reason: str
    moved: dict
    undone_at: datetime | None = None
    undone_by: str | None = None


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    # merged | undone | same (a citizen with itself) | unknown (no such citizen or merge) |
    # merged_away (a citizen already merged into another) | different_people (two ID numbers) | already_undone |
    # blocked (the kept citizen was merged away since: undo that merge first)
    outcome: str
    merge: CitizenMerge | None = None


class CitizenViewStore(Protocol):
    """What the console shows of one citizen beside a conversation, and the
    merge of two records of the same person (reversible)."""

    async def citizen_conversations(
        self, citizen_ids: list[str], channel: str, address: str, *, limit: int = 20, messages: int = 100
    ) -> list[dict]:
        """Conversations of these citizens, or from this channel address,
        newest first: {"id", "channel", "address", "citizen_id", "dossier_code",
        "state", "queue_status", "subject", "started_at", "updated_at",
        "escalation": {"id", "reason", "state", "created_at", "transcript"} | None,
        "messages": [{"direction", "kind", "author", "text", "at", "channel"}]}
        (the last `messages` of each, oldest first, private notes left out)."""

    async def citizen_dossier_codes(self, citizen_ids: list[str], *, limit: int = 20) -> list[tuple[str, str]]:
        """(code, "applicant" | "follower") of these citizens' dossiers, newest first."""

    async def merge_citizens(
        self, merge_id: str, kept_id: str, merged_id: str, *, agent_id: str, reason: str, now: datetime
    ) -> MergeOutcome:
        """In one transaction: every row naming `merged_id` (consents,
        conversations, escalations, notifications, follows, follow requests,
        links, and dossiers whose lookup phone stays the same) and each
        contact `kept_id` lacks move to `kept_id`; recorded as `merge_id`."""

    async def undo_citizen_merge(self, merge_id: str, *, agent_id: str, now: datetime) -> MergeOutcome:
        """Puts back what the merge moved (what still sits on the kept citizen)."""

    async def get_citizen_merge(self, merge_id: str) -> CitizenMerge | None: ...
    async def citizen_merges(self, citizen_id: str) -> list[CitizenMerge]:
        """Merges that kept or merged this citizen, oldest first, undone ones included."""


class WebChatStore(Protocol):
    """A web session's conversations, found by their address (the session's
    HMAC'd token): what the page shows and where an answer goes after it closes."""

    async def address_messages(self, channel: Channel, address: str, after: int, limit: int = 500) -> list[dict]:
        """Messages (kind 'message': no notes, no activity) of every conversation
        of the address with an id above `after`, oldest first, at most `limit`:
        {"id", "direction", "author", "text", "buttons", "at", "provider_message_id"}."""

    async def inbound_message_id(self, channel: Channel, provider_message_id: str) -> int | None:
        """The id of the citizen's message stored under this provider id."""

    async def attach_citizen(self, channel: Channel, address: str, citizen_id: str) -> int:
        """Every conversation of the address now has this citizen (the visitor
        left a contact); how many conversations that is."""

    async def addresses_after(self, channel: Channel, after: int) -> tuple[int, dict[str, int]]:
        """The highest message id above `after` (else `after`), and the
        addresses of the channel with a message (not a note) above `after`,
        each with its newest message's id: one read tells the live sessions
        which of them have news (from any process) they have not read yet."""


@dataclass(frozen=True, slots=True)
class Kiosk:
    """A touch-screen kiosk of the public-service centre (issue 13). Its key
    is never stored, only its digest."""

    id: str
    name: str
    created_at: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class KioskRatings:
    kiosk_id: str
    count: int
    average: float | None  # None when nobody rated yet
    scores: dict[int, int]  # score (1..5) -> how many


@dataclass(frozen=True, slots=True)
class Handover:
    """What a kiosk tells about collecting a dossier's result and its dates:
    the `result` (how it is handed over) of the latest event that gave one,
    and the due dates in the order they were set, so that a date moved after
    it had passed reads as the new date promised with the apology."""

    result: dict | None
    due_dates: tuple[tuple[datetime, datetime], ...]  # (when set, due date)
    # What the overdue apology told the citizen, if one was sent: its
    # "original_due_at_display" and "new_due_at_display" (None: date to follow).
    apology: dict | None = None


class KioskStore(Protocol):
    """Kiosk accounts, their ratings, and what the kiosk screen reads besides
    the public lookup."""

    async def add_kiosk(self, kiosk: Kiosk, key_hash: str) -> Kiosk: ...
    async def kiosk_by_key(self, key_hash: str) -> Kiosk | None:
        """The kiosk with this key digest, disabled ones too (the caller refuses them)."""

    async def list_kiosks(self) -> list[Kiosk]: ...
    async def disable_kiosk(self, ref: str) -> Kiosk | None:
        """Disable the kiosk with this id, else the first one with this name; None when none."""

    async def add_kiosk_rating(self, kiosk_id: str, score: int, at: datetime) -> None: ...
    async def kiosk_ratings(self, kiosk_id: str, since: datetime | None = None) -> KioskRatings: ...
    async def dossier_handover(self, code: str) -> Handover: ...


class Store(
    Lifecycle,
    Outbox,
    DossierStore,
    CitizenStore,
    ApiKeyStore,
    AgentStore,
    NotificationStore,
    RecordedMessages,
    ConversationStore,
    QueueStore,
    BroadcastStore,
    CannedStore,
    CitizenViewStore,
    WebChatStore,
    KioskStore,
    Protocol,
):
    """Every role: what one backend offers as a whole. Consumers ask for the
    roles they use, so that a backend can be built and tested role by role."""


# The roles, for contract suites that run one set of tests per role.
ROLES = tuple(base for base in Store.__bases__ if base is not Protocol)
