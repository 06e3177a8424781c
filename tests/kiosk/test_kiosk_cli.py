"""`tongdai kiosk create|list|disable`, as an operator runs them: the URL with
the key in its fragment, printed once; the key stored as a digest only; a
disabled kiosk's key refused by the service."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.cli import main
from hub.settings import Settings


async def _config_status(data_dir, key: str) -> int:
    app = await create_app(Settings(data_dir=data_dir))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/kiosk/api/config", headers={"Authorization": f"Kiosk {key}"})
        return response.status


def test_create_list_disable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TONGDAI_PUBLIC_URL", "https://tongdai.example.gov.vn")
    assert main(["kiosk", "create", "--name", "Quầy 3", "--data-dir", str(tmp_path)]) == 0
    url = capsys.readouterr().out.strip()
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "tongdai.example.gov.vn", "/kiosk")
    assert parts.query == "" and parts.fragment.startswith("k=tdq_")
    key = parts.fragment.removeprefix("k=")
    with sqlite3.connect(tmp_path / "tongdai.sqlite3") as db:
        [(kiosk_id, name, stored, disabled)] = db.execute("SELECT id, name, key_hash, disabled FROM kiosks").fetchall()
    assert name == "Quầy 3" and disabled == 0
    assert stored == hashlib.sha256(key.encode()).hexdigest()

    assert main(["kiosk", "list", "--data-dir", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert kiosk_id in listed and "Quầy 3" in listed and "đang dùng" in listed and key not in listed

    assert asyncio.run(_config_status(tmp_path, key)) == 200
    assert main(["kiosk", "disable", "Quầy 3", "--data-dir", str(tmp_path)]) == 0
    assert kiosk_id in capsys.readouterr().out
    assert asyncio.run(_config_status(tmp_path, key)) == 401
    assert main(["kiosk", "list", "--data-dir", str(tmp_path)]) == 0
    assert "ngừng" in capsys.readouterr().out
    assert main(["kiosk", "disable", "k_nope", "--data-dir", str(tmp_path)]) == 1


def test_a_blank_name_is_refused(tmp_path, capsys):
    assert main(["kiosk", "create", "--name", "   ", "--data-dir", str(tmp_path)]) == 2
    assert "Tên ki-ốt" in capsys.readouterr().err
