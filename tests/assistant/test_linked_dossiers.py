"""Issue 11 item 9: a Telegram chat linked to the applicant by a receipt's
deep link asks "hồ sơ của tôi đến đâu rồi" and is answered from that
applicant's dossiers (asked which one when there are several), not asked for
a code. An SMS from the applicant's phone is not such a link (a phone may be
shared): it is still asked for the code. Real SQLite store, the inbox, the
built-in engine; tests/contracts/test_engine.py holds the same for Rasa."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from assistant.builtin import BuiltinEngine
from assistant.service import Assistant
from contact_center.inbox import Inbox
from contact_center.status import StatusAnswers
from hub.api.guard import FailureLimiter
from hub.bus.recording import RecordingBus
from hub.settings import Settings
from hub.store.port import ApplicantData, DossierData
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from models.messages import Incoming

FIRST, SECOND, OTHERS = "BD-261101-0001", "BD-261110-0002", "BD-261111-0003"
APPLICANT = ApplicantData(full_name="Trần Thị Bình", phone="+84912345678")
CHAT = "777001"
ASKS_FOR_CODE = "mã hồ sơ"


def dossier(code: str, procedure: str, day: int, applicant: ApplicantData = APPLICANT) -> DossierData:
    return DossierData(
        code=code,
        procedure=procedure,
        agency="UBND phường Trung Tâm",
        received_at=datetime(2026, 11, day, 2, tzinfo=UTC),
        due_at=datetime(2099, 12, 30, 10, tzinfo=UTC),
        applicant=applicant,
    )


@pytest.fixture
async def world(tmp_path):
    store = SqliteStore(tmp_path / "linked.sqlite3")
    await store.open()
    await store.upsert_dossier(dossier(FIRST, "Đăng ký khai sinh", 1))
    other = replace(APPLICANT, full_name="Lê Văn Cường", phone="+84987654321")
    await store.upsert_dossier(dossier(OTHERS, "Đăng ký kết hôn", 11, other))
    applicant = await store.find_contact(Channel.SMS, APPLICANT.phone)
    links = {"receipt-token": (applicant, FIRST)}
    guard = FailureLimiter(5, 900)
    # The trained model is cached: a fresh engine (and conversation state) per test costs little.
    engine = await BuiltinEngine.train(StatusAnswers(store, guard).text, cache_dir=Settings().assistant_cache)
    inbox = Inbox(store, RecordingBus(), guard, read_link=links.get, assistant=Assistant(engine, store))
    counter = iter(range(1, 1000))

    async def say(text: str, channel: Channel = Channel.TELEGRAM, address: str = CHAT, **extra) -> list:
        ref = f"{address}:{next(counter)}"
        message = Incoming(channel=channel, address=address, text=text, provider_message_id=ref, **extra)
        return await inbox.receive(message)

    yield store, say
    await store.close()


async def test_a_linked_chat_is_answered_from_its_dossier_without_a_code(world):
    store, say = world
    [before] = await say("hồ sơ của tôi đến đâu rồi")
    assert ASKS_FOR_CODE in before.text  # not linked yet: the code, as for anyone
    await say("/start receipt-token", link_token="receipt-token")
    [status] = await say("hồ sơ của tôi đến đâu rồi")
    assert status.text.startswith(f"Hồ sơ {FIRST} (Đăng ký khai sinh): Mới đăng ký")
    assert OTHERS not in status.text


async def test_several_dossiers_are_listed_then_the_chosen_one_answered(world):
    store, say = world
    await store.upsert_dossier(dossier(SECOND, "Cấp Phiếu lý lịch tư pháp", 10))
    await say("/start receipt-token", link_token="receipt-token")
    [which] = await say("hồ sơ của tôi đến đâu rồi")
    assert which.text == (
        f"Ông/Bà có 2 hồ sơ:\n- {SECOND} (Cấp Phiếu lý lịch tư pháp)\n- {FIRST} (Đăng ký khai sinh)\n"
        "Ông/Bà muốn xem hồ sơ nào ạ?"
    )
    assert [b.title for b in which.buttons] == [SECOND, FIRST]
    [chosen] = await say(which.buttons[1].payload)
    assert chosen.text.startswith(f"Hồ sơ {FIRST} (Đăng ký khai sinh)")
    [typed] = await say(SECOND)
    assert typed.text.startswith(f"Hồ sơ {SECOND} (Cấp Phiếu lý lịch tư pháp)")
    # Someone else's dossier still needs its digits.
    [digits] = await say(f"tra cứu hồ sơ {OTHERS}")
    assert "4 số cuối" in digits.text


async def test_an_sms_from_the_applicants_phone_still_gives_the_code(world):
    store, say = world
    [reply] = await say("hồ sơ của tôi đến đâu rồi", channel=Channel.SMS, address=APPLICANT.phone)
    assert ASKS_FOR_CODE in reply.text
