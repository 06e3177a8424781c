"""The tongdai command, called as a newcomer would."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3

from hub.cli import main
from hub.store.port import DeliveryResult
from hub.store.sqlite import SqliteStore
from models.events import DossierUpdated


def test_apikey_is_printed_once_and_stored_hashed(tmp_path, capsys):
    assert main(["apikey", "create", "--name", "motcua", "--data-dir", str(tmp_path)]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("tdk_") and len(key) > 40
    with sqlite3.connect(tmp_path / "tongdai.sqlite3") as db:
        [(name, stored)] = db.execute("SELECT name, key_hash FROM api_keys").fetchall()
    assert name == "motcua" and stored == hashlib.sha256(key.encode()).hexdigest() and key not in stored


def test_demo_seeds_dossiers_in_several_statuses_and_is_repeatable(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    for label in ("Đang xử lý", "Yêu cầu bổ sung hồ sơ", "Đã có kết quả", "Quá hạn", "Đã trả kết quả"):
        assert label in first
    with sqlite3.connect(tmp_path / "tongdai.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 5
        assert db.execute("SELECT count(*) FROM dossier_events").fetchone()[0] == 14


def test_dlq_list_and_retry(tmp_path, capsys):
    message = DossierUpdated(code="X", changed=("agency",))

    async def park():
        store = SqliteStore(tmp_path / "tongdai.sqlite3")
        await store.open()
        await store.append_outbox([message])
        await store.record_deliveries([DeliveryResult(message.message_id, "notify", "dead", 8, error="SMTP 550")], [])
        await store.close()

    asyncio.run(park())
    assert main(["dlq", "list", "--data-dir", str(tmp_path)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    letter = json.loads(line)
    assert letter["handler"] == "notify" and letter["error"] == "SMTP 550" and letter["type"] == "DossierUpdated"
    assert main(["dlq", "retry", str(letter["id"]), "--data-dir", str(tmp_path)]) == 0
    assert main(["dlq", "retry", str(letter["id"]), "--data-dir", str(tmp_path)]) == 1
    capsys.readouterr()
    assert main(["dlq", "list", "--data-dir", str(tmp_path)]) == 0
    assert "empty" in capsys.readouterr().out
