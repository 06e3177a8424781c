"""What an operator reads in /metrics (issue 11 item 17): notifications by
channel, provider and outcome, the backlog's age, provider latency, refused
webhooks, open escalations and the assistant's turns, through the running app."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from hub.api.auth import ApiKeys
from hub.app import SERVICE, create_app
from hub.keys import STORE
from models.timeutil import VN_TZ, to_iso
from tests.support.dossiers import DOSSIER
from tests.support.waiting import eventually

CODE = "BD-261201-0017"


def dossier(received_at: datetime) -> dict:
    return {**DOSSIER, "received_at": to_iso(received_at)}  # news, not back-filled history


@pytest.fixture
async def client(settings):
    # Telegram refuses every message for good: the notice falls back to email.
    app = await create_app(dataclasses.replace(settings, recording_fail="telegram=permanent"))
    async with TestClient(TestServer(app)) as client:
        yield client


async def figures(client) -> dict[tuple, float]:
    response = await client.get("/metrics")
    assert response.status == 200
    found = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_notifications_are_counted_by_channel_provider_and_outcome(client):
    auth = {"Authorization": f"Bearer {await ApiKeys(client.app[STORE]).create('tests')}"}
    now = datetime.now(VN_TZ)
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=dossier(now), headers=auth)).status == 201

    async def delivered() -> dict | None:
        found = await figures(client)
        done = value(
            found, "tongdai_notifications_total", channel="email", provider="recording-email", status="delivered"
        )
        return found if done == 1 else None

    found = await eventually(delivered)
    refused = value(
        found,
        "tongdai_notifications_total",
        channel="telegram",
        provider="recording-telegram",
        status="permanent_failure",
    )
    assert refused == 1
    latency = value(found, "tongdai_provider_send_seconds_count", channel="email", provider="recording-email")
    assert latency == 1
    assert value(found, "tongdai_notify_backlog", status="queued") == 0
    assert value(found, "tongdai_notify_oldest_seconds", status="queued") == 0


async def test_the_backlog_says_how_old_its_oldest_notice_is(client, settings):
    service = client.app[SERVICE]
    await service.notifier.sender.stop()  # nothing leaves: the notice waits in the queue
    auth = {"Authorization": f"Bearer {await ApiKeys(client.app[STORE]).create('tests')}"}
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=dossier(datetime.now(VN_TZ)), headers=auth)).status == 201

    async def queued() -> bool:
        return value(await figures(client), "tongdai_notify_backlog", status="queued") == 1

    await eventually(queued)
    await asyncio.sleep(1.1)
    found = await figures(client)
    assert 1.0 <= value(found, "tongdai_notify_oldest_seconds", status="queued") < 60


async def test_refused_webhooks_are_counted_by_reason(client):
    forged = await client.post(
        "/webhooks/twilio/sms/inbound",
        data={"From": "+84912345678", "Body": "TRACUU"},
        headers={"X-Twilio-Signature": "x"},
    )
    assert forged.status == 403
    telegram = await client.post("/webhooks/telegram", json={"update_id": 1})
    assert telegram.status == 403
    found = await figures(client)
    assert (
        value(found, "tongdai_webhook_rejections_total", route="/webhooks/twilio/sms/inbound", reason="signature") == 1
    )
    assert value(found, "tongdai_webhook_rejections_total", route="/webhooks/telegram", reason="signature") == 1


async def test_assistant_turns_and_open_escalations(client):
    await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)

    async def say(text: str, sender: str = "web-9") -> None:
        response = await client.post("/api/v1/assistant/messages", json={"sender": sender, "text": text})
        assert response.status == 200

    await say("xin chào")
    await say("cho tôi gặp cán bộ")
    found = await figures(client)
    assert value(found, "tongdai_assistant_turns_total", intent="greet", outcome="answered") == 1
    assert value(found, "tongdai_assistant_turns_total", intent="request_human", outcome="escalated") == 1
    assert value(found, "tongdai_escalations_open") == 1
    await say("asdkjh qwe zzz", sender="web-10")  # web-9 is a person's now: the assistant stays silent there
    found = await figures(client)
    assert value(found, "tongdai_assistant_turns_total", intent="nlu_fallback", outcome="fallback") == 1
