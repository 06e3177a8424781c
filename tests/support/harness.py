"""The notification engine as bootstrap() builds it, on a real SQLite store
with in-memory recording providers and a clock the test moves by hand: no
sleeping, no wall time."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from channels.recording import MemorySink, RecordingProvider
from channels.registry import Channels
from hub.app import bootstrap
from hub.settings import Settings
from hub.store.port import ApplicantData, DossierData, StatusChange
from hub.store.sqlite import SqliteStore
from models.citizen import Channel, ConsentRecord
from models.dossier import DossierStatus
from models.events import DossierRegistered, DossierStatusChanged, Message
from models.timeutil import VN_TZ
from notify.overdue import OverdueScheduler
from notify.planner import Planner
from notify.receipts import Receipts
from notify.sender import Policy, Sender
from tests.support.clock import FakeClock

CODE = "H12.22-261120-0001"
# A Wednesday morning in Vietnam, no holiday.
MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ)


def granted(*channels: Channel, at: datetime = datetime(2026, 1, 1, tzinfo=UTC)):
    return tuple(
        ConsentRecord(channel=c, granted=True, at=at, via="one_stop_shop", legal_basis="consent") for c in channels
    )


APPLICANT = ApplicantData(
    full_name="Trần Thị Bình",
    phone="+84912345678",
    email="binh@example.vn",
    telegram_chat_id=777001,
    preferred_channels=("telegram", "sms", "email"),
    consents=granted(Channel.TELEGRAM, Channel.SMS, Channel.EMAIL),
)


@dataclass
class Harness:
    store: SqliteStore
    clock: FakeClock
    sinks: dict[Channel, MemorySink]
    providers: dict[Channel, RecordingProvider]
    channels: Channels
    planner: Planner
    sender: Sender
    receipts: Receipts
    overdue: OverdueScheduler
    cursor: int = 0
    events: list[Message] = field(default_factory=list)

    def sent(self, channel: Channel) -> list:
        return self.sinks[channel].messages

    async def dossier(self, code: str = CODE, applicant: ApplicantData = APPLICANT, due_at=None):
        await self.store.upsert_dossier(
            DossierData(
                code=code,
                procedure="Đăng ký khai sinh",
                agency="UBND phường Thạch Thang",
                received_at=datetime.fromtimestamp(self.clock.now, UTC),
                due_at=due_at,
                applicant=applicant,
            )
        )

    async def status(self, status: str, event_id: str, code: str = CODE, note: str = "", due_at=None, result=None):
        outcome = await self.store.record_status_change(
            StatusChange(
                code=code,
                event_id=event_id,
                status=DossierStatus(status),
                at=datetime.fromtimestamp(self.clock.now, UTC),
                actor="Một cửa",
                note=note,
                due_at=due_at,
                result=result,
            )
        )
        assert outcome.outcome in ("accepted", "duplicate"), outcome
        return outcome

    async def plan(self) -> list[Message]:
        """Hand new outbox events to the planner, as the bus would."""
        rows = await self.store.outbox_after(self.cursor, 1000)
        if rows:
            self.cursor = rows[-1].id
        events = [
            Message.from_dict(r.type, r.payload)
            for r in rows
            if r.type in (DossierRegistered.__name__, DossierStatusChanged.__name__)
        ]
        self.events += events
        await self.planner.handle(events)
        return events

    async def send(self) -> int:
        total = 0
        while looked := await self.sender.run_once():
            total += looked
            if total > 10_000:
                raise AssertionError("sender does not settle")
        return total

    async def pump(self) -> None:
        await self.plan()
        await self.send()

    async def notifications(self, code: str = CODE):
        return await self.store.list_notifications(dossier=code)


async def make_harness(
    tmp_path,
    *,
    receipts: bool = True,
    fail: dict | None = None,
    quiet="21:00-07:00",
    policy: Policy | None = None,
    limits: dict | None = None,
) -> Harness:
    if policy is None:
        policy = Policy(max_attempts=3, backoff_base=10, backoff_cap=60, lease=30)
    clock = FakeClock(MORNING.timestamp())
    sinks = {c: MemorySink() for c in (Channel.TELEGRAM, Channel.SMS, Channel.EMAIL, Channel.PHONE)}
    providers = {
        c: RecordingProvider(c, sink, receipts=receipts, fail=(fail or {}).get(c), limits=(limits or {}).get(c))
        for c, sink in sinks.items()
    }
    settings = Settings(
        data_dir=tmp_path,
        quiet_hours=quiet,
        public_url="https://tongdai.example.vn",
        org_name="Trung tâm PVHCC",
        org_hotline="1900 0000",
        org_website="https://dvc.example.vn",
    )
    service = await bootstrap(
        settings,
        store=SqliteStore(tmp_path / "notify.sqlite3"),
        providers=list(providers.values()),
        clock=clock,
        secret=b"k" * 32,
        policy=policy,
    )
    await service.open()
    notifier = service.notifier
    notifier.sender.rng = random.Random(7)
    return Harness(
        service.store,
        clock,
        sinks,
        providers,
        service.channels,
        notifier.planner,
        notifier.sender,
        notifier.receipts,
        notifier.overdue,
    )
