"""The operator's commands against a real `tongdai serve`: a status change
shows up in `tongdai outbox tail`; a broadcast from a CSV is sent once, even
when the command runs twice; templates preview with their SMS cost."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from hub.cli import main
from models.timeutil import to_iso, utcnow
from tests.support.server import cli, free_port, run_cli, serve


def test_templates_preview_shows_the_sms_cost(capsys):
    assert main(["templates", "preview", "status_changed", "--channel", "sms"]) == 0
    out = capsys.readouterr().out
    assert "UCS-2" in out or "GSM-7" in out
    assert "BD-261015-0077" in out  # the template's sample dossier


def test_templates_preview_email_and_check(capsys):
    assert main(["templates", "preview", "result_ready", "--channel", "email"]) == 0
    out = capsys.readouterr().out
    assert "<html" in out.lower() or "<p" in out.lower()  # the HTML part is shown too
    assert main(["templates", "check"]) == 0


def test_a_broken_override_is_reported(tmp_path, capsys, monkeypatch):
    (tmp_path / "status_changed").mkdir()
    (tmp_path / "status_changed" / "sms.j2").write_text("Hồ sơ {{ dossier.cdoe }}", encoding="utf-8")
    monkeypatch.setenv("TONGDAI_TEMPLATES_DIR", str(tmp_path))
    assert main(["templates", "check"]) == 1
    assert "cdoe" in capsys.readouterr().err


@pytest.fixture
async def server(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    proc = await serve(data_dir, port)
    key = (await cli(data_dir, "apikey", "create", "--name", "test")).splitlines()[0]
    yield data_dir, f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    proc.terminate()
    await proc.wait()


async def test_status_change_shows_up_in_outbox_tail(server):
    await status_change_reaches_the_outbox(*server)


async def test_a_sender_process_sends_for_the_service(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    proc = await serve(data_dir, port, notify_sender_process="true")
    try:
        key = (await cli(data_dir, "apikey", "create", "--name", "test")).splitlines()[0]
        assert f"notify-sender --data-dir {data_dir}" in await processes()
        await status_change_reaches_the_outbox(data_dir, f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"})
    finally:
        proc.terminate()
        await proc.wait()
    assert f"notify-sender --data-dir {data_dir}" not in await processes()  # it stopped with the service


async def processes() -> str:
    ps = await asyncio.create_subprocess_exec("ps", "-eww", "-o", "args", stdout=asyncio.subprocess.PIPE)
    out, _ = await ps.communicate()
    return out.decode()


async def status_change_reaches_the_outbox(data_dir, base, auth):
    await cli(data_dir, "demo")
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{base}/api/v1/dossiers/000.00.21.H12-261120-0001/events",
            headers=auth,
            json={
                "event_id": "cli-1",
                "status": "supplement_requested",
                "at": to_iso(utcnow()),  # live: an old event would be history, recorded without a notice
                "actor": "Một cửa",
                "note": "- Bản sao sổ hộ khẩu",
            },
        )
        assert response.status == 201
    for _ in range(200):
        code, out, _ = await run_cli(data_dir, "outbox", "tail", "-n", "50")
        if "Bản sao sổ hộ khẩu" in out:
            break
        await asyncio.sleep(0.05)
    assert "telegram → 100001 · recording-telegram · delivered" in out  # Nguyễn Văn An's first consented channel
    assert "Bản sao sổ hộ khẩu" in out


async def test_broadcast_from_csv_runs_once_and_can_be_rerun(server, tmp_path):
    data_dir, base, auth = server
    async with aiohttp.ClientSession() as http:
        for i, consent in enumerate([True, False]):
            body = {
                "procedure": "Đăng ký khai sinh",
                "agency": "UBND phường",
                "received_at": "2026-11-20T08:00:00",
                "applicant": {
                    "full_name": f"Người {i}",
                    "phone": f"09120000{i:02d}",
                    "email": f"nguoi{i}@example.vn",
                    "preferred_channels": ["email"],
                    "consents": [{"channel": "email", "granted": consent}],
                },
            }
            response = await http.put(f"{base}/api/v1/dossiers/BC-{i}", json=body, headers=auth)
            assert response.status == 201
    recipients = tmp_path / "recipients.csv"
    recipients.write_text("phone,ghi_chu\n0912000000,a\n0912000001,b\n0999999999,c\n", encoding="utf-8")
    args = [
        "broadcast",
        "--template",
        "broadcast",
        "--to",
        str(recipients),
        "--title",
        "Thông báo nghỉ lễ",
        "--body",
        "Trung tâm nghỉ lễ Quốc khánh ngày 2/9.",
    ]
    code, out, err = await run_cli(data_dir, *args)
    assert code == 0, err
    assert "2 người nhận" in out and "bỏ qua 1" in out
    assert "2/2" in out  # the progress bar reached the end
    code, again, err = await run_cli(data_dir, *args)
    assert code == 0, err
    broadcast_id = re.search(r"\bb_[0-9a-f]+", out).group()
    assert broadcast_id in again
    code, tail, _ = await run_cli(data_dir, "outbox", "tail", "-n", "50")
    assert tail.count("Thông báo nghỉ lễ") == 1  # once, to the one who consented
    code, status, _ = await run_cli(data_dir, "broadcast", "status", broadcast_id)
    assert code == 0 and "'cancelled': 1" in status and "'delivered': 1" in status
    code, cancelled, _ = await run_cli(data_dir, "broadcast", "cancel", broadcast_id)
    assert code == 0 and "'state': 'cancelled'" in cancelled
    code, _, err = await run_cli(data_dir, *args)
    assert code == 1 and "hủy" in err
