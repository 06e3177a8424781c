"""The inbox every channel adapter hands over to, on a real SQLite store:
keyword commands answered at once, free text stored and put on the bus,
retried webhooks without effect, threads, deep links and opt-outs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contact_center import keywords
from contact_center.inbox import ACKNOWLEDGED, NOT_FOUND, Inbox
from hub.api.guard import FailureLimiter
from hub.bus.recording import RecordingBus
from hub.store.port import DossierData
from hub.store.sqlite import SqliteStore
from models.citizen import Channel
from models.events import DeliveryReceiptReceived, InboundMessageReceived, Message
from models.messages import Incoming
from models.notifications import DeliveryStatus
from tests.support.harness import APPLICANT, CODE

PHONE = "+84987654321"


@pytest.fixture
async def setup(tmp_path):
    store = SqliteStore(tmp_path / "inbox.sqlite3")
    await store.open()
    await store.upsert_dossier(
        DossierData(
            code=CODE,
            procedure="Đăng ký khai sinh",
            agency="UBND phường Thạch Thang",
            received_at=datetime(2026, 11, 20, 1, tzinfo=UTC),
            due_at=datetime(2026, 12, 30, 10, tzinfo=UTC),
            applicant=APPLICANT,
        )
    )
    links = {"good-token": (None, CODE)}
    inbox = Inbox(store, RecordingBus(), FailureLimiter(5, 900), read_link=links.get)
    yield store, inbox, links
    await store.close()


def sms(text: str, ref: str, address: str = PHONE) -> Incoming:
    return Incoming(channel=Channel.SMS, address=address, text=text, provider_message_id=ref)


async def outbox_events(store) -> list[Message]:
    return [Message.from_dict(r.type, r.payload) for r in await store.outbox_after(0, 1000)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TRACUU H12.22-261120-0001 5678", keywords.Command("lookup", "H12.22-261120-0001", "5678")),
        ("Tra cứu h12.22-261120-0001 5678", keywords.Command("lookup", "h12.22-261120-0001", "5678")),
        ("tra cuu 5678 H12.22-261120-0001", keywords.Command("lookup", "H12.22-261120-0001", "5678")),
        ("/tracuu@TongDaiBot BD-261015-0077 1222", keywords.Command("lookup", "BD-261015-0077", "1222")),
        ("Theo dõi BD-261015-0077 1222", keywords.Command("follow", "BD-261015-0077", "1222")),
        ("HUY", keywords.Command("stop")),
        ("Hủy", keywords.Command("stop")),
        ("stop", keywords.Command("stop")),
        ("huy dang ky", keywords.Command("stop")),
        ("/start abc", keywords.Command("start", argument="abc")),
        ("Hủy hồ sơ của tôi thì phải làm sao ạ", None),
        ("Cho hỏi lệ phí khai sinh", None),
        ("", None),
    ],
)
def test_keywords_as_citizens_type_them(text, expected):
    assert keywords.parse(text) == expected


def test_a_dossier_code_is_found_in_free_text():
    assert keywords.find_code("Re: hồ sơ 000.00.21.h12-261105-0012") == "000.00.21.H12-261105-0012"
    assert keywords.find_code(None, "hs BD-261015-0077 của tôi sao rồi?") == "BD-261015-0077"
    assert keywords.find_code("xin chào 2026-11-28") is None


async def test_lookup_by_sms_answers_the_status_and_is_stored(setup):
    store, inbox, _ = setup
    replies = await inbox.receive(sms(f"tra cuu {CODE} 5678", "SM1"))
    assert len(replies) == 1
    assert replies[0].text.startswith(f"Hồ sơ {CODE} (Đăng ký khai sinh): ")
    assert "Hẹn trả kết quả: 30/12/2026 17:00" in replies[0].text
    [conversation] = await store.list_conversations()
    assert conversation["dossier_code"] == CODE
    assert [m["direction"] for m in conversation["messages"]] == ["in", "out"]
    # Answered here: nothing for the assistant or agents.
    assert not [e for e in await outbox_events(store) if isinstance(e, InboundMessageReceived)]


async def test_wrong_digits_are_not_found_and_guessing_is_stopped(setup):
    store, inbox, _ = setup
    for i in range(5):
        assert (await inbox.receive(sms(f"TRACUU {CODE} 000{i}", f"SM{i}")))[0].text == NOT_FOUND
    # Even the right digits now: whoever guesses learns nothing.
    assert (await inbox.receive(sms(f"TRACUU {CODE} 5678", "SM9")))[0].text == NOT_FOUND
    # The code is locked for every sender, as in the public lookup: guessing from many phones fails too.
    assert (await inbox.receive(sms(f"TRACUU {CODE} 5678", "SM10", "+84911111111")))[0].text == NOT_FOUND


async def test_follow_then_stop_by_sms_writes_the_consent_ledger(setup):
    store, inbox, _ = setup
    [reply] = await inbox.receive(sms(f"THEODOI {CODE} 5678", "SM1"))
    assert "Nhắn HUY để dừng" in reply.text
    citizen_id = await store.find_contact(Channel.SMS, PHONE)
    targets = await store.dossier_targets([CODE])
    assert citizen_id in [recipient for recipient, _ in targets[CODE].recipients[1:]]  # a follower
    citizen = await store.get_citizen(citizen_id)
    assert citizen.consent_for(Channel.SMS)
    [reply] = await inbox.receive(sms("Hủy", "SM2"))
    assert "Đã dừng" in reply.text
    citizen = await store.get_citizen(citizen_id)
    assert not citizen.consent_for(Channel.SMS)
    assert [(r.granted, r.via) for r in citizen.consents if r.channel is Channel.SMS] == [
        (True, "sms_keyword"),
        (False, "sms_keyword"),
    ]


async def test_free_text_goes_on_the_bus_once_and_is_acknowledged_once(setup):
    store, inbox, _ = setup
    first = await inbox.receive(sms("Cho hỏi hồ sơ khai sinh cần giấy gì ạ", "SM1"))
    assert [r.text for r in first] == [ACKNOWLEDGED]
    assert await inbox.receive(sms("Cho hỏi hồ sơ khai sinh cần giấy gì ạ", "SM1")) == []  # webhook retried
    assert await inbox.receive(sms("và lệ phí bao nhiêu", "SM2")) == []  # same conversation: no second ack
    events = [e for e in await outbox_events(store) if isinstance(e, InboundMessageReceived)]
    assert [e.text for e in events] == ["Cho hỏi hồ sơ khai sinh cần giấy gì ạ", "và lệ phí bao nhiêu"]
    assert len({e.conversation_id for e in events}) == 1 and events[0].citizen_id
    [conversation] = await store.list_conversations(channel=Channel.SMS)
    assert [m["direction"] for m in conversation["messages"]] == ["in", "out", "in"]


async def test_email_replies_thread_by_references_and_attach_the_dossier(setup):
    store, inbox, _ = setup

    def mail(ref, subject, text, references=()):
        return Incoming(
            channel=Channel.EMAIL,
            address="binh@example.vn",
            text=text,
            provider_message_id=ref,
            subject=subject,
            references=references,
        )

    await inbox.receive(mail("<a@x>", f"Hỏi về hồ sơ {CODE}", "Bao giờ có kết quả?"))
    await inbox.receive(mail("<b@x>", "Re: Hỏi về hồ sơ", "Cảm ơn", references=("<a@x>",)))
    await inbox.receive(mail("<c@x>", "Câu hỏi khác", "Giờ làm việc?"))
    conversations = await store.list_conversations(channel=Channel.EMAIL)
    assert sorted(len(c["messages"]) for c in conversations) == [2, 3]  # the first thread: in, ack, in
    threaded = next(c for c in conversations if len(c["messages"]) == 3)
    assert threaded["dossier_code"] == CODE
    # The email address is the applicant's: one citizen, whatever the channel.
    assert threaded["citizen_id"] == await store.find_contact(Channel.SMS, APPLICANT.phone)


async def test_a_telegram_deep_link_links_the_chat_to_the_applicant(setup):
    store, inbox, links = setup
    applicant = await store.find_contact(Channel.SMS, APPLICANT.phone)
    links["good-token"] = (applicant, CODE)
    chat = Incoming(channel=Channel.TELEGRAM, address="555001", text="xin chào", provider_message_id="555001:1")
    await inbox.receive(chat)  # before the link: a nameless citizen for this chat
    stranger = await store.find_contact(Channel.TELEGRAM, 555001)
    assert stranger != applicant
    [reply] = await inbox.receive(
        Incoming(
            channel=Channel.TELEGRAM,
            address="555001",
            text="/start good-token",
            provider_message_id="555001:2",
            link_token="good-token",
        )
    )
    assert CODE in reply.text
    assert await store.find_contact(Channel.TELEGRAM, 555001) == applicant
    citizen = await store.get_citizen(applicant)
    assert citizen.telegram_chat_id == 555001 and citizen.consent_for(Channel.TELEGRAM)
    assert {c["citizen_id"] for c in await store.list_conversations(channel=Channel.TELEGRAM)} == {applicant}
    [bad] = await inbox.receive(
        Incoming(
            channel=Channel.TELEGRAM,
            address="555002",
            text="/start forged",
            provider_message_id="555002:1",
            link_token="forged",
        )
    )
    assert "hết hạn hoặc không hợp lệ" in bad.text


async def test_opt_outs_and_receipts_from_adapters(setup):
    store, inbox, _ = setup
    await inbox.withdraw(Channel.TELEGRAM, str(APPLICANT.telegram_chat_id), via="telegram_blocked")
    applicant = await store.get_citizen(await store.find_contact(Channel.SMS, APPLICANT.phone))
    assert not applicant.consent_for(Channel.TELEGRAM) and applicant.consent_for(Channel.SMS)
    await inbox.receipt("smtp", "<att@x>", DeliveryStatus.PERMANENT_FAILURE, "550 5.1.1 no such user")
    [event] = inbox.bus.published
    assert isinstance(event, DeliveryReceiptReceived)
    assert (event.provider, event.provider_ref, event.status) == ("smtp", "<att@x>", "permanent_failure")


async def test_an_assistant_that_fails_leaves_the_message_stored_and_acknowledged(setup):
    from models.errors import RetryableError

    class Down:
        ready = True

        async def converse(self, conversation_id, text, *, asker=None, own=None):
            raise RetryableError("Rasa at http://127.0.0.1:5005 unreachable")

    store, inbox, _ = setup
    inbox.assistant = Down()
    assert [r.text for r in await inbox.receive(sms("lệ phí bao nhiêu", "SM1"))] == [ACKNOWLEDGED]
    [conversation] = await store.list_conversations()
    assert conversation["messages"][0]["text"] == "lệ phí bao nhiêu"
    assert [e.text for e in await outbox_events(store) if isinstance(e, InboundMessageReceived)] == ["lệ phí bao nhiêu"]


async def _provincial_dossier(store, code: str = "BD-261130-0606") -> str:
    from dataclasses import replace

    await store.upsert_dossier(
        DossierData(
            code=code,
            procedure="Cấp giấy phép xây dựng",
            agency="UBND tỉnh",
            received_at=datetime(2026, 11, 30, 1, tzinfo=UTC),
            due_at=datetime(2026, 12, 30, 10, tzinfo=UTC),
            applicant=replace(APPLICANT, phone="+84912341606", email="an@example.vn", telegram_chat_id=777002),
        )
    )
    return code


@pytest.mark.parametrize(
    "text",
    [
        "tracuu bd-261130-0606 1606",  # as phones type it: all lower case
        "TRACUU BD–261130–0606 1606",  # en dashes from a word processor
        "TRACUU ＢＤ－２６１１３０－０６０６ １６０６",  # a full-width keyboard
        "tra cuu BD-261130-0606, 1606",
    ],
)
async def test_lookup_by_sms_finds_the_code_however_it_is_typed(setup, text):
    store, inbox, _ = setup
    code = await _provincial_dossier(store)
    [reply] = await inbox.receive(sms(text, "SM1"))
    assert reply.text.startswith(f"Hồ sơ {code} (Cấp giấy phép xây dựng): ")
    [conversation] = await store.list_conversations()
    assert conversation["dossier_code"] == code


async def test_case_variants_share_one_code_guard(setup):
    store, inbox, _ = setup
    code = await _provincial_dossier(store)
    for i, typed in enumerate(
        ["bd-261130-0606", "Bd-261130-0606", "BD–261130–0606", "bD-261130-0606", "BD-261130-0606"]
    ):
        assert (await inbox.receive(sms(f"TRACUU {typed} 000{i}", f"SM{i}", f"+8491111111{i}")))[0].text == NOT_FOUND
    assert (await inbox.receive(sms(f"TRACUU {code} 1606", "SM9")))[0].text == NOT_FOUND


def test_a_three_digit_sequence_and_the_national_format_are_found_in_free_text():
    assert keywords.find_code("hồ sơ BD-240915-077") == "BD-240915-077"
    assert keywords.find_code("hs 000.00.21.H12-261130-0505 sao rồi") == "000.00.21.H12-261130-0505"
    assert keywords.parse("tracuu 000.00.21.h12-261130-0505 1606") == keywords.Command(
        "lookup", "000.00.21.h12-261130-0505", "1606"
    )


class Talkative:
    """An assistant that answers everything, and counts what it was asked."""

    ready = True

    def __init__(self):
        self.asked: list[str] = []

    async def converse(self, conversation_id, text, *, asker=None, own=None):
        from models.messages import Reply

        self.asked.append(text)
        return [Reply("Trợ lý trả lời: " + text)]


async def test_the_assistant_stays_silent_while_a_person_has_the_conversation(setup):
    store, inbox, _ = setup
    inbox.assistant = Talkative()
    await inbox.receive(sms("cho hỏi lệ phí", "Q1"))
    [conversation] = await store.list_conversations()
    await store.escalate(conversation["id"], "request_human")

    assert await inbox.receive(sms("tôi vẫn đang chờ", "Q2")) == []
    assert inbox.assistant.asked == ["cho hỏi lệ phí"]
    # Keywords still answer at once: a lookup needs no person.
    [answer] = await inbox.receive(sms(f"TRACUU {CODE} 5678", "Q3"))
    assert CODE in answer.text
    messages = await store.conversation_messages(conversation["id"])
    assert [m["text"] for m in messages if m["direction"] == "in"] == [
        "cho hỏi lệ phí",
        "tôi vẫn đang chờ",
        f"TRACUU {CODE} 5678",
    ]
    # The console saw each of them.
    created = [r.payload["message"]["text"] for r in await store.feed_since(0) if r.kind == "message.created"]
    assert "tôi vẫn đang chờ" in created and answer.text in created


async def test_a_citizen_writing_into_a_resolved_conversation_reopens_it_and_the_assistant_stays_silent(setup):
    store, inbox, _ = setup
    inbox.assistant = Talkative()
    await inbox.receive(sms("cho hỏi lệ phí", "R1"))
    [conversation] = await store.list_conversations()
    cid = conversation["id"]
    await store.escalate(cid, "request_human")
    now = datetime.now(UTC)
    await store.set_queue_status(cid, "resolved", by="ag_1", now=now)

    assert await inbox.receive(sms("chưa xong ạ", "R2")) == []
    assert inbox.assistant.asked == ["cho hỏi lệ phí"]
    item = await store.queue_item(cid, lambda channel, address: "***")
    assert item is not None and item.status == "open"

    # Handed back to the assistant, it answers again.
    await store.set_queue_status(cid, None, by="ag_1", now=now)
    [reply] = await inbox.receive(sms("lệ phí là bao nhiêu", "R3"))
    assert reply.text == "Trợ lý trả lời: lệ phí là bao nhiêu"
