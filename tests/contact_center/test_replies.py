"""An agent's reply (contact_center/replies.py): it goes out as an
`agent_reply` notification through notify's sender, only on the
conversation's channel and to its address, and the console sees its
delivery status move (message.status feed rows). Here on recording
providers and a fake clock; tests/contact_center/test_replies_peers.py sends
through the real peers (telegram-test-api, Twilio on Prism, aiosmtpd)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from channels.recording import MemorySink, RecordingProvider
from channels.registry import REGISTRY
from contact_center.replies import sms_preview
from hub.app import bootstrap
from hub.settings import Settings
from hub.store.port import ApplicantData, DossierData, InboundRecord
from hub.store.sqlite import SqliteStore
from models.citizen import Channel, ConsentRecord
from models.events import new_id
from models.messages import Incoming
from models.notifications import AGENT_REPLY, DeliveryStatus, Notification, Receipt
from models.timeutil import VN_TZ
from notify.sender import Policy
from tests.support.clock import FakeClock

MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ)
NIGHT = datetime(2026, 11, 25, 23, 30, tzinfo=VN_TZ)
PHONE = "+84912345678"
EMAIL = "lan@example.vn"
CHAT = "777001"
CODE = "H12.22-261120-0001"
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def consents(*channels: Channel) -> tuple[ConsentRecord, ...]:
    return tuple(ConsentRecord(c, True, SINCE, "one_stop_shop", "consent") for c in channels)


class World:
    def __init__(self, service, clock: FakeClock, sinks: dict[Channel, MemorySink]):
        self.service, self.clock, self.sinks = service, clock, sinks
        self.store = service.store
        self.replies = service.replies

    def sent(self, channel: Channel) -> list:
        return self.sinks[channel].messages

    async def send(self) -> None:
        sender = self.service.notifier.sender
        for _ in range(50):
            if not await sender.run_once():
                return
        raise AssertionError("the sender does not settle")

    async def writes(self, channel: Channel, address: str, text: str, ref: str, subject: str | None = None) -> str:
        """A citizen's message, through the inbox as every adapter hands it over."""
        await self.service.inbox.receive(
            Incoming(channel=channel, address=address, text=text, provider_message_id=ref, subject=subject)
        )
        [conversation] = await self.store.list_conversations(channel=channel, limit=1)
        return conversation["id"]

    async def statuses(self) -> list[dict]:
        return [row.payload for row in await self.store.feed_since(0) if row.kind == "message.status"]

    async def reply_notifications(self, channel: Channel = Channel.SMS, address: str = PHONE) -> list:
        """The agent replies planned for the citizen at that address."""
        citizen = await self.store.find_contact(channel, REGISTRY[channel].stored(address))
        if citizen is None:
            return []
        return [n for n in await self.store.list_notifications(citizen=citizen) if n.purpose == AGENT_REPLY]

    async def reply_notification(self, channel: Channel = Channel.SMS, address: str = PHONE):
        [found] = await self.reply_notifications(channel, address)
        return found

    async def applicant(self, applicant: ApplicantData) -> str:
        """A citizen the one-stop-shop knows, with their addresses and consents."""
        await self.store.upsert_dossier(
            DossierData(
                code=CODE,
                procedure="Đăng ký khai sinh",
                agency="UBND phường Thạch Thang",
                received_at=MORNING,
                due_at=None,
                applicant=applicant,
            )
        )
        found = await self.store.find_contact(Channel.SMS, PHONE)
        assert found is not None
        return found


@pytest.fixture
async def world(tmp_path):
    clock = FakeClock(MORNING.timestamp())
    sinks = {c: MemorySink() for c in (Channel.TELEGRAM, Channel.SMS, Channel.EMAIL, Channel.PHONE)}
    providers = [RecordingProvider(c, sink, receipts=False) for c, sink in sinks.items()]
    settings = Settings(data_dir=tmp_path, quiet_hours="21:00-07:00", org_name="Trung tâm PVHCC")
    service = await bootstrap(
        settings,
        store=SqliteStore(tmp_path / "replies.sqlite3"),
        providers=providers,
        clock=clock,
        secret=b"k" * 32,
        policy=Policy(max_attempts=2, backoff_base=10, backoff_cap=60, lease=30),
    )
    await service.open()
    service.notifier.sender.rng = random.Random(7)
    yield World(service, clock, sinks)
    await service.close()


