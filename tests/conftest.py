from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.api.auth import ApiKeys
from hub.app import create_app
from hub.keys import STORE
from hub.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        bus_poll_seconds=0.05,
        bus_backoff_base_seconds=0.01,
        bus_backoff_max_seconds=0.05,
        # The tests' dossiers carry fixed dates (November 2026) that age with the
        # calendar; the age limit on notices has its own tests (test_backfilled_history).
        notify_max_event_age_hours=0,
    )


@pytest.fixture
async def client(settings):
    app = await create_app(settings)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def api_key(client) -> str:
    return await ApiKeys(client.app[STORE]).create("tests")


@pytest.fixture
def auth(api_key) -> dict:
    return {"Authorization": f"Bearer {api_key}"}
