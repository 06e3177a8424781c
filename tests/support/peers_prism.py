"""Prism serving an OpenAPI description as a mock server, for tests that need
a real HTTP peer speaking a vendor's API (Twilio's, here)."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.processes import stop, wait_until
from tests.support.server import ROOT, free_port

PRISM = ROOT / "tests" / "peers" / "node_modules" / ".bin" / "prism"
TWILIO_SPEC = ROOT.parent / "shared" / "peers" / "twilio" / "twilio_api_v2010.json"
SPEC = ROOT / "tests" / "peers" / "twilio" / "twilio_api_v2010.json"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the mock is routing requests
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def prism_mock(spec: Path, *, ready_timeout: float = 60.0) -> Iterator[str]:
    """Start `prism mock` on a free port and yield its base URL once it answers.

    Synchronous on purpose: it is meant for module-scoped fixtures, which run
    outside any event loop, so the blocking waits here stall nothing."""
    if not PRISM.exists():
        raise RuntimeError(f"Prism is not installed at {PRISM}: run `npm ci` in {PRISM.parents[2]}")
    if not spec.exists():
        raise RuntimeError(f"OpenAPI description not found: {spec}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = ROOT / ".pytest_cache" / f"prism-{port}.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_until(
            proc,
            lambda: _answers(base + "/"),
            timeout=ready_timeout,
            what="Prism",
            details=lambda: f"; see {log_path}",
            interval=0.2,
        )
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def prism() -> str:
    if not PRISM.exists():
        pytest.fail(f"Prism is missing at {PRISM}: run `npm ci` in tests/peers")
    if not SPEC.exists():
        pytest.fail(f"Twilio's OpenAPI description is missing at {SPEC}")
    with prism_mock(SPEC) as base:
        yield base
