"""`tongdai assistant parse`: Rasa's /model/parse shape, one JSON per line, in order."""

from __future__ import annotations

import io
import json
import sys

from hub.cli import main


def test_one_text(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TONGDAI_ASSISTANT_CACHE_DIR", str(tmp_path))
    assert main(["assistant", "parse", "lệ phí đăng ký khai sinh bao nhiêu ạ"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    result = json.loads(line)
    assert result["text"] == "lệ phí đăng ký khai sinh bao nhiêu ạ"
    assert result["intent"]["name"] == "ask_fee" and 0 < result["intent"]["confidence"] <= 1
    [procedure] = [e for e in result["entities"] if e["entity"] == "procedure"]
    assert procedure["value"] == "khai_sinh"
    assert result["text"][procedure["start"] : procedure["end"]].lower().endswith("khai sinh")


def test_jsonl_keeps_the_order_of_many_lines(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TONGDAI_ASSISTANT_CACHE_DIR", str(tmp_path))
    texts = ["xin chào", "hs BD-261015-0077 của tôi sao rồi", "cho gặp nhân viên", "giờ làm việc thứ bảy"] * 75
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(texts) + "\n"))
    assert main(["assistant", "parse", "--jsonl", "--engine", "builtin"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in results] == texts
    assert [r["intent"]["name"] for r in results[:4]] == [
        "greet",
        "check_dossier_status",
        "request_human",
        "ask_office_hours",
    ]
    assert {"entity": "dossier_code", "value": "BD-261015-0077", "start": 3, "end": 17} in results[1]["entities"]