@pytest.fixture
async def agent(world):
    created, _ = await world.service.agents.create("Nguyễn Văn An", "an@example.vn", "agent", "Một cửa", "cli:test")
    return created


# the text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "không được để trống"),
        ("   \n\t ", "không được để trống"),
        ("x" * 2001, "dài quá 2000"),
        ("x" * 1601, "Tin nhắn SMS dài tối đa 1600 ký tự"),  # what Twilio takes
        ("chuông\x07", "ký tự điều khiển"),
        (None, "chuỗi ký tự"),
    ],
)
async def test_a_text_that_cannot_be_sent_is_refused_in_vietnamese(world, agent, text, problem):
    cid = await world.writes(Channel.SMS, PHONE, "cho hỏi hồ sơ", "sms-1")
    with pytest.raises(ValueError, match=problem):
        await world.replies.send(cid, agent, text)
    assert await world.reply_notifications() == []


async def test_the_longest_text_is_sent_whole(world, agent):
    cid = await world.writes(Channel.TELEGRAM, CHAT, "cho hỏi", "tg-1")
    text = ("Hồ sơ đã xong. " * 134)[:1999] + "!"
    assert len(text) == 2000
    await world.replies.send(cid, agent, text)
    await world.send()
    assert world.sent(Channel.TELEGRAM)[0].text == text


async def test_an_unknown_conversation_is_a_lookup_error(world, agent):
    with pytest.raises(LookupError):
        await world.replies.send("no-such-conversation", agent, "Chào Ông/Bà")


# on the conversation's channel


async def test_a_reply_goes_to_the_conversation_address_on_its_channel_only(world, agent):
    cid = await world.writes(Channel.SMS, PHONE, "hồ sơ của tôi sao rồi", "sms-1")
    message = await world.replies.send(cid, agent, "Chào Ông/Bà,\nhồ sơ đang được xử lý.")
    assert message["author"] == agent.id and message["kind"] == "message"
    assert message["text"] == "Chào Ông/Bà,\nhồ sơ đang được xử lý."
    assert message["delivery"] == {"status": "queued", "reason": None, "channel": "sms"}
    await world.send()
    [sms] = world.sent(Channel.SMS)
    assert sms.address == PHONE and sms.text == "Chào Ông/Bà, hồ sơ đang được xử lý."  # an SMS is one line
    assert not world.sent(Channel.TELEGRAM) and not world.sent(Channel.EMAIL)
    n = await world.reply_notification()
    assert (n.purpose, n.status, n.channel) == (AGENT_REPLY, DeliveryStatus.SENT, "sms")
    # `tongdai outbox tail` shows it on the citizen's channel, masked.
    [tail] = await world.store.last_sent(1)
    assert tail["channel"] == "sms" and PHONE not in str(tail) and "hồ sơ đang được xử lý" in tail["text"]
    # The console heard the status move, on this message.
    statuses = await world.statuses()
    assert statuses[-1]["message_id"] == message["id"]
    assert statuses[-1]["delivery"] == {"status": "sent", "reason": None, "channel": "sms"}
    [stored] = [m for m in await world.store.conversation_messages(cid) if m["id"] == message["id"]]
    assert stored["delivery"]["status"] == "sent"


async def test_a_reply_is_not_held_for_quiet_hours_and_needs_no_consent(world, agent):
    # A nameless contact that never consented to anything: it wrote to us.
    world.clock.set(NIGHT)
    cid = await world.writes(Channel.SMS, "+84987654321", "tối rồi có ai trực không", "sms-night")
    await world.replies.send(cid, agent, "Dạ có ạ.")
    await world.send()
    assert [m.address for m in world.sent(Channel.SMS)] == ["+84987654321"]


