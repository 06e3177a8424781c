"""One person known to the store twice, as it happens: the applicant of a
dossier (by phone) and someone who wrote from Telegram, with what each has
gathered (conversations, an escalation, consents, a follow, notices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hub.store.port import InboundRecord
from models.citizen import Channel, ConsentRecord
from models.dossier import DossierStatus as S
from models.notifications import DeliveryAttempt, Notification, Progress
from models.notifications import DeliveryStatus as NS
from tests.support.dossiers import T0, change, dossier

PHONE = "+84912345678"  # the applicant's: a lookup's 4 digits are 5678
CHAT = 5550001


@dataclass
class Twice:
    applicant: str  # citizen id of the dossier's applicant (phone, name)
    chat: str  # citizen id created by the Telegram chat (no name)
    sms_conversation: str
    chat_conversation: str
    other: str  # another applicant, whose dossier the chat follows


def consent(channel: Channel, granted: bool = True) -> ConsentRecord:
    return ConsentRecord(channel, granted, T0, "test", "consent")


async def sent(store, notification: Notification, channel: str, text: str, status=NS.SENT) -> None:
    await store.add_notifications([notification])
    stamp = "2026-11-20T03:00:00.000+00:00"
    await store.start_sending(
        [Progress(notification.id, status, channel, (), 1, "a-" + notification.id, None)],
        [
            DeliveryAttempt(
                "a-" + notification.id,
                notification.id,
                channel,
                "recording",
                status,
                stamp,
                stamp,
                address="+84*******78" if channel == "sms" else str(CHAT),
                text=text,
            )
        ],
    )


async def one_person_twice(store) -> Twice:
    applicant = (await store.upsert_dossier(dossier("H12-0001", phone=PHONE))).dossier.applicant_id
    await store.record_status_change(change("e-1", S.RECEIVED, "H12-0001", minutes=5))
    await store.record_status_change(change("e-2", S.IN_PROGRESS, "H12-0001", minutes=60))
    other = (await store.upsert_dossier(dossier("H12-0002", phone="+84900000002", name="Trần Thị Bình"))).dossier
    sms = await store.add_inbound(
        InboundRecord(
            Channel.SMS, PHONE, "TRACUU H12-0001 5678", "sms-1", citizen_id=applicant, dossier_code="H12-0001"
        ),
        lambda _: [],
    )
    await store.add_outbound(sms.conversation_id, Channel.SMS, "Hồ sơ H12-0001: Đang xử lý.", [])
    chat, _ = await store.follow("H12-0002", Channel.TELEGRAM, CHAT, "telegram", consent(Channel.TELEGRAM))
    talk = await store.add_inbound(
        InboundRecord(Channel.TELEGRAM, str(CHAT), "Tôi muốn gặp cán bộ", "tg-1", citizen_id=chat), lambda _: []
    )
    await store.escalate(talk.conversation_id, "request_human")
    await sent(
        store,
        Notification("n-app", applicant, "dossier_received", "ev-1", "t", {}, dossier_code="H12-0001"),
        "sms",
        "Hồ sơ H12-0001 đã được tiếp nhận.",
    )
    await sent(
        store,
        Notification("n-chat", chat, "dossier_status", "ev-2", "t", {}, dossier_code="H12-0002"),
        "telegram",
        "Hồ sơ H12-0002: Đã tiếp nhận.",
        status=NS.DELIVERED,
    )
    await store.add_start_link("link-1", chat, "H12-0002", T0 + timedelta(days=30))
    return Twice(applicant, chat, sms.conversation_id, talk.conversation_id, other.applicant_id)
