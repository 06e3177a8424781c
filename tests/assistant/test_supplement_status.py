"""Issue 11 item 16: asked about a dossier waiting for more papers, the
assistant lists the missing documents, as the supplement_requested notice
does (both read the clerk's note with notify.context.missing_documents)."""

from __future__ import annotations

import asyncio

from contact_center.status import status_line
from hub.app import SERVICE
from models.dossier import Dossier, DossierStatus, TimelineEntry
from tests.support.dossiers import DOSSIER, T0

CODE = "BD-261120-0042"
NOTE = "Đề nghị bổ sung:\n- Bản sao giấy chứng nhận kết hôn của cha mẹ\n- Giấy xác nhận nơi cư trú; Tờ khai có chữ ký"


async def test_the_status_reply_lists_the_missing_documents(client, auth):
    assert (await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers=auth)).status == 201
    for event_id, status, note in (("e1", "received", ""), ("e2", "supplement_requested", NOTE)):
        body = {"event_id": event_id, "status": status, "at": "2026-11-21T09:00:00+07:00", "actor": "Một cửa"}
        response = await client.post(f"/api/v1/dossiers/{CODE}/events", json={**body, "note": note}, headers=auth)
        assert response.status == 201, await response.text()
    await asyncio.wait_for(client.app[SERVICE].engine.until_ready(), 60)

    async def say(text: str) -> list[dict]:
        response = await client.post("/api/v1/assistant/messages", json={"sender": "web-16", "text": text})
        assert response.status == 200, await response.text()
        return (await response.json())["replies"]

    await say("tra cứu hồ sơ")
    await say(CODE)
    [status] = await say("4321")
    assert status["text"].startswith(f"Hồ sơ {CODE} (Đăng ký khai sinh): Yêu cầu bổ sung hồ sơ")
    assert status["text"].endswith(
        "Cần bổ sung các giấy tờ sau:\n1. Bản sao giấy chứng nhận kết hôn của cha mẹ\n"
        "2. Giấy xác nhận nơi cư trú\n3. Tờ khai có chữ ký"
    )


def test_a_note_that_lists_only_a_lead_in_is_still_told():
    entry = TimelineEntry(
        DossierStatus.SUPPLEMENT_REQUESTED, T0, "Một cửa", "Gọi số 0200 3 000 000 để được hướng dẫn:", "e"
    )
    dossier = Dossier(CODE, "Đăng ký khai sinh", "UBND", "c1", T0, None, DossierStatus.SUPPLEMENT_REQUESTED, (entry,))
    assert status_line(dossier, T0).endswith("\nGọi số 0200 3 000 000 để được hướng dẫn:")
