"""The kiosk in Chromium (tests/browser/test_kiosk.py): one service per module,
kiosks made through kiosk/accounts.py as `tongdai kiosk create` makes them,
pages at the kiosk's screen sizes, and a receipt's QR code as a video file
for Chromium's fake camera.

The browser tests are sync (tests/support/browser.py says why): what runs on
the service's loop goes through `LiveApp.run`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import segno
from playwright.sync_api import Browser, Page, ViewportSize

from hub.keys import STORE
from hub.settings import Settings
from kiosk.accounts import Kiosks
from tests.support.browser import LiveApp, watched_page

PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
# Chromium's fake camera reads frames from a file: a .y4m (raw YUV 4:2:0) is
# written with plain Python, no imaging library.
FRAME_WIDTH, FRAME_HEIGHT = 640, 480


def kiosk_settings(data_dir: Path, *, idle_seconds: int, max_failures: int) -> Settings:
    return Settings(
        data_dir=data_dir,
        bus_poll_seconds=0.05,
        bus_backoff_base_seconds=0.01,
        bus_backoff_max_seconds=0.05,
        quiet_hours="00:00-00:00",
        kiosk_idle_seconds=idle_seconds,
        kiosk_lookup_max_failures=max_failures,  # the guard counts a kiosk's guesses under its own limit
    )


def new_kiosk(live: LiveApp, name: str) -> tuple[str, str]:
    """(the kiosk's id, its key), as `tongdai kiosk create --name` makes them."""
    kiosk, key = live.run(Kiosks(live.app[STORE]).create(name, actor="cli:test"))
    return kiosk.id, key


@contextmanager
def kiosk_page(
    browser: Browser, live: LiveApp, key: str, *, viewport: ViewportSize = PORTRAIT, for_axe: bool = False
) -> Iterator[Page]:
    """The kiosk's screen, opened at its URL with its key. It fails on a script
    error and on anything the page's Content-Security-Policy refused. `for_axe`:
    injecting axe-core needs the policy bypassed, so that page cannot check it."""
    with watched_page(browser, viewport=viewport, for_axe=for_axe, permissions=["camera"], has_touch=True) as opened:
        opened.goto(live.url(f"/kiosk#k={key}"))
        yield opened


def receipt_payload(code: str, *, ascii_only: bool = False) -> str:
    """What a receipt's QR code holds (Circular 01/2023/TT-VPCP: dossier code,
    procedure code, applicant's ID, issuing system, time, appointment date), as
    one JSON form seen in practice."""
    return json.dumps(
        {
            "MaHoSo": code,
            "MaTTHC": "1.001193",
            "SoGiayTo": "046190000042",
            "HeThong": "Một cửa điện tử tỉnh",
            "ThoiGian": "2026-11-28T08:00:00+07:00",
            "NgayHenTra": "2099-12-05",
        },
        ensure_ascii=ascii_only,
    )


def qr_video(path: Path, payload: str, frames: int = 3) -> Path:
    """A .y4m file of `frames` identical frames: the QR code of `payload`,
    black on white, centred."""
    rows = [list(row) for row in segno.make(payload, error="m", micro=False).matrix_iter(scale=1, border=4)]
    scale = min(FRAME_WIDTH, FRAME_HEIGHT) * 9 // 10 // len(rows)
    side = len(rows) * scale
    left, top = (FRAME_WIDTH - side) // 2, (FRAME_HEIGHT - side) // 2
    luma = bytearray(b"\xff" * (FRAME_WIDTH * FRAME_HEIGHT))
    for y in range(side):
        row = rows[y // scale]
        line = bytes(0 if row[x // scale] else 255 for x in range(side))
        start = (top + y) * FRAME_WIDTH + left
        luma[start : start + side] = line
    chroma = b"\x80" * (FRAME_WIDTH // 2 * FRAME_HEIGHT // 2)  # grey: no colour
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{FRAME_WIDTH} H{FRAME_HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path


def visible_text(page: Page) -> str:
    """Everything on the page a person or a script could read: text, field values, attributes."""
    return page.evaluate(
        """() => {
            const values = [...document.querySelectorAll('input, textarea')].map((f) => f.value);
            return document.documentElement.outerHTML + '\\n' + values.join('\\n');
        }"""
    )
