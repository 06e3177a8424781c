"""Starting a peer process and waiting until it answers.

Synchronous on purpose: peers are started by module- or session-scoped
fixtures, which run outside any event loop, so the waits here block nothing."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


class NotReady(RuntimeError):
    pass


def wait_until(
    proc: subprocess.Popen,
    answers: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    details: Callable[[], str] = lambda: "",
    interval: float = 0.05,
) -> None:
    """Until `answers()`; NotReady when the process exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while not answers():
        if proc.poll() is not None:
            raise NotReady(f"{what} exited with {proc.returncode}{details()}")
        if time.monotonic() > deadline:
            raise NotReady(f"{what} did not answer within {timeout:.0f} s{details()}")
        time.sleep(interval)


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