async def test_a_receipt_makes_it_delivered_and_the_console_hears_it(world, agent):
    cid = await world.writes(Channel.SMS, PHONE, "cho hỏi", "sms-1")
    message = await world.replies.send(cid, agent, "Dạ, hồ sơ đã có kết quả.")
    await world.send()
    [sms] = world.sent(Channel.SMS)
    await world.service.notifier.receipts.apply([Receipt("recording-sms", sms.attempt_id, DeliveryStatus.DELIVERED)])
    last = (await world.statuses())[-1]
    assert last["message_id"] == message["id"] and last["delivery"]["status"] == "delivered"


async def test_a_refused_reply_fails_with_its_reason_and_goes_nowhere_else(world, agent):
    world.service.channels.register(RecordingProvider(Channel.SMS, world.sinks[Channel.SMS], fail="permanent"))
    # The applicant has Telegram and email too: an agent's reply is never moved there.
    await world.applicant(
        ApplicantData(
            full_name="Trần Thị Bình",
            phone=PHONE,
            email=EMAIL,
            telegram_chat_id=int(CHAT),
            preferred_channels=("telegram", "sms", "email"),
            consents=consents(Channel.TELEGRAM, Channel.SMS, Channel.EMAIL),
        )
    )
    cid = await world.writes(Channel.SMS, PHONE, "cho hỏi", "sms-1")
    message = await world.replies.send(cid, agent, "Dạ.")
    await world.send()
    assert not world.sent(Channel.SMS) and not world.sent(Channel.TELEGRAM) and not world.sent(Channel.EMAIL)
    n = await world.reply_notification()
    assert (n.status, n.reason) == (DeliveryStatus.PERMANENT_FAILURE, "rejected")
    last = (await world.statuses())[-1]
    assert last["message_id"] == message["id"]
    assert last["delivery"] == {"status": "permanent_failure", "reason": "rejected", "channel": "sms"}


async def test_a_provider_down_is_retried_on_the_same_channel_then_given_up(world, agent):
    world.service.channels.register(
        RecordingProvider(Channel.TELEGRAM, world.sinks[Channel.TELEGRAM], fail="temporary")
    )
    cid = await world.writes(Channel.TELEGRAM, CHAT, "cho hỏi", "tg-1")
    await world.replies.send(cid, agent, "Dạ.")
    await world.send()
    n = await world.reply_notification(Channel.TELEGRAM, CHAT)
    assert (n.status, n.reason, n.tries) == (DeliveryStatus.TEMPORARY_FAILURE, "temporary_failure", 1)
    assert (await world.statuses())[-1]["delivery"]["status"] == "temporary_failure"
    world.clock.advance(120)
    await world.send()
    n = await world.reply_notification(Channel.TELEGRAM, CHAT)
    assert (n.status, n.reason, n.tried) == (DeliveryStatus.TECHNICAL_FAILURE, "technical_failure", ("telegram",))
    assert {a.channel for a in n.attempts} == {"telegram"} and len(n.attempts) == 2
    assert (await world.statuses())[-1]["delivery"] == {
        "status": "technical_failure",
        "reason": "technical_failure",
        "channel": "telegram",
    }


