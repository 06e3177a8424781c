"""Time from `tongdai serve` being launched to GET /readyz answering 200.

    python bench/startup.py [--runs 5] [--tongdai tongdai]

Each run uses a fresh data directory (so migrations run too) and a free port.
Target: under 2 seconds."""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(tongdai: str) -> float:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [tongdai, "serve", "--port", str(port), "--data-dir", data_dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = started + 30
            while time.perf_counter() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                        if r.status == 200:
                            return time.perf_counter() - started
                except OSError:
                    time.sleep(0.01)
            raise SystemExit("server did not become ready in 30 s")
        finally:
            proc.terminate()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tongdai", default="tongdai")
    args = parser.parse_args()
    times = [one_run(args.tongdai) for _ in range(args.runs)]
    worst = max(times)
    print(f"startup to ready: median {statistics.median(times):.3f} s, worst {worst:.3f} s over {args.runs} runs")
    print(f"target < 2 s: {'MET' if worst < 2 else 'NOT MET'}")
    print(
        json.dumps(
            {
                "bench": "startup",
                "runs": args.runs,
                "median_s": round(statistics.median(times), 3),
                "worst_s": round(worst, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
