"""Browser tests: Debian's Chromium through Playwright (tests/support/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.app import create_app
from hub.settings import Settings
from tests.support.browser import LiveApp, browser, live_app, page  # noqa: F401  (fixtures)


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveApp]:
    """The whole service on a real port, for Chromium to open."""
    yield from live_app(create_app, settings)
