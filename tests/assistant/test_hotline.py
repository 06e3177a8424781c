"""Issue 11 item 14: "Số điện thoại đường dây nóng là gì" is answered with the
hotline and the website of the settings (TONGDAI_ORG_HOTLINE,
TONGDAI_ORG_WEBSITE: what the notices print too), through the running
service; knowledge.yml no longer carries its own copy.
tests/contracts/test_engine.py asks the same of Rasa."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from assistant.knowledge import DEFAULT_PATH, Knowledge
from hub.app import SERVICE, create_app

HOTLINE, WEBSITE = "0200 3 999 888", "https://dichvucong.thu-nghiem.example.vn"


@pytest.fixture
async def chat(settings):
    app = await create_app(replace(settings, org_hotline=HOTLINE, org_website=WEBSITE))
    async with TestClient(TestServer(app)) as client:
        await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)

        async def say(text: str) -> str:
            response = await client.post("/api/v1/assistant/messages", json={"sender": "web-14", "text": text})
            assert response.status == 200, await response.text()
            return "\n".join(r["text"] for r in (await response.json())["replies"])

        yield say


async def test_the_hotline_question_gets_the_settings_hotline(chat):
    answer = await chat("Số điện thoại đường dây nóng là gì")
    assert f"Đường dây nóng: {HOTLINE}." in answer and WEBSITE in answer
    assert "nộp hồ sơ tại" not in answer  # not the list of offices


async def test_online_submission_cites_the_settings_website(chat):
    assert f"Cổng dịch vụ công: {WEBSITE}" in await chat("nộp hồ sơ trực tuyến như thế nào")


def test_the_knowledge_file_holds_no_hotline_nor_website():
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert "hotline:" not in text and "portal_url" not in text and "https://" not in text
    assert Knowledge.load().contact() is not None  # still the address and email, without the settings
