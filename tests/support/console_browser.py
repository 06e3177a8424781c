"""The console in Chromium (tests/browser/test_console*.py): one service per
module wired to real peers (Telegram through telegram-test-api, SMS through
Twilio's API as Prism serves it), console accounts, signing in a page, and
citizens writing on those channels.

The browser tests are sync (tests/support/browser.py says why): what runs
on the service's loop goes through `LiveApp.run`, and waiting for something
outside the page polls with `wait_for`."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import aiohttp
from playwright.sync_api import Browser, Page, expect
from twilio.request_validator import RequestValidator

from channels.sms import INBOUND_PATH
from hub.app import SERVICE, create_app
from hub.keys import BUS, SETTINGS, STORE
from hub.settings import Settings
from tests.support.browser import LiveApp, live_app, watched_page
from tests.support.console import PASSWORD, token_of
from tests.support.telegram_peer import AnswerGetMe, user_reads, user_writes

T = TypeVar("T")

SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-console-token"
BOT_TOKEN = "5550100:CONSOLE-token"
API_KEY = "tdk_console_browser_key"
TEAM = "Một cửa"


def console_settings(data_dir: Path, prism: str, emulator: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        bus_poll_seconds=0.05,
        bus_backoff_base_seconds=0.01,
        bus_backoff_max_seconds=0.05,
        quiet_hours="00:00-00:00",  # a reply at any hour of the test run goes out now
        notify_max_event_age_hours=0,
        twilio_account_sid=SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_from="+15005550006",
        twilio_base_url=prism,
        telegram_bot_token=BOT_TOKEN,
        telegram_api_url=emulator,
        telegram_mode="polling",
    )


async def _create(settings: Settings):
    app = await create_app(settings)
    for service in app[SERVICE].adapters.services:
        if hasattr(service, "bot"):
            service.bot.session.middleware(AnswerGetMe())  # the emulator's getMe lacks is_bot
    return app


def console_service(settings: Settings) -> Iterator[LiveApp]:
    """The service on a real port, its assistant trained (it decides what escalates)."""
    for live in live_app(_create, settings):
        live.run(live.app[STORE].add_api_key("console-browser", hashlib.sha256(API_KEY.encode()).hexdigest()))
        wait_for(functools.partial(getattr, live.app[SERVICE].assistant, "ready"), within=120, what="the assistant")
        yield live


def wait_for(check: Callable[[], T], *, within: float = 20.0, what: str = "the condition") -> T:
    """Poll `check` until it returns something truthy (sync tests: sleeping blocks nothing else)."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        time.sleep(0.1)


async def settle(live: LiveApp) -> None:
    for _ in range(3):  # a send can publish, a publish can plan a send
        await live.app[BUS].wait_idle()
        await live.app[SERVICE].notifier.sender.wait_idle()


# ----- accounts -----------------------------------------------------------------------------------


async def _new_agent(live: LiveApp, name: str, email: str, role: str, team: str | None, password: str | None):
    agent, link = await live.app[SERVICE].agents.create(name, email, role, team, "cli:test")
    if password is not None:
        async with aiohttp.ClientSession() as http:
            url = live.url(f"/console/set-password/{token_of(link)}")
            async with http.post(url, data={"password": password}) as response:
                assert response.status == 200, await response.text()
    return agent, link


def new_agent(
    live: LiveApp, name: str, email: str, role: str = "agent", team: str | None = TEAM, password: str | None = PASSWORD
):
    """(the agent, its set-password link); its password set unless `password` is None."""
    return live.run(_new_agent(live, name, email, role, team, password))


def sign_in(page: Page, live: LiveApp, email: str, password: str = PASSWORD) -> None:
    """Through the sign-in page, as a person does; returns once the console's socket is up."""
    page.goto(live.url("/console/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("body[data-live='up']")).to_have_count(1, timeout=15000)


@contextmanager
def console_page(browser: Browser, *, for_axe: bool = False) -> Iterator[Page]:
    """An agent's browser on the office screen (tests/support/browser.py `watched_page`)."""
    with watched_page(browser, for_axe=for_axe) as opened:
        yield opened


def csrf_post(page: Page, path: str, body: dict) -> dict:
    """A console write from the signed-in page's own session (its CSRF token from /console/api/me)."""
    return page.evaluate(
        """async ([path, body]) => {
            const me = await (await fetch('/console/api/me')).json();
            const r = await fetch(path, {method: 'POST', body: JSON.stringify(body),
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token}});
            return {status: r.status, body: await r.json()};
        }""",
        [path, body],
    )


# ----- citizens -----------------------------------------------------------------------------------


def telegram_user(chat_id: int, first_name: str = "Hồng") -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": first_name}


def telegram_writes(live: LiveApp, emulator: str, user: dict, text: str) -> None:
    async def write():
        async with aiohttp.ClientSession() as http:
            await user_writes(http, emulator, BOT_TOKEN, text, user=user)

    live.run(write())


def telegram_reads(live: LiveApp, emulator: str, chat_id: int) -> list[str]:
    """The texts the bot sent to the chat since the last read."""

    async def read():
        async with aiohttp.ClientSession() as http:
            return [m.get("text", "") for m in await user_reads(http, emulator, BOT_TOKEN, chat_id)]

    return live.run(read())


def sms_arrives(live: LiveApp, sender: str, text: str, sid: str) -> str:
    """A citizen's SMS as Twilio posts it (signed for the service's public URL); the TwiML answer."""
    base = live.app[SETTINGS].base_url
    form = {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": text, "AccountSid": SID}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(base + INBOUND_PATH, form)

    async def post():
        async with aiohttp.ClientSession() as http:
            headers = {"X-Twilio-Signature": signature}
            async with http.post(live.url(INBOUND_PATH), data=form, headers=headers) as response:
                assert response.status == 200, await response.text()
                return await response.text()

    return live.run(post())


def notifications_of(live: LiveApp, citizen_id: str) -> list[dict]:
    """The citizen's notifications with their attempts, as the one-stop shop's API lists them."""

    async def listed():
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
            async with http.get(live.url("/api/v1/notifications"), params={"citizen": citizen_id}) as response:
                assert response.status == 200, await response.text()
                return (await response.json())["notifications"]

    return live.run(listed())