async def test_an_email_reply_is_threaded_under_the_citizens_letter(world, agent):
    cid = await world.writes(
        Channel.EMAIL, EMAIL, "Xin hỏi lệ phí khai sinh?", "<letter-1@mail.example.vn>", subject="Hỏi lệ phí"
    )
    await world.replies.send(cid, agent, "Kính gửi Ông/Bà,\nđăng ký khai sinh đúng hạn không mất lệ phí.")
    await world.send()
    [mail] = world.sent(Channel.EMAIL)
    assert mail.address == EMAIL and mail.in_reply_to == "<letter-1@mail.example.vn>"
    assert mail.subject == "Re: Hỏi lệ phí"
    assert "đăng ký khai sinh đúng hạn không mất lệ phí" in mail.text and "không mất lệ phí" in mail.html
    # Answerable, and nothing to unsubscribe from: it answers their letter.
    assert "không trả lời thư này" not in mail.text and mail.unsubscribe_url is None
    # Their answer, as a mail client threads it, lands in the same conversation.
    ours = f"<{mail.attempt_id}@tongdai.example.gov.vn>"
    await world.service.inbox.receive(
        Incoming(
            Channel.EMAIL,
            EMAIL,
            "Cảm ơn cán bộ.",
            "<letter-2@mail.example.vn>",
            subject="Re: Re: Hỏi lệ phí",
            references=(ours, "<letter-1@mail.example.vn>"),
        )
    )
    [conversation] = await world.store.list_conversations(channel=Channel.EMAIL)
    assert conversation["id"] == cid
    assert [m["text"] for m in await world.store.conversation_messages(cid) if m["direction"] == "in"] == [
        "Xin hỏi lệ phí khai sinh?",
        "Cảm ơn cán bộ.",
    ]


# web chat and kiosk: nothing to push to


async def test_a_web_chat_without_a_contact_is_stored_only(world, agent):
    cid = await world.writes(Channel.WEBCHAT, "session-abc", "cho hỏi giờ làm việc", "web-1")
    message = await world.replies.send(cid, agent, "Dạ, từ 7 giờ 30.")
    assert message["delivery"] == {"status": "stored", "reason": "no_push_channel", "channel": "webchat"}
    assert message["text"] == "Dạ, từ 7 giờ 30."
    await world.send()
    assert all(not sink.messages for sink in world.sinks.values())
    assert any(m["id"] == message["id"] for m in await world.store.conversation_messages(cid))


async def test_a_web_chat_visitor_who_left_a_phone_gets_the_answer_by_sms(world, agent):
    citizen = await world.store.ensure_contact(Channel.SMS, PHONE)
    # The web chat issue links a session to the contact its visitor leaves; here, as the store takes it.
    await world.store.add_inbound(
        InboundRecord(Channel.WEBCHAT, "session-xyz", "cho hỏi hồ sơ", "web-1", citizen_id=citizen), lambda cid: []
    )
    [conversation] = await world.store.list_conversations(channel=Channel.WEBCHAT, limit=1)
    message = await world.replies.send(conversation["id"], agent, "Dạ, hồ sơ đã xong.")
    assert message["text"] == "Dạ, hồ sơ đã xong.\n\n(Đã gửi qua tin nhắn SMS vì Ông/Bà đã rời trang.)"
    assert message["delivery"]["channel"] == "sms"
    await world.send()
    [sms] = world.sent(Channel.SMS)
    assert sms.address == PHONE
    assert sms.text == "Trung tâm PVHCC trả lời câu hỏi Ông/Bà gửi qua trò chuyện trên web: Dạ, hồ sơ đã xong."
    assert (await world.statuses())[-1]["delivery"]["status"] == "sent"


async def test_a_web_chat_visitor_who_withdrew_from_sms_is_answered_by_email(world, agent):
    citizen = await world.applicant(
        ApplicantData(full_name="Trần Thị Bình", phone=PHONE, email=EMAIL, consents=consents(Channel.SMS))
    )
    await world.store.add_consent(citizen, ConsentRecord(Channel.SMS, False, MORNING, "sms_stop", "withdrawal"))
    await world.store.add_inbound(
        InboundRecord(Channel.KIOSK, "kiosk-7", "hỏi lệ phí", "kiosk-1", citizen_id=citizen), lambda cid: []
    )
    [conversation] = await world.store.list_conversations(channel=Channel.KIOSK, limit=1)
    message = await world.replies.send(conversation["id"], agent, "Dạ, không mất phí.")
    assert message["text"].endswith("(Đã gửi qua email vì Ông/Bà đã rời trang.)")
    await world.send()
    assert not world.sent(Channel.SMS)
    [mail] = world.sent(Channel.EMAIL)
    assert mail.address == EMAIL and mail.in_reply_to is None and "qua ki-ốt" in mail.text


