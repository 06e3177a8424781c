"""Ingest benchmark: how many dossier status events per second a running
Tổng đài server accepts over HTTP (POST /api/v1/dossiers/{code}/events).

Start a server and make a key (or let bench/run.sh do all of it):

    rm -rf /tmp/benchdata && TONGDAI_MAX_CONNECTIONS_PER_ADDRESS=0 tongdai serve --data-dir /tmp/benchdata --port 8181 &
    export TONGDAI_BENCH_KEY=$(tongdai apikey create --name bench --data-dir /tmp/benchdata)
    python bench/ingest.py --url http://127.0.0.1:8181 -n 20000 -c 64

Setup (not timed) creates --dossiers dossiers with PUT. The timed phase posts
-n events from -c workers, closed loop. Each dossier belongs to one worker, so
its events go out in order: "received" first, then "in_progress" again and
again, each with a fresh event_id; concurrency is spread across dossiers.
Any reply other than 201 is counted as an error by status; the run never stops
on one. The last line of output is a one-line JSON summary.
"""

from __future__ import annotations

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

# Run by path, Python puts bench/ on sys.path, not the repository root `bench.common` is under.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import time

import aiohttp

from bench import common

TARGET_EVENTS_PER_S = 3000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Ingest benchmark: status events per second over HTTP.",
        epilog="Usage notes are in the docstring at the top of this file.",
    )
    common.add_server_args(parser)
    parser.add_argument("-n", "--events", type=int, default=20000, help="events to post (default %(default)s)")
    parser.add_argument("-c", "--concurrency", type=int, default=64, help="concurrent workers (default %(default)s)")
    parser.add_argument("--dossiers", type=int, default=None, help="dossiers to spread over (default 4 x concurrency)")
    args = parser.parse_args()
    if not args.key:
        parser.error("an API key is needed: --key KEY or TONGDAI_BENCH_KEY")
    if args.events < 1 or args.concurrency < 1:
        parser.error("--events and --concurrency must be at least 1")
    args.dossiers = args.dossiers or args.concurrency * 4
    if args.dossiers < args.concurrency:
        print(f"note: only {args.dossiers} dossiers, so at most {args.dossiers} workers can be busy")
    args.url = args.url.rstrip("/")
    return args


def plan(args: argparse.Namespace, tag: str) -> tuple[list[str], list[list[tuple[str, bytes]]]]:
    """Dossier codes, and per worker the (url, body) of each event in sending order."""
    codes = [f"BENCH-IN-{tag}-{d:05d}" for d in range(args.dossiers)]
    workers = min(args.concurrency, args.dossiers)
    queues: list[list[tuple[str, bytes]]] = [[] for _ in range(workers)]
    at = common.iso_now()
    for i in range(args.events):
        dossier = i % args.dossiers
        body = {
            "event_id": f"{tag}-{i}",
            "status": "received" if i < args.dossiers else "in_progress",
            "at": at,
            "actor": "benchmark",
            "note": f"sự kiện thử tải {i}",
        }
        path = f"/api/v1/dossiers/{codes[dossier]}/events"
        queues[dossier % workers].append((path, json.dumps(body).encode()))
    return codes, queues


async def run(args: argparse.Namespace) -> dict:
    tag = common.run_tag()
    codes, queues = plan(args, tag)
    headers = {"Authorization": f"Bearer {args.key}", "Content-Type": "application/json"}
    latencies_ms: list[float] = []
    errors = common.Errors()

    # One keep-alive connection per worker, opened before the clock starts.
    client = common.KeepAliveClient(args.url, len(queues), headers)

    async def worker(queue: list[tuple[str, bytes]]) -> None:
        for path, body in queue:
            started = time.perf_counter()
            try:
                status, text = await client.request("POST", path, body)
            except (asyncio.IncompleteReadError, OSError, ValueError) as exc:
                errors.add(type(exc).__name__, str(exc))
                continue
            latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != 201:
                errors.add(str(status), text.decode(errors="replace"))

    async with aiohttp.ClientSession() as session:
        await common.put_dossiers(
            session,
            args.url,
            args.key,
            [(code, f"+8491{d:07d}") for d, code in enumerate(codes)],
            parallel=args.concurrency,
        )
    await asyncio.gather(*(client.get("/healthz") for _ in queues))
    started = time.perf_counter()
    await asyncio.gather(*(worker(queue) for queue in queues))
    wall = time.perf_counter() - started
    client.close()
    return {"wall_s": wall, "latency_ms": common.percentiles(latencies_ms), "errors": errors}


def main() -> None:
    args = parse_args()
    loop_name = common.use_uvloop()
    result = asyncio.run(run(args))
    wall, stats, errors = result["wall_s"], result["latency_ms"], result["errors"]
    rate = args.events / wall
    met = rate >= TARGET_EVENTS_PER_S and errors.total == 0
    print(f"ingest benchmark against {args.url} (client loop: {loop_name})")
    print(f"events             {args.events}")
    print(f"concurrency        {args.concurrency}  over {args.dossiers} dossiers")
    print(f"wall               {wall:.2f} s")
    print(f"throughput         {rate:.0f} events/s")
    common.print_latency("latency", stats)
    errors.report()
    why = "" if met else (" (errors)" if rate >= TARGET_EVENTS_PER_S else "")
    print(f"target {TARGET_EVENTS_PER_S} events/s: {'MET' if met else 'NOT MET'}{why}")
    common.print_summary(
        {
            "bench": "ingest",
            "url": args.url,
            "events": args.events,
            "concurrency": args.concurrency,
            "dossiers": args.dossiers,
            "wall_s": round(wall, 3),
            "events_per_s": round(rate, 1),
            "latency_ms": {k: round(v, 2) for k, v in stats.items()},
            "errors": errors.total,
            "errors_by_status": dict(errors.counts),
            "target_events_per_s": TARGET_EVENTS_PER_S,
            "target_met": met,
        }
    )


if __name__ == "__main__":
    main()
