"""Notification engine throughput: N dossier status events in, each rendered,
routed, sent through the recording providers (which keep every message in
SQLite), and its status stored, all with durable commits (synchronous=FULL).

Prints events/s and p50/p99 from the event's commit to the commit of its
`sent`/`delivered` status.

    python bench/notify.py -n 20000 --dossiers 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.app import make_bus, make_notifier, open_store, recording_channels  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.store.port import ApplicantData, DossierData, StatusChange  # noqa: E402
from models.citizen import Channel, ConsentRecord  # noqa: E402
from models.dossier import DossierStatus  # noqa: E402
from notify.links import Links  # noqa: E402
from notify.rendering import Templates  # noqa: E402

# Legal moves that change the status every time, so that every event is news.
CYCLE = [DossierStatus.IN_PROGRESS, DossierStatus.SUPPLEMENT_REQUESTED]
CHANNEL_MIX = [("telegram", "sms", "email"), ("email", "telegram"), ("sms", "email")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def seed(store, dossiers: int) -> list[str]:
    now = datetime.now(timezone.utc)
    codes = []
    for i in range(dossiers):
        preferred = CHANNEL_MIX[i % len(CHANNEL_MIX)]
        code = f"BENCH-{i:06d}"
        await store.upsert_dossier(DossierData(
            code=code, procedure="Đăng ký khai sinh", agency="UBND phường Thạch Thang",
            received_at=now, due_at=now + timedelta(days=30),
            applicant=ApplicantData(
                full_name=f"Công dân {i}", phone=f"+8491{i:07d}", email=f"cd{i}@example.vn",
                telegram_chat_id=10_000_000 + i, preferred_channels=preferred,
                consents=tuple(ConsentRecord(Channel(c), True, now, "bench", "consent") for c in preferred)),
            status=DossierStatus.RECEIVED))
        codes.append(code)
    return codes


async def run(args) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="tongdai-bench-notify-"))
    # Quiet hours off so that the figure does not depend on the time of day.
    settings = Settings(data_dir=data_dir, quiet_hours="00:00-00:00", sqlite_synchronous="FULL",
                        bus_concurrency=64, notify_batch=args.batch)
    store = open_store(settings)
    await store.open()
    codes = await seed(store, args.dossiers)
    bus = make_bus(store, settings)
    templates = Templates()
    channels = recording_channels(store, settings)
    notifier = make_notifier(store, channels, templates, Links("http://bench", b"k" * 32), settings)
    notifier.subscribe(bus)

    submitted: dict[str, float] = {}
    finished: dict[str, float] = {}
    all_done = asyncio.Event()

    def on_recorded(updates) -> None:
        now = time.perf_counter()
        for n in updates:
            if n.purpose == "dossier_status" and n.status.value in ("sent", "delivered"):
                finished.setdefault(n.source_event_id, now)
        if len(finished) >= args.n:
            all_done.set()

    notifier.sender.on_recorded(on_recorded)
    await bus.start()
    await notifier.start()
    # Registration notices from seeding go out first; they are not measured.
    await bus.wait_idle(60)
    await notifier.sender.wait_idle(120)

    at = datetime.now(timezone.utc)
    counters = {code: 0 for code in codes}
    pending: set[asyncio.Task] = set()
    limit = asyncio.Semaphore(args.concurrency)

    async def one(i: int) -> None:
        async with limit:
            code = codes[i % len(codes)]
            status = CYCLE[counters[code] % 2]
            counters[code] += 1
            event_id = f"bench-{i}"
            result = await store.record_status_change(StatusChange(
                code=code, event_id=event_id, status=status, at=at, actor="bench", note="- Bản sao CCCD"))
            assert result.outcome == "accepted", result
            submitted[event_id] = time.perf_counter()

    started = time.perf_counter()
    for i in range(args.n):
        task = asyncio.create_task(one(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*list(pending))
    ingested = time.perf_counter()
    await asyncio.wait_for(all_done.wait(), timeout=args.timeout)
    ended = max(finished.values())

    latencies = [(finished[e] - submitted[e]) * 1000 for e in submitted if e in finished]
    counts = await store.db.reader.execute_fetchall(
        "SELECT channel, count(*) FROM notifications WHERE purpose = 'dossier_status' GROUP BY channel")
    recorded = (await store.db.reader.execute_fetchall("SELECT count(*) FROM recorded_messages"))[0][0]
    await notifier.stop()
    await bus.stop()
    await store.close()

    print(f"notify: {args.n} status events over {args.dossiers} dossiers, synchronous=FULL, "
          f"recording providers (SQLite), batch {args.batch}")
    print(f"  events in (committed):   {args.n / (ingested - started):8.0f} events/s")
    print(f"  end to end (to 'sent'):  {args.n / (ended - started):8.0f} events/s   "
          f"(target >= 5,000)")
    print(f"  event -> sent latency:   p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")
    print(f"  by channel: {dict((row[0], row[1]) for row in counts)}; recorded messages: {recorded}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