# what an SMS costs


def test_sms_preview_vietnamese_with_diacritics_is_ucs2():
    preview = sms_preview("Hồ sơ của Ông/Bà đã có kết quả.")
    assert preview == {"encoding": "UCS-2", "segments": 1, "characters": 31, "per_segment": 70}
    long = sms_preview("Hồ sơ đã có kết quả. " * 5)  # 104 characters
    assert long == {"encoding": "UCS-2", "segments": 2, "characters": 104, "per_segment": 67}


def test_sms_preview_plain_text_is_gsm7():
    assert sms_preview("Ho so cua Ong/Ba da co ket qua.") == {
        "encoding": "GSM-7",
        "segments": 1,
        "characters": 31,
        "per_segment": 160,
    }
    assert sms_preview("a" * 161)["segments"] == 2
    assert sms_preview("a" * 161)["per_segment"] == 153
    assert sms_preview("")["segments"] == 0
    # Counted as it will be sent: line breaks become spaces, decomposed letters are composed.
    assert sms_preview("Ho so\n\nda xong")["characters"] == len("Ho so da xong")


# the consoles hear of it, and only of replies


async def test_a_reply_the_sender_took_before_it_was_stored_still_reaches_the_consoles(world, agent, monkeypatch):
    cid = await world.writes(Channel.SMS, PHONE, "cho hỏi", "sms-1")
    store_message = world.store.add_agent_message

    async def late(*args, **kwargs):
        await world.send()  # the sender's round ran between the notification and the message
        return await store_message(*args, **kwargs)

    monkeypatch.setattr(world.store, "add_agent_message", late)
    message = await world.replies.send(cid, agent, "Dạ.")
    assert message["delivery"] == {"status": "sent", "reason": None, "channel": "sms"}
    [status] = await world.statuses()
    assert status["message_id"] == message["id"] and status["delivery"]["status"] == "sent"


async def test_the_sender_tells_the_consoles_only_of_rounds_with_a_reply(world, agent):
    told: list[list[str]] = []

    async def moved(ids: list[str]) -> None:
        told.append(ids)

    world.service.notifier.sender.replies_moved = moved
    citizen = await world.store.ensure_contact(Channel.SMS, PHONE)
    notice = Notification(
        id=new_id(),
        citizen_id=citizen,
        purpose="broadcast",
        source_event_id="broadcast:1",
        template="broadcast",
        context={"title": "Lịch nghỉ", "body": "Nghỉ ngày 2/9."},
        urgent=True,
        next_at=0.0,
        legal_basis="public_task",
    )
    await world.store.add_notifications([notice])
    await world.send()
    assert [m.text for m in world.sent(Channel.SMS)] and told == []
    cid = await world.writes(Channel.SMS, PHONE, "cho hỏi", "sms-1")
    await world.replies.send(cid, agent, "Dạ.")
    await world.send()
    [reply] = await world.reply_notifications()
    assert told == [[reply.id]]


async def test_a_withdrawal_still_wins_and_the_agent_sees_why(world, agent):
    cid = await world.writes(Channel.SMS, PHONE, "cho hỏi", "sms-1")
    citizen = await world.store.find_contact(Channel.SMS, PHONE)
    assert citizen is not None
    await world.store.add_consent(citizen, ConsentRecord(Channel.SMS, False, MORNING, "sms_stop", "withdrawal"))
    message = await world.replies.send(cid, agent, "Dạ.")
    await world.send()
    assert not world.sent(Channel.SMS)
    assert (await world.statuses())[-1] == {
        "conversation_id": cid,
        "message_id": message["id"],
        "delivery": {"status": "cancelled", "reason": "withdrawn", "channel": None},
    }
