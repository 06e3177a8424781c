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

import pytest
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.methods import GetMe
from aiogram.types import User

from tests.support.processes import NotReady, stop, wait_until
from tests.support.server import free_port
from tests.support.waiting import eventually

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
        proc = subprocess.Popen([node, str(SCRIPT), str(port)], cwd=PEERS, stdout=subprocess.DEVNULL, stderr=errors)

        def stderr() -> str:
            errors.seek(0)
            return f" on {url}: {errors.read().decode(errors='replace')}"

        try:
            try:
                wait_until(proc, lambda: _answers(url), timeout=start_timeout, what="telegram-test-api", details=stderr)
            except NotReady as exc:
                raise PeerMissing(str(exc)) from None
            yield url
        finally:
            stop(proc, grace=5)


@pytest.fixture(scope="module")
def emulator() -> str:
    try:
        with telegram_peer() as url:
            yield url
    except PeerMissing as exc:
        pytest.fail(str(exc), pytrace=False)


class AnswerGetMe(BaseRequestMiddleware):
    """The emulator's getMe lacks is_bot, which aiogram requires; answer it
    here. Also counts the calls made, to see polling's pace."""

    def __init__(self):
        self.calls: list = []

    def count(self, kind: type) -> int:
        return sum(1 for method in self.calls if isinstance(method, kind))

    async def __call__(self, make_request, bot, method):
        self.calls.append(method)
        if isinstance(method, GetMe):
            # Middlewares pass on the method's result, not the Response around it.
            return User(id=bot.id, is_bot=True, first_name="Tổng đài", username="tongdai_test_bot")
        return await make_request(bot, method)


USER = {"id": 5550001, "is_bot": False, "first_name": "An", "last_name": "Nguyễn Văn"}


async def user_writes(http, url: str, token: str, text: str, user: dict = USER) -> None:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    body = {"botToken": token, "date": int(time.time()), "text": text, "from": user, "chat": chat}
    async with http.post(f"{url}/sendMessage", json=body) as r:
        assert r.status == 200, await r.text()


async def user_reads(http, url: str, token: str, chat_id: int) -> list[dict]:
    """What the bot sent to the chat since the last read."""
    async with http.post(f"{url}/getUpdates", json={"token": token, "chatId": chat_id}) as r:
        assert r.status == 200, await r.text()
        return [entry["message"] for entry in (await r.json())["result"]]


async def read_until(http, url, token, chat_id, count: int) -> list[dict]:
    seen: list[dict] = []

    async def enough():
        seen.extend(await user_reads(http, url, token, chat_id))
        return len(seen) >= count

    await eventually(enough)
    return seen


def private_message(update_id: int, text: str, user: dict = USER) -> dict:
    """An update as Telegram posts it to a webhook: `user` writes `text` in their private chat with the bot."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "date": int(time.time()),
            "text": text,
            "from": user,
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
        },
    }
