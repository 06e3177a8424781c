"""telegram-test-api, the Bot API emulator, as a process for the tests."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.support.server import free_port

PEERS = Path(__file__).resolve().parents[1] / "peers"
SCRIPT = PEERS / "telegram_server.js"
PACKAGE = PEERS / "node_modules" / "telegram-test-api"


class PeerMissing(RuntimeError):
    pass


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/bot1:probe/getMe", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def telegram_peer(start_timeout: float = 15.0) -> Iterator[str]:
    """Starts the emulator on a free port; yields its base URL once it answers."""
    node = shutil.which("node")
    if node is None:
        raise PeerMissing("node is not on PATH: the Telegram tests need Node 20 to run telegram-test-api")
    if not PACKAGE.is_dir():
        raise PeerMissing(f"{PACKAGE} is missing: run `npm ci` in {PEERS}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a pipe nobody reads would stall a chatty emulator.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([node, str(SCRIPT), str(port)], cwd=PEERS, stdout=subprocess.DEVNULL,
                                stderr=errors)
        try:
            deadline = time.monotonic() + start_timeout
            while not _answers(url):
                if proc.poll() is not None:
                    errors.seek(0)
                    raise PeerMissing(f"telegram-test-api exited: {errors.read().decode(errors='replace')}")
                if time.monotonic() > deadline:
                    raise PeerMissing(f"telegram-test-api did not answer on {url} within {start_timeout} s")
                time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
