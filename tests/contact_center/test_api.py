"""Conversations and the Telegram deep link as the one-stop-shop and agents use them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from channels.deeplink import link_id
from hub.keys import STORE
from hub.settings import Settings
from models.timeutil import utcnow
from tests.support.dossiers import DOSSIER

CODE = "BD-261120-0099"


async def test_telegram_link_needs_the_bot_configured(client, auth):
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)).status == 201
    response = await client.get(f"/api/v1/dossiers/{CODE}/telegram-link", headers=auth)
    assert response.status == 409 and "TONGDAI_TELEGRAM_BOT_USERNAME" in (await response.json())["message"]


class TestWithABot:
    @pytest.fixture
    def settings(self, tmp_path) -> Settings:
        return Settings(
            data_dir=tmp_path / "data", telegram_bot_token="123456:TEST", telegram_bot_username="@tongdai_bot"
        )

    async def test_the_link_names_the_applicant_and_dossier(self, client, auth, settings):
        created = await (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)).json()
        response = await client.get(f"/api/v1/dossiers/{CODE}/telegram-link", headers=auth)
        assert response.status == 200
        body = await response.json()
        url = urlsplit(body["url"])
        assert (url.scheme, url.netloc, url.path) == ("https", "t.me", "/tongdai_bot")
        [token] = parse_qs(url.query)["start"]
        assert len(token) <= 64
        # A short id the store resolves (issue 11 item 8), recorded under its digest only.
        assert await client.app[STORE].start_link(link_id(token), utcnow()) == (created["applicant_id"], CODE)
        assert await client.app[STORE].start_link(token, utcnow()) is None
        assert body["expires_at"] > "2099-11-25"  # the due date, and a month after

    async def test_unknown_dossier_and_no_key(self, client, auth):
        assert (await client.get("/api/v1/dossiers/KHONG-CO-0001/telegram-link", headers=auth)).status == 404
        assert (await client.get(f"/api/v1/dossiers/{CODE}/telegram-link")).status == 401
