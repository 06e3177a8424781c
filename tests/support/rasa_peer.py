"""A real Rasa for tests: the cached Python 3.10 environment and model
(assistant/rasa/manage.py builds them on first use: minutes; then instant),
the Rasa server with its HTTP API, the action server, and a real
`tongdai serve` seeded with `tongdai demo`, whose data directory the tests
open for the look-ups that the actions hand back to the service.

A machine where the environment cannot be built fails the tests with the
reason; they are never skipped.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.server import ROOT, env_for, free_port

MANAGE = ROOT / "assistant" / "rasa" / "manage.py"
READY_TIMEOUT = 420.0  # the server itself needs ~90 s on 2 cores; a loaded CI machine more


def load_manage():
    """assistant/rasa/manage.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("tongdai_rasa_manage", MANAGE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class DemoDossier:
    code: str
    verify: str
    status: str
    procedure: str


@dataclass
class RasaPeer:
    url: str  # the Rasa server (HTTP API)
    actions_url: str
    tongdai_url: str
    data_dir: Path  # tongdai's, with the demo dossiers
    dossiers: list[DemoDossier] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def dossier(self, prefix: str) -> DemoDossier:
        return next(d for d in self.dossiers if d.code.startswith(prefix))


_ROW = re.compile(r"^(\S+-\d{6}-\d{3,6})\s+(\d{4})\s+(.+?)\s{2,}(.+)$")


def parse_demo(output: str) -> list[DemoDossier]:
    """The rows `tongdai demo` prints: code, 4 digits, status, procedure."""
    return [DemoDossier(*m.groups()) for line in output.splitlines() if (m := _ROW.match(line.strip()))]


def _start_tongdai(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--port", str(port)],
            env=env_for(data_dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.1)
    _stop(proc)
    raise AssertionError(f"tongdai serve did not become ready; log {log_path}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running(workdir: Path) -> Iterator[RasaPeer]:
    """Build (cached), start everything on free ports, yield, stop everything."""
    manage = load_manage()
    timings: dict[str, float] = {}
    started = time.monotonic()
    try:
        built = manage.build()
    except manage.BuildError as exc:
        pytest.fail(f"the Rasa environment could not be built: {exc}", pytrace=False)
    timings["build"] = time.monotonic() - started

    data_dir = workdir / "tongdai"
    data_dir.mkdir(parents=True, exist_ok=True)
    seeded = subprocess.run(
        [sys.executable, "-m", "hub.cli", "demo"],
        check=False,
        env=env_for(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr
    dossiers = parse_demo(seeded.stdout)
    assert dossiers, f"tongdai demo printed no dossier:\n{seeded.stdout}"

    tongdai_port = free_port()
    tongdai = _start_tongdai(data_dir, tongdai_port, workdir / "tongdai.log")
    tongdai_url = f"http://127.0.0.1:{tongdai_port}"
    servers = manage.Servers(
        built,
        port=free_port(),
        actions_port=free_port(),
        tongdai_url=tongdai_url,
        run_dir=workdir / "rasa-run",
        log_dir=workdir / "logs",
    )
    try:
        servers.start()
        try:
            timings["ready"] = servers.wait_ready(READY_TIMEOUT)
        except manage.BuildError as exc:
            logs = "\n".join(
                f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-30:])
                for p in sorted((workdir / "logs").glob("*.log"))
            )
            pytest.fail(f"Rasa did not start: {exc}\n{logs}", pytrace=False)
        yield RasaPeer(
            url=servers.url,
            actions_url=servers.actions_url,
            tongdai_url=tongdai_url,
            data_dir=data_dir,
            dossiers=dossiers,
            timings=timings,
        )
    finally:
        servers.stop()
        _stop(tongdai)
