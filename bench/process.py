"""The service as the console and web chat benchmarks run it: its own
process on a free port (its memory and CPU are its own), read from /proc,
and the figures' shared arithmetic. Not a script itself."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentiles(samples: list[float]) -> dict[str, float]:
    """Nearest-rank p50/p95/p99 and the maximum."""
    if not samples:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan}
    ordered = sorted(samples)

    def rank(q: int) -> float:
        return ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(data_dir: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115  kept open for the child's lifetime
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(proc: subprocess.Popen, url: str, data_dir: Path, timeout: float = 120.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit("tongdai serve exited early:\n" + (data_dir / "server.log").read_text(errors="replace"))
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"tongdai serve not ready at {url}/readyz after {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the service process (all its threads) has used."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_wait_seconds(pid: int) -> float:
    """Time the service's threads spent ready to run but waiting for a CPU
    (the run queue, /proc/<pid>/task/*/schedstat): on a shared machine the
    part of the latency that is other programs' work, not the service's."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue  # a thread that ended meanwhile
    except OSError:
        return math.nan
    return total / 1e9


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of the service process, in kB (Linux /proc)."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    except OSError:
        pass
    return found


def verdict(value: float, target: float) -> str:
    if math.isnan(value):
        return "NO DATA"
    return "PASS" if value < target else "FAIL"


def json_safe(stats: dict[str, float]) -> dict[str, float | None]:
    """Strict JSON has no NaN: a figure with no samples is null."""
    return {k: None if math.isnan(v) else round(v, 2) for k, v in stats.items()}
