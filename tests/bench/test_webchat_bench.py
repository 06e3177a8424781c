"""bench/webchat.py in its smallest run: it must still start the service,
open widget sessions with their live sockets, get every question answered
once on its socket and print its figures, the kiosk page's first paint among
them. Timings are the bench's business (they depend on the machine); this
only checks that there are figures and that nothing was lost, so that the
script does not rot between closing notes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_webchat_bench_produces_figures():
    run = subprocess.run(
        [
            sys.executable,
            "bench/webchat.py",
            "--sessions",
            "4",
            "--interval",
            "1",
            "--seconds",
            "2.5",
            "--paint-loads",
            "1",
            "--idle",
            "0.5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["sessions"] == 4
    # Each session's first question leaves within its first second, then one a second while under 2.5 s.
    assert 8 <= summary["asked"] <= 12, run.stdout
    assert summary["errors"] == 0, run.stdout
    assert summary["posted"] == summary["asked"], run.stdout
    assert summary["answered"] == summary["asked"], run.stdout
    assert summary["replies"] >= summary["asked"], run.stdout
    assert summary["lost"] == 0, run.stdout
    assert summary["duplicates"] == 0, run.stdout
    assert summary["out_of_order"] == 0, run.stdout
    assert summary["unexpected"] == 0, run.stdout
    assert summary["pass"]["no_loss"], run.stdout
    for figure in ("answer_ms", "post_ms"):
        assert all(v is not None and v >= 0 for v in summary[figure].values()), (figure, run.stdout)
    assert summary["rss_peak_mb"] > 0
    assert summary["kiosk_error"] is None, run.stdout
    assert all(v is not None and v > 0 for v in summary["kiosk_fcp_ms"].values()), run.stdout
    assert "webchat=" in summary["limits"]["TONGDAI_PUBLIC_RATE_LIMITS"]
    assert "answer: posted -> reply on the socket" in run.stdout
