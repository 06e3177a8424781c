"""The web chat widget in Chromium (tests/browser/test_widget.py): a portal
page on ANOTHER origin (a second local HTTP server) that embeds the service's
`/widget.js` with one script tag under a strict Content-Security-Policy, and
the service on a fixed port and data directory that a test can stop and
start again mid-conversation (what a deploy or a crash does to a citizen's
open chat).

Browser tests are sync (tests/support/browser.py says why): the service's
loop runs in a thread of its own, and so does the portal's server."""

from __future__ import annotations

import asyncio
import functools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.sync_api import Browser, Page

from hub.app import SERVICE, create_app
from hub.keys import STORE
from hub.settings import Settings
from kiosk.webchat_api import WEBCHAT
from models.citizen import Channel
from tests.support.browser import (
    AXE,
    BLOCKING_IMPACTS,
    STARTUP_SECONDS,
    LiveApp,
    check_accessibility,
    watched_page,
)
from tests.support.console_browser import wait_for

PHONE = {"width": 375, "height": 667}
PORTAL_TITLE = "Cổng dịch vụ công tỉnh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ----- the portal: another origin -------------------------------------------------------------


class Portal:
    """A province portal's page at http://127.0.0.1:<its own port>/ embedding the
    widget: the only script is the service's, and its policy allows no inline
    script or style (the widget must be CSP-friendly)."""

    def __init__(self) -> None:
        self.service = ""  # the service's base URL, known once it has started
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                if self.path.split("?")[0] != "/":
                    self.send_error(404)
                    return
                body = portal.page().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", portal.policy())
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="portal", daemon=True)

    def policy(self) -> str:
        socket_origin = self.service.replace("http://", "ws://")
        return (
            f"default-src 'none'; script-src {self.service}; connect-src {self.service} {socket_origin}; "
            "style-src 'none'; img-src 'none'; base-uri 'none'; form-action 'none'"
        )

    def page(self) -> str:
        return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{PORTAL_TITLE}</title>
<script src="{self.service}/widget.js" async data-title="Hỏi đáp trực tuyến"></script>
</head><body>
<main><h1>{PORTAL_TITLE}</h1><p>Thủ tục hành chính, tra cứu hồ sơ, thanh toán trực tuyến.</p></main>
</body></html>"""

    def __enter__(self) -> Portal:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ----- the service, restartable on the same port and data directory --------------------------


@dataclass
class RestartableApp(LiveApp):
    """LiveApp whose service can be stopped and started again on the same
    port and data directory (the loop thread stays); `app` is the current one."""

    settings: Settings = field(default=None)  # type: ignore[assignment]
    runner: web.AppRunner | None = None

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(STARTUP_SECONDS)
            self.runner = None

    def start(self) -> None:
        async def started() -> tuple[web.AppRunner, web.Application]:
            app = await create_app(self.settings)
            # Open sockets are closed by the app's shutdown; a handler still
            # running past this is cut rather than holding the test for a minute.
            runner = web.AppRunner(app, shutdown_timeout=3)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.settings.port, reuse_address=True).start()
            return runner, app

        self.runner, self.app = asyncio.run_coroutine_threadsafe(started(), self.loop).result(STARTUP_SECONDS)
        assistant = self.app[SERVICE].assistant
        wait_for(functools.partial(getattr, assistant, "ready"), within=120, what="the assistant")


def widget_settings(data_dir: Path, portal: Portal) -> Settings:
    port = free_port()
    own = f"http://127.0.0.1:{port}"
    return Settings(
        data_dir=data_dir,
        host="127.0.0.1",
        port=port,
        # The portal embeds the widget; the service's own /chat page does too.
        webchat_origins=f"{portal.origin},{own}",
        bus_poll_seconds=0.05,
        bus_backoff_base_seconds=0.01,
        bus_backoff_max_seconds=0.05,
        quiet_hours="00:00-00:00",  # an agent's reply by SMS goes out at any hour of the test run
        notify_max_event_age_hours=0,
    )


def widget_service(settings: Settings, portal: Portal) -> Iterator[RestartableApp]:
    """The service for the module: channels record what they send (an SMS to the
    contact a citizen left is a recorded row, no provider needed)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-widget", daemon=True)
    thread.start()
    live = RestartableApp(app=None, base_url=settings.base_url, loop=loop, settings=settings)  # type: ignore[arg-type]
    portal.service = settings.base_url
    try:
        live.start()
        yield live
    finally:
        live.stop()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STARTUP_SECONDS)
        loop.close()


# ----- pages and what they show -----------------------------------------------------------------


@contextmanager
def citizen_page(browser: Browser, *, phone: bool = False, for_axe: bool = False) -> Iterator[Page]:
    """A citizen's browser (its own localStorage), failing on a script error and on
    anything the portal's policy refused. `for_axe`: the policy is bypassed so that
    the test can inject axe-core (that page cannot check the policy)."""
    viewport = PHONE if phone else {"width": 1366, "height": 768}
    with watched_page(browser, viewport=viewport, for_axe=for_axe) as opened:
        yield opened


def session_token(page: Page) -> str:
    """The widget's session token, as it keeps it in the portal's localStorage."""
    token = page.evaluate(
        "() => { for (const k of Object.keys(localStorage)) if (k.startsWith('tongdai-webchat:'))"
        " return JSON.parse(localStorage.getItem(k)).token; return null; }"
    )
    assert token, "the widget keeps no session token in localStorage"
    return token


def webchat_conversation(live: LiveApp, token: str) -> dict:
    """The stored conversation of a widget session (its address is derived from the token)."""
    address = live.app[WEBCHAT].address(token)

    async def find() -> dict:
        for conversation in await live.app[STORE].list_conversations(channel=Channel.WEBCHAT, limit=200):
            if conversation["address"] == address:
                return conversation
        raise AssertionError("no web chat conversation for this session")

    return live.run(find())


def recorded_to(live: LiveApp, number: str) -> list[dict]:
    """What the recording channels sent to an address ending with `number`
    (a phone is stored in its international form)."""
    rows = live.run(live.app[STORE].last_recorded(1000))
    return [r for r in rows if str(r.get("address") or "").endswith(number)]


def _target(node: dict) -> str:
    # A node in a shadow root is named by a list: the host's selector, then the node's inside it.
    return ", ".join(" >>> ".join(part) if isinstance(part, list) else part for part in node["target"])


def check_widget_accessibility(page: Page) -> list[dict[str, Any]]:
    """tests/support/browser.py's check_accessibility, for a page whose
    violations may lie in the widget's shadow root (where axe-core names a
    node by a list of selectors, which that helper's message does not expect):
    the blocking ones are listed here first, with their shadow paths."""
    if AXE.exists():
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        blocking = [
            f"[{v['impact']}] {v['id']}: {v['help']} at {_target(n)}: {n['failureSummary'].splitlines()[-1].strip()}"
            for v in violations
            if v["impact"] in BLOCKING_IMPACTS
            for n in v["nodes"][:5]
        ]
        assert not blocking, f"axe-core on {page.url}:\n" + "\n".join(blocking)
    return check_accessibility(page)
