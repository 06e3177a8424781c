"""Lookup benchmark: latency of the public dossier lookup
(GET /api/v1/dossiers/{code}?verify=NNNN) of a running Tổng đài server, at a
fixed request rate.

Start a server and make a key (or let bench/run.sh do all of it):

    rm -rf /tmp/benchdata && export TONGDAI_PUBLIC_RATE_LIMITS=off TONGDAI_MAX_CONNECTIONS_PER_ADDRESS=0
    tongdai serve --data-dir /tmp/benchdata --port 8181 &
    export TONGDAI_BENCH_KEY=$(tongdai apikey create --name bench --data-dir /tmp/benchdata)
    python bench/lookup.py --url http://127.0.0.1:8181 -n 20000 --rate 1000

The key is only used to create --dossiers dossiers in the (untimed) setup.
The timed phase is open loop: request i is due at start + i/rate whether or
not earlier ones have finished, so a slow server shows up as latency instead
of quietly lowering the rate (no coordinated omission). Latency is measured
from the due time, and also from the moment the client actually sent it.
Every lookup names an existing dossier with the right four digits: the server
answers 429 to a client after 5 failed lookups in 15 minutes.
The server's rate limits and connection cap must be off (as above): every
request comes from one address. The last line of output is a one-line JSON summary.
"""

from __future__ import annotations

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

# Run by path, Python puts bench/ on sys.path, not the repository root `bench.common` is under.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import gc
import time

import aiohttp

from bench import common

TARGET_RATE, TARGET_P99_MS = 1000, 5.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Lookup benchmark: open-loop latency of the public dossier lookup.",
        epilog="Usage notes are in the docstring at the top of this file.",
    )
    common.add_server_args(parser)
    parser.add_argument("-n", "--requests", type=int, default=20000, help="lookups to send (default %(default)s)")
    parser.add_argument("--rate", type=float, default=1000, help="requests per second (default %(default)s)")
    parser.add_argument("--dossiers", type=int, default=200, help="dossiers to look up (default %(default)s)")
    parser.add_argument("--connections", type=int, default=256, help="client connection pool (default %(default)s)")
    args = parser.parse_args()
    if not args.key:
        parser.error("an API key is needed to create the dossiers: --key KEY or TONGDAI_BENCH_KEY")
    if args.requests < 1 or args.rate <= 0 or args.dossiers < 1 or args.connections < 1:
        parser.error("--requests, --rate, --dossiers and --connections must be positive")
    args.url = args.url.rstrip("/")
    return args


async def run(args: argparse.Namespace) -> dict:
    tag = common.run_tag()
    dossiers = [(f"BENCH-LK-{tag}-{d:05d}", f"+8492{d:07d}") for d in range(args.dossiers)]
    paths = [f"/api/v1/dossiers/{code}?verify={phone[-4:]}" for code, phone in dossiers]
    from_due_ms: list[float] = []
    from_send_ms: list[float] = []
    send_lag_ms: list[float] = []
    errors = common.Errors()

    async def lookup(path: str, due: float) -> None:
        sent = time.perf_counter()
        try:
            status, body = await client.get(path)
        except (asyncio.IncompleteReadError, OSError, ValueError) as exc:
            errors.add(type(exc).__name__, str(exc))
            return
        done = time.perf_counter()
        from_due_ms.append((done - due) * 1000)
        from_send_ms.append((done - sent) * 1000)
        send_lag_ms.append((sent - due) * 1000)
        if status != 200:
            errors.add(str(status), body.decode(errors="replace"))

    async with aiohttp.ClientSession() as session:
        await common.put_dossiers(session, args.url, args.key, dossiers)
    client = common.KeepAliveClient(args.url, args.connections)
    tasks: list[asyncio.Task] = []
    # The client's own garbage-collection pauses would count as server latency.
    gc.collect()
    gc.disable()
    start = time.perf_counter()
    for i in range(args.requests):
        due = start + i / args.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(lookup(paths[i % len(paths)], due)))
    await asyncio.gather(*tasks)
    client.close()
    wall = time.perf_counter() - start
    gc.enable()
    return {
        "wall_s": wall,
        "from_due": common.percentiles(from_due_ms),
        "from_send": common.percentiles(from_send_ms),
        "send_lag": common.percentiles(send_lag_ms),
        "errors": errors,
    }


def main() -> None:
    args = parse_args()
    loop_name = common.use_uvloop()
    result = asyncio.run(run(args))
    wall, errors = result["wall_s"], result["errors"]
    achieved = args.requests / wall
    p99 = result["from_due"]["p99"]
    met = p99 < TARGET_P99_MS and args.rate >= TARGET_RATE and errors.total == 0
    print(f"lookup benchmark against {args.url} (client loop: {loop_name}, open loop)")
    print(f"requests           {args.requests}  over {args.dossiers} dossiers")
    print(f"offered rate       {args.rate:.0f} req/s")
    print(f"achieved rate      {achieved:.0f} req/s  ({wall:.2f} s until the last reply)")
    common.print_latency("latency (due)", result["from_due"])
    common.print_latency("latency (sent)", result["from_send"])
    common.print_latency("client send lag", result["send_lag"])
    errors.report()
    note = "" if args.rate >= TARGET_RATE else f" (offered only {args.rate:.0f} req/s)"
    print(f"target p99 < {TARGET_P99_MS:.0f} ms at {TARGET_RATE} req/s: {'MET' if met else 'NOT MET'}{note}")
    common.print_summary(
        {
            "bench": "lookup",
            "url": args.url,
            "requests": args.requests,
            "dossiers": args.dossiers,
            "offered_rate": args.rate,
            "achieved_rate": round(achieved, 1),
            "wall_s": round(wall, 3),
            "latency_ms": {k: round(v, 2) for k, v in result["from_due"].items()},
            "latency_from_send_ms": {k: round(v, 2) for k, v in result["from_send"].items()},
            "errors": errors.total,
            "errors_by_status": dict(errors.counts),
            "target": f"p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE} req/s",
            "target_met": met,
        }
    )


if __name__ == "__main__":
    main()
