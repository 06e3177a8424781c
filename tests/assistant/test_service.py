"""The assistant in the running service, on the built-in engine: web chat
through the API, a dossier checked by talking, and the hand-over to a person
with the conversation so far."""

from __future__ import annotations

import asyncio
from datetime import datetime

import orjson
import pytest

from assistant.service import handoff_text, when_answered
from hub.app import SERVICE
from hub.keys import STORE
from models.events import EscalationRequested, Message
from models.timeutil import VN_TZ
from notify.holidays import load_holidays
from tests.support.dossiers import DOSSIER

CODE = "BD-261120-0042"


@pytest.fixture
async def chat(client, auth):
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)).status == 201
    # The built-in engine trains in the background (cached after the first time).
    await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)

    async def say(text: str, sender: str = "web-1", **extra) -> list[dict]:
        response = await client.post("/api/v1/assistant/messages", json={"sender": sender, "text": text, **extra})
        assert response.status == 200, await response.text()
        return (await response.json())["replies"]

    return say


async def test_greeting_comes_with_buttons(chat):
    [reply] = await chat("xin chào ạ")
    assert reply["text"].startswith("Xin chào Ông/Bà")
    assert {"title": "Tra cứu hồ sơ", "payload": "/check_dossier_status"} in reply["buttons"]


async def test_a_dossier_is_checked_by_talking(chat):
    [ask_code] = await chat("cho mình tra cứu hs với")
    assert "mã hồ sơ" in ask_code["text"]
    [ask_digits] = await chat(CODE)
    assert "4 số cuối" in ask_digits["text"]
    [wrong] = await chat("1234")
    assert wrong["text"].startswith("Không tìm thấy hồ sơ")
    await chat("tra cứu hồ sơ")
    await chat(CODE)
    [status] = await chat("4321")
    assert status["text"].startswith(f"Hồ sơ {CODE} (Đăng ký khai sinh): Mới đăng ký")
    assert "Hẹn trả kết quả: 25/11/2099 17:00" in status["text"]


async def test_a_keyword_without_its_details_starts_the_conversation(chat):
    [ask_code] = await chat("Tra cứu hồ sơ", sender="web-5")
    assert "mã hồ sơ" in ask_code["text"]
    [ask_digits] = await chat(CODE, sender="web-5")
    assert "4 số cuối" in ask_digits["text"]
    [status] = await chat("4321", sender="web-5")
    assert status["text"].startswith(f"Hồ sơ {CODE}")
    [direct] = await chat(f"TRACUU {CODE} 4321", sender="web-6")  # the full keyword is answered at once
    assert direct["text"] == status["text"]


async def test_facts_come_from_the_knowledge_file(chat):
    [fee] = await chat("le phi dang ky khai sinh bao nhieu vay")
    assert "khai sinh" in fee["text"].lower() and "phí" in fee["text"].lower()


async def test_asking_for_a_person_escalates_once_with_the_transcript(client, auth, chat):
    await chat("xin chào", sender="web-2")
    [handoff] = await chat("cho tôi gặp cán bộ", sender="web-2")
    assert "cán bộ" in handoff["text"] and "trả lời" in handoff["text"]
    # A person has it now: the assistant stays silent, and the citizen waits once.
    assert await chat("nhân viên đâu rồi, tôi cần người thật", sender="web-2") == []
    listed = (await (await client.get("/api/v1/escalations", headers=auth)).json())["escalations"]
    assert len(listed) == 1 and listed[0]["reason"] == "request_human" and listed[0]["channel"] == "webchat"
    assert [m["text"] for m in listed[0]["transcript"] if m["direction"] == "in"][:2] == [
        "xin chào",
        "cho tôi gặp cán bộ",
    ]
    rows = await client.app[STORE].db.reader.execute_fetchall(
        "SELECT type, payload FROM outbox WHERE type = ?", (EscalationRequested.__name__,)
    )
    [event] = [Message.from_dict(row[0], orjson.loads(row[1])) for row in rows]
    assert event.reason == "request_human" and event.conversation_id == listed[0]["conversation_id"]
    assert [m["text"] for m in event.transcript][:2] == ["xin chào", listed[0]["transcript"][1]["text"]]


async def test_two_misunderstood_turns_in_a_row_reach_a_person(client, auth, chat):
    # Gibberish well below the fallback threshold ("asdkj qwe zzxv" sat at it,
    # and tipped into out_of_scope when issue 11 item 14 added an intent).
    first = await chat("ggg hhh jjj", sender="web-3")
    assert "chưa hiểu" in first[0]["text"]
    [handoff] = await chat("brrr kkk ppp", sender="web-3")
    assert "cán bộ" in handoff["text"]
    listed = (await (await client.get("/api/v1/escalations", headers=auth)).json())["escalations"]
    assert [e["reason"] for e in listed] == ["not_understood"]


async def test_a_retried_message_is_not_answered_twice(chat):
    assert await chat("xin chào", sender="web-4", message_id="m1")
    assert await chat("xin chào", sender="web-4", message_id="m1") == []


async def test_bad_requests_are_clear(client):
    missing = await client.post("/api/v1/assistant/messages", json={"sender": "x"})
    assert missing.status == 422 and (await missing.json())["field"] == "text"
    wrong = await client.post("/api/v1/assistant/messages", json={"sender": "x", "text": "hi", "channel": "fax"})
    assert wrong.status == 422
    unauthorised = await client.get("/api/v1/escalations")
    assert unauthorised.status == 401


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ), "trong khoảng 30 phút"),  # a Wednesday morning
        (datetime(2026, 11, 25, 20, 0, tzinfo=VN_TZ), "từ 7 giờ 30 sáng mai (26/11)"),
        (datetime(2026, 11, 26, 6, 0, tzinfo=VN_TZ), "từ 7 giờ 30 sáng nay (26/11)"),
        (datetime(2026, 11, 27, 18, 0, tzinfo=VN_TZ), "từ 7 giờ 30 sáng thứ Hai (30/11)"),  # Friday evening
        (datetime(2026, 8, 31, 18, 0, tzinfo=VN_TZ), "từ 7 giờ 30 sáng thứ Năm (03/09)"),  # National Day 1–2/9
    ],
)
def test_the_citizen_is_told_roughly_when(moment, expected):
    assert when_answered(moment, load_holidays()).startswith(expected)
    assert expected in handoff_text(moment, load_holidays())
