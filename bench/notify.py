"""Notification engine throughput: N dossier status events in, each rendered,
routed, sent through the recording providers (which keep every message in
SQLite), and its status stored, all with durable commits (synchronous=FULL).

Two phases: a backlog of N committed events that the engine then works
through (events/s), and a live phase at a steady rate (p50/p99 from each
event's commit to the commit of its `sent`/`delivered` status).

    python bench/notify.py -n 20000

Each backlog event is about a dossier of its own (`--dossiers` defaults to
N): news about one dossier still waiting is superseded by newer news about
it, so ten events on one dossier would be one message, not ten.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run by path, bench/ comes first on sys.path, where this file would shadow the
# `notify` package it measures (and bench/assistant.py the `assistant` package
# hub.app imports): the repository root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.app import bootstrap
from hub.settings import Settings
from hub.store.port import ApplicantData, DossierData, StatusChange
from models.citizen import Channel, ConsentRecord
from models.dossier import DossierStatus

# Legal moves that change the status every time, so that every event is news.
CYCLE = [DossierStatus.IN_PROGRESS, DossierStatus.SUPPLEMENT_REQUESTED]
CHANNEL_MIX = [("telegram", "sms", "email"), ("email", "telegram"), ("sms", "email")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def seed(store, dossiers: int) -> list[str]:
    now = datetime.now(UTC)
    limit = asyncio.Semaphore(64)  # concurrent upserts share commits

    async def one(i: int) -> None:
        async with limit:
            preferred = CHANNEL_MIX[i % len(CHANNEL_MIX)]
            code = f"BENCH-{i:06d}"
            await store.upsert_dossier(
                DossierData(
                    code=code,
                    procedure="Đăng ký khai sinh",
                    agency="UBND phường Thạch Thang",
                    received_at=now,
                    due_at=now + timedelta(days=30),
                    applicant=ApplicantData(
                        full_name=f"Công dân {i}",
                        phone=f"+8491{i:07d}",
                        email=f"cd{i}@example.vn",
                        telegram_chat_id=10_000_000 + i,
                        preferred_channels=preferred,
                        consents=tuple(ConsentRecord(Channel(c), True, now, "bench", "consent") for c in preferred),
                    ),
                    status=DossierStatus.RECEIVED,
                    notify=False,  # seeded history: the status events are what is measured
                )
            )

    await asyncio.gather(*(one(i) for i in range(dossiers)))
    return [f"BENCH-{i:06d}" for i in range(dossiers)]


async def submit(
    store, codes, counters, start: int, count: int, at, concurrency: int, rate: float | None, submitted: dict
) -> float:
    """Status events in through the store (the API's own path minus HTTP);
    open loop at `rate` per second when given. Returns the elapsed seconds."""
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            code = codes[i % len(codes)]
            status = CYCLE[counters[code] % 2]
            counters[code] += 1
            event_id = f"bench-{i}"
            result = await store.record_status_change(
                StatusChange(code=code, event_id=event_id, status=status, at=at, actor="bench", note="- Bản sao CCCD")
            )
            assert result.outcome == "accepted", result
            submitted[event_id] = time.perf_counter()

    started = time.perf_counter()
    tasks = []
    for n, i in enumerate(range(start, start + count)):
        if rate:
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - started


async def sender_process_backlog(args) -> float:
    """The same backlog with `TONGDAI_NOTIFY_SENDER_PROCESS` as the service
    runs it: bus and planner here, the sender in `tongdai notify-sender`
    (already up, as in a running service). Events/s until every one is sent,
    read from the database, since the sender is in another process."""
    data_dir = Path(tempfile.mkdtemp(prefix="tongdai-bench-notify-process-"))
    env = {
        **os.environ,
        "TONGDAI_QUIET_HOURS": "00:00-00:00",
        "TONGDAI_SQLITE_SYNCHRONOUS": "FULL",
        "TONGDAI_NOTIFY_BATCH": str(args.batch),
        "PYTHONPATH": str(ROOT),
    }
    settings = Settings.from_env(env, data_dir=data_dir, bus_concurrency=64)
    service = await bootstrap(settings, secret=b"k" * 32)
    store, bus, notifier = service.store, service.bus, service.notifier
    await service.open()
    codes = await seed(store, args.dossiers)
    counters = {code: 0 for code in codes}
    await submit(store, codes, counters, 0, args.n, datetime.now(UTC), args.concurrency, None, {})
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "notify-sender", "--data-dir", str(data_dir), env=env, cwd=ROOT
    )
    await asyncio.sleep(3)  # up and idle, as in a running service
    started = time.perf_counter()
    await bus.start()
    await notifier.start(send=False)
    try:
        while True:
            rows = await store.db.reader.execute_fetchall(
                "SELECT count(*) FROM notifications"
                " WHERE purpose = 'dossier_status' AND status IN ('sent', 'delivered')"
            )
            if rows[0][0] >= args.n:
                return args.n / (time.perf_counter() - started)
            if time.perf_counter() - started > args.timeout:
                raise TimeoutError(f"{rows[0][0]} of {args.n} sent after {args.timeout} s")
            await asyncio.sleep(0.02)
    finally:
        sender.terminate()
        await sender.wait()
        await notifier.stop()
        await bus.stop()
        await store.close()


async def run(args) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="tongdai-bench-notify-"))
    # Quiet hours off so that the figure does not depend on the time of day.
    settings = Settings(
        data_dir=data_dir,
        quiet_hours="00:00-00:00",
        sqlite_synchronous="FULL",
        bus_concurrency=64,
        notify_batch=args.batch,
    )
    # The graph the service runs, started part by part: the bus and the
    # notifier, not the adapters or the assistant's training.
    service = await bootstrap(settings, secret=b"k" * 32)
    store, bus, notifier = service.store, service.bus, service.notifier
    await service.open()
    codes = await seed(store, args.dossiers)

    submitted: dict[str, float] = {}
    finished: dict[str, float] = {}
    expected = {"count": 0}
    all_done = asyncio.Event()

    def on_recorded(updates) -> None:
        now = time.perf_counter()
        for n, progress in updates:
            if n.purpose == "dossier_status" and progress.status.value in ("sent", "delivered"):
                finished.setdefault(n.source_event_id, now)
        if len(finished) >= expected["count"]:
            all_done.set()

    notifier.sender.on_recorded(on_recorded)
    at = datetime.now(UTC)
    counters = {code: 0 for code in codes}

    # 1. A backlog: N events committed while the engine is stopped (a burst, or
    #    a restart), then the engine alone works through them.
    ingest_seconds = await submit(store, codes, counters, 0, args.n, at, args.concurrency, None, submitted)
    expected["count"] = args.n
    started = time.perf_counter()
    await bus.start()
    await notifier.start()
    await asyncio.wait_for(all_done.wait(), timeout=args.timeout)
    engine_seconds = max(finished.values()) - started
    await bus.wait_idle(60)
    await notifier.sender.wait_idle(60)

    # 2. Live: events arrive at a steady rate while the engine runs; latency
    #    from each event's commit to the commit of its `sent`.
    submitted.clear()
    finished.clear()
    all_done.clear()
    expected["count"] = args.live
    if args.live:
        await submit(store, codes, counters, args.n, args.live, at, args.concurrency, args.rate, submitted)
        await asyncio.wait_for(all_done.wait(), timeout=args.timeout)
    latencies = [(finished[e] - submitted[e]) * 1000 for e in submitted if e in finished]

    counts = await store.db.reader.execute_fetchall(
        "SELECT channel, count(*) FROM notifications WHERE purpose = 'dossier_status' GROUP BY channel"
    )
    recorded = (await store.db.reader.execute_fetchall("SELECT count(*) FROM recorded_messages"))[0][0]
    await notifier.stop()
    await bus.stop()
    await store.close()

    print(
        f"notify: {args.dossiers} dossiers, synchronous=FULL, recording providers keeping every message "
        f"in SQLite, sender batch {args.batch}"
    )
    print(f"  events in, engine stopped: {args.n} in {ingest_seconds:.2f} s = {args.n / ingest_seconds:,.0f} events/s")
    print(
        f"  engine on that backlog:    {args.n} rendered, routed, sent and stored in {engine_seconds:.2f} s"
        f" = {args.n / engine_seconds:,.0f} events/s   (target >= 5,000)"
    )
    if latencies:
        print(
            f"  live at {args.rate:,.0f} events/s:     {args.live} events, event -> sent p50 "
            f"{statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies):.1f} ms"
        )
    if args.sender_process:
        rate = await sender_process_backlog(args)
        print(
            f"  the same backlog, sender in its own process (TONGDAI_NOTIFY_SENDER_PROCESS): {rate:,.0f} events/s"
            f"   (target >= 5,000)"
        )
    print(f"  by channel: {dict((row[0], row[1]) for row in counts)}; recorded messages: {recorded}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--dossiers", type=int, default=None, help="default: N, one event per dossier")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--live", type=int, default=5000, help="events in the live phase")
    parser.add_argument("--rate", type=float, default=1000, help="events/s in the live phase")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--no-sender-process",
        dest="sender_process",
        action="store_false",
        help="skip the run with the sender in its own process",
    )
    args = parser.parse_args()
    if args.dossiers is None:
        args.dossiers = args.n
    if args.dossiers < args.n:
        parser.error("--dossiers below N: the engine would supersede pending news and the backlog never all be sent")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
