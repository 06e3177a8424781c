"""The lookup guard and the lookup's timing, in-process (prints figures; it
asserts nothing).

1. FailureLimiter: µs per `fail()` (a new key each time, as a guesser makes
   them) and per `retry_after()` once it holds N keys. Before issue 10 every
   `fail()` past 100,000 keys scanned them all.
2. verified_lookup on SQLite: median µs of a wrong-digits lookup (the dossier
   exists) and of an unknown code, interleaved. The two should not differ
   by more than the noise, so that timing does not tell which codes exist.

    python bench/guard.py                      # 100,000 and 1,000,000 keys
    python bench/guard.py --keys 100000 --lookups 5000
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run by path, bench/ comes first on sys.path: the repository root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.api.guard import FailureLimiter  # noqa: E402
from hub.lookup import verified_lookup  # noqa: E402
from hub.store.port import ApplicantData, DossierData, StatusChange  # noqa: E402
from hub.store.sqlite import SqliteStore  # noqa: E402
from models.dossier import DossierStatus  # noqa: E402

CODE = "BD-261130-0606"
UNKNOWN = "BD-261130-0699"


def limiter(keys: int) -> FailureLimiter:
    # Capped at `keys` where the limiter takes a cap, so that N keys are really held.
    if "max_keys" in inspect.signature(FailureLimiter).parameters:
        return FailureLimiter(max_keys=keys)
    return FailureLimiter()


def per_call_us(call, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        call(i)
    return (time.perf_counter() - started) / n * 1e6


def bench_limiter(keys: int, calls: int) -> None:
    guard = limiter(keys)
    started = time.perf_counter()
    for i in range(keys):
        guard.fail(f"addr:10.{i}")
    fill = time.perf_counter() - started
    fail_us = per_call_us(lambda i: guard.fail(f"addr:new.{i}", f"code:NEW-{i}"), calls)
    check_us = per_call_us(lambda i: guard.retry_after(f"addr:10.{i}", f"code:NEW-{i}"), calls)
    held = len(guard._failures)  # noqa: SLF001 - what the benchmark is about
    print(
        f"{keys:>9,} keys: fail() {fail_us:9.2f} µs/call, retry_after() {check_us:6.2f} µs/call "
        f"(fill {fill:.1f} s, {held:,} keys held)"
    )


async def bench_lookup(n: int, timeline: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "guard.sqlite3")
        await store.open()
        t0 = datetime(2026, 11, 30, 1, tzinfo=UTC)
        await store.upsert_dossier(
            DossierData(
                code=CODE,
                procedure="Cấp giấy phép xây dựng",
                agency="UBND tỉnh",
                received_at=t0,
                due_at=None,
                applicant=ApplicantData(full_name="Lê Văn Cường", phone="+84912341606"),
            )
        )
        back_and_forth = [DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.IN_PROGRESS] * timeline
        statuses = [DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS, *back_and_forth][:timeline]
        for i, status in enumerate(statuses):
            change = StatusChange(CODE, f"e{i}", status, t0 + timedelta(hours=i), "Một cửa", "Đang xử lý hồ sơ " * 5)
            result = await store.record_status_change(change)
            assert result.outcome == "accepted", result
        guard = FailureLimiter(limit=10**9)  # never limited: every call does the full lookup
        paths = {"wrong digits": (CODE, "0000"), "unknown code": (UNKNOWN, "1606")}
        times: dict[str, list[float]] = {name: [] for name in paths}
        for i in range(n + n // 10):
            for name, (code, digits) in paths.items():
                started = time.perf_counter()
                await verified_lookup(store, guard, code, digits, key="addr:bench")  # type: ignore[arg-type]
                if i >= n // 10:  # warm-up left out
                    times[name].append((time.perf_counter() - started) * 1e6)
        await store.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:>13}: median {median:7.1f} µs over {len(times[name]):,} lookups")
    print(f"   difference: {medians['wrong digits'] - medians['unknown code']:+.1f} µs (timeline of {timeline} events)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", default="100000,1000000", help="comma-separated key counts (default %(default)s)")
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per key count (default %(default)s)")
    parser.add_argument("--lookups", type=int, default=3000, help="lookups per path (default %(default)s)")
    parser.add_argument("--timeline", type=int, default=5, help="events in its timeline (default %(default)s)")
    args = parser.parse_args()
    print("== FailureLimiter")
    for keys in (int(k) for k in args.keys.split(",")):
        bench_limiter(keys, args.calls)
    print("== verified_lookup on SQLite: wrong digits vs unknown code")
    asyncio.run(bench_lookup(args.lookups, args.timeline))


if __name__ == "__main__":
    main()
