"""Issue 11 item 5: what was really sent, on every provider. A notice sent by
SMTP (to a real aiosmtpd server) keeps its rendered text and subject on its
attempt, shown with the address masked in GET /api/v1/notifications and in
`tongdai outbox tail`; texts older than TONGDAI_SENT_TEXT_RETENTION_DAYS are
blanked by the purge job, the attempt row stays."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.api.auth import ApiKeys
from hub.app import SERVICE, create_app
from hub.keys import BUS, STORE
from hub.settings import Settings
from models.citizen import Channel
from notify.retention import SentTextPurge
from tests.support.harness import make_harness
from tests.support.server import run_cli
from tests.support.smtp import Sink, parse, start_server  # noqa: F401  start_server is a fixture
from tests.support.waiting import eventually

CODE = "000.00.21.H12-261120-0505"
EMAIL = "hoa.pham@example.vn"


@pytest.fixture
async def mailing(tmp_path, start_server):  # noqa: F811  the fixture imported above
    sink = Sink()
    smtp = await start_server(sink)
    settings = Settings(
        data_dir=tmp_path / "data",
        bus_poll_seconds=0.05,
        quiet_hours="00:00-00:00",
        notify_max_event_age_hours=0,  # the dossier's dates are fixed
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        smtp_from="Tổng đài <no-reply@tongdai.test>",
    )
    app = await create_app(settings)
    async with TestClient(TestServer(app)) as client:
        key = await ApiKeys(client.app[STORE]).create("tests")
        yield client, {"Authorization": f"Bearer {key}"}, sink, settings


async def test_an_smtp_notice_shows_its_text_in_the_api_and_the_tail(mailing):
    client, auth, sink, settings = mailing
    body = {
        "procedure": "Đăng ký khai sinh",
        "agency": "UBND phường Thạch Thang",
        "received_at": "2026-11-20T08:30:00+07:00",
        "applicant": {
            "full_name": "Phạm Thị Hoa",
            "phone": "0912000805",
            "email": EMAIL,
            "preferred_channels": ["email"],
            "consents": [{"channel": "email", "granted": True}],
        },
    }
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=body, headers=auth)).status == 201
    await client.app[BUS].wait_idle()
    await client.app[SERVICE].notifier.sender.wait_idle()
    await eventually(lambda: sink.messages)
    mail = parse(sink.messages[0])
    response = await client.get("/api/v1/notifications", params={"dossier": CODE}, headers=auth)
    [notice] = (await response.json())["notifications"]
    [attempt] = notice["attempts"]
    assert attempt["provider"] == "smtp" and attempt["channel"] == "email"
    assert attempt["subject"] == mail["Subject"]
    assert CODE in attempt["text"] and attempt["text"].strip() in mail.get_body(("plain",)).get_content().replace(
        "\r\n", "\n"
    )
    assert attempt["address"] != EMAIL and attempt["address"].endswith("@example.vn")

    code, out, err = await run_cli(settings.data_dir, "outbox", "tail", "-n", "5")
    assert code == 0, err
    assert f"email → {attempt['address']} · smtp · {attempt['status']}" in out
    assert mail["Subject"] in out and CODE in out
    assert EMAIL not in out  # masked in the listing


async def test_texts_past_retention_are_blanked_and_the_attempt_stays(tmp_path):
    h = await make_harness(tmp_path)
    try:
        await h.dossier()
        await h.pump()
        purge = SentTextPurge(h.store, keep=timedelta(days=90), interval=3600, clock=h.clock)
        [notice] = await h.notifications()
        [before] = notice.attempts
        assert before.text and "Bình" in before.text
        h.clock.advance(timedelta(days=89).total_seconds())
        assert await purge.run_once() == 0
        h.clock.advance(timedelta(days=2).total_seconds())
        assert await purge.run_once() >= 1
        [notice] = await h.notifications()
        [after] = notice.attempts
        assert after.text is None and after.subject is None
        assert after.id == before.id and after.status is before.status and after.address == before.address
        assert len(h.sent(Channel.TELEGRAM)) == 1  # what the citizen got is untouched, of course
        tail = await h.store.last_sent(10)
        assert [row["text"] for row in tail] == [None] and tail[0]["provider"] == "recording-telegram"
    finally:
        await h.store.close()


async def test_a_follow_confirmation_keeps_its_text_without_the_code_or_link(client, auth):
    """The code and link confirm a follow: whoever reads the attempt must not be able to."""
    body = {
        "procedure": "Đăng ký khai sinh",
        "agency": "UBND phường Thạch Thang",
        "received_at": "2026-11-20T08:30:00+07:00",
        "applicant": {"full_name": "Lê Thị Hoa", "phone": "0987654321"},
    }
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=body, headers=auth)).status == 201
    for channel, address in (("sms", {"phone": "0912000807"}), ("email", {"email": "chi.le@example.vn"})):
        asked = await client.post(
            f"/api/v1/dossiers/{CODE}/followers", json={"verify": "4321", "channel": channel, **address}
        )
        assert asked.status == 202
    await client.app[BUS].wait_idle()
    await client.app[SERVICE].notifier.sender.wait_idle()
    # The follower's two addresses: the applicant's own notice may be recorded after them.
    followers = ("+84912000807", "chi.le@example.vn")
    recorded = {r["channel"]: r["body"] for r in await client.app[STORE].last_recorded(10) if r["address"] in followers}
    code = re.search(r"Mã xác nhận (\d+)", recorded["sms"]).group(1)
    link = re.search(r"https?://\S+/follow/\S+", recorded["email"]).group(0).rstrip(".")
    response = await client.get("/api/v1/notifications", params={"dossier": CODE}, headers=auth)
    kept = {
        a["channel"]: a["text"]
        for n in (await response.json())["notifications"]
        if n["purpose"] == "follow_confirmation"
        for a in n["attempts"]
    }
    assert set(kept) == {"sms", "email"}
    assert code not in kept["sms"] and "[đã ẩn]" in kept["sms"]
    assert link not in kept["email"] and "/follow/" not in kept["email"] and "[đã ẩn]" in kept["email"]
