"""Issue 11 item 6: with a real provider configured (SMTP, to a real aiosmtpd
server) and no voice provider, the phone channel is unavailable: a citizen
who prefers phone is not "delivered" by the recording phone provider, the
notice falls back to email. The recording providers serve the embedded
default only; /readyz and the start-up line say which channels are real,
which record and which are unavailable."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.api.auth import ApiKeys
from hub.app import SERVICE, create_app
from hub.cli import channels_line
from hub.keys import BUS, STORE
from hub.settings import Settings
from tests.support.smtp import Sink
from tests.support.waiting import eventually

CODE = "000.00.21.H12-261120-0606"


def dossier(preferred=("phone", "email")) -> dict:
    return {
        "procedure": "Đăng ký khai sinh",
        "agency": "UBND phường Thạch Thang",
        "received_at": "2026-11-20T08:30:00+07:00",
        "applicant": {
            "full_name": "Võ Văn Tâm",
            "phone": "0912000606",
            "email": "tam.vo@example.vn",
            "preferred_channels": list(preferred),
            "consents": [{"channel": c, "granted": True} for c in ("phone", "email", "sms")],
        },
    }


def settings_for(tmp_path, **extra) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        bus_poll_seconds=0.05,
        quiet_hours="00:00-00:00",
        notify_max_event_age_hours=0,  # the dossier's dates are fixed
        **extra,
    )


async def put_and_settle(client, body: dict):
    key = await ApiKeys(client.app[STORE]).create("tests")
    auth = {"Authorization": f"Bearer {key}"}
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=body, headers=auth)).status == 201
    await client.app[BUS].wait_idle()
    await client.app[SERVICE].notifier.sender.wait_idle()
    response = await client.get("/api/v1/notifications", params={"dossier": CODE}, headers=auth)
    [notice] = (await response.json())["notifications"]
    return notice


async def test_with_smtp_configured_phone_is_unavailable_and_the_notice_falls_back(tmp_path, start_server):
    sink = Sink()
    smtp = await start_server(sink)
    settings = settings_for(
        tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", smtp_from="Tổng đài <a@tongdai.test>"
    )
    async with TestClient(TestServer(await create_app(settings))) as client:
        ready = await (await client.get("/readyz")).json()
        assert ready["channels"] == {
            "sms": {"mode": "unavailable"},
            "phone": {"mode": "unavailable"},
            "email": {"provider": "smtp", "mode": "real"},
            "telegram": {"mode": "unavailable"},
        }
        notice = await put_and_settle(client, dossier())
        await eventually(lambda: sink.messages)
        assert [(a["channel"], a["provider"]) for a in notice["attempts"]] == [("email", "smtp")]
        assert notice["channel"] == "email" and notice["status"] in ("sent", "delivered")
        assert await client.app[STORE].last_recorded(10) == []  # nothing "delivered" into the recording table
        line = channels_line(client.app[SERVICE].channels.modes())
        assert "email=smtp (gửi thật)" in line and "phone (không dùng được)" in line


async def test_the_embedded_default_records_every_channel(tmp_path):
    async with TestClient(TestServer(await create_app(settings_for(tmp_path)))) as client:
        ready = await (await client.get("/readyz")).json()
        assert ready["status"] == "ok"
        assert {name: m["mode"] for name, m in ready["channels"].items()} == dict.fromkeys(
            ("sms", "phone", "email", "telegram"), "recording"
        )
        assert ready["channels"]["phone"]["provider"] == "recording-phone"
        notice = await put_and_settle(client, dossier())
        # No real provider anywhere: the recording phone provider is the demo's stand-in.
        assert [(a["channel"], a["provider"]) for a in notice["attempts"]] == [("phone", "recording-phone")]
        assert "phone=recording-phone (chỉ ghi lại, không gửi)" in channels_line(client.app[SERVICE].channels.modes())


@pytest.mark.parametrize("preferred", [["phone"], ["phone", "sms"]])
async def test_with_no_channel_left_the_notice_is_not_sent(tmp_path, start_server, preferred):
    smtp = await start_server(Sink())
    settings = settings_for(
        tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", smtp_from="Tổng đài <a@tongdai.test>"
    )
    async with TestClient(TestServer(await create_app(settings))) as client:
        notice = await put_and_settle(client, dossier(preferred))
        assert notice["attempts"] == [] and notice["status"] != "delivered"
