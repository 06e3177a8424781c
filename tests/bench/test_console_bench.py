"""bench/console.py in its smallest run: it must still start the service,
sign consoles in, push every message and print its figures. Timings are the
bench's business (they depend on the machine); this only checks that there
are figures, so that the script does not rot between closing notes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_console_bench_produces_figures():
    run = subprocess.run(
        [
            sys.executable,
            "bench/console.py",
            "--agents",
            "3",
            "--conversations",
            "20",
            "--rate",
            "5",
            "--seconds",
            "2",
            "--baseline",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["agents"] == 3
    assert summary["conversations"] == 20
    assert summary["sent"] == 10
    assert summary["errors"] == 0, run.stdout
    assert summary["pushed"] == summary["sent"], run.stdout
    for figure in ("push_ms", "queue_mine_ms", "queue_all_ms"):
        assert all(v is not None and v >= 0 for v in summary[figure].values()), (figure, run.stdout)
    assert summary["rss_peak_mb"] > 0
    assert "push: sent -> assignee's socket" in run.stdout
