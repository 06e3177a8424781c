"""An agent's reply to a citizen (issue 12, "Reply on the citizen's channel").

The reply is a notification of purpose `agent_reply` (models.notifications.
REPLIES): it goes out through notify's sender and the same channel adapters
as every notice, with their retries, receipts and `tongdai outbox tail`, but
only to the address the conversation is with, on its channel, and an email
reply names the citizen's last letter (In-Reply-To), so that it threads.
The message stored in the conversation carries the notification's id, which
is how the console shows its delivery status (the store's
`message_delivery_changed` writes a `message.status` feed row each time the
sender or a receipt moves it).

A web chat or a kiosk cannot push anything (their ChannelSpec does not
notify): the reply is stored for the page, and when the conversation's
citizen left a contact of a kind a visitor leaves (ChannelSpec.away_contact:
SMS, email) it goes there too, and the stored message says so, unless the
web chat's page is open (a `WebPresence` says so): its socket shows it live."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from channels.email_mime import bare_subject
from channels.registry import REGISTRY, Channels
from hub.api.body import REFUSED_CHARACTERS
from hub.store.port import Agent, CitizenStore, ConversationStore, NotificationStore, QueueStore
from models.citizen import Channel, Citizen
from models.events import new_id
from models.notifications import AGENT_REPLY, CITIZEN_REQUEST, DeliveryStatus, Notification
from models.smstext import count
from models.timeutil import utcnow

MAX_REPLY = 2000  # characters: a long letter, still within what an SMS provider concatenates
# hub.api.body.text's rule: no control characters but line feed and tab.
_REFUSED = re.compile(f"[{REFUSED_CHARACTERS}]")
AWAY_NOTE = "Đã gửi qua {label} vì Ông/Bà đã rời trang."
NO_PUSH = "no_push_channel"
LIVE = "live"


class ReplyStore(ConversationStore, CitizenStore, NotificationStore, QueueStore, Protocol):
    """The conversation and its citizen, the notification, the stored message."""


def reply_text(text: object) -> str:
    """The agent's text as it will be sent, or ValueError with a Vietnamese message
    (the rules of hub.api.body.text: trimmed, no control characters, not empty, not too long)."""
    if not isinstance(text, str):
        raise ValueError("Nội dung trả lời phải là chuỗi ký tự.")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    if _REFUSED.search(text):
        raise ValueError("Nội dung trả lời chứa ký tự điều khiển không được phép (chỉ giữ xuống dòng và tab).")
    if not text:
        raise ValueError("Nội dung trả lời không được để trống.")
    if len(text) > MAX_REPLY:
        raise ValueError(f"Nội dung trả lời dài quá {MAX_REPLY} ký tự.")
    return text


def sms_preview(text: str) -> dict:
    """What the text costs as an SMS, counted as the sender will send it: NFC,
    on one line (notify.rendering renders an SMS so)."""
    sent = " ".join(unicodedata.normalize("NFC", text or "").split())
    found = count(sent)
    return {
        "encoding": found.encoding,
        "segments": found.segments,
        "characters": found.characters,
        "per_segment": found.per_segment,
    }


class WebPresence(Protocol):
    def connected(self, address: str) -> bool:
        """A page of this web session has its live socket open now."""


class Replies:
    def __init__(
        self,
        store: ReplyStore,
        channels: Channels,
        clock: Callable[[], datetime] = utcnow,
        web_presence: WebPresence | None = None,
    ):
        self.store = store
        self.channels = channels
        self.clock = clock
        self.web_presence = web_presence

    sms_preview = staticmethod(sms_preview)

    async def send(self, conversation_id: str, agent: Agent, text: str) -> dict:
        """Queue the reply and store it in the conversation; the message as the
        console shows it, with its `delivery` ({"status", "reason", "channel"}).
        ValueError for a text that cannot be sent, LookupError for an unknown
        conversation."""
        text = reply_text(text)
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None:
            raise LookupError("Không tìm thấy cuộc trò chuyện.")
        channel = Channel(conversation["channel"])
        spec = REGISTRY[channel]
        if spec.notifies:
            _fits(channel, text)
            # A followable channel's inbox links every sender to a citizen; an older
            # conversation that lacks one gets the nameless contact the inbox would make.
            citizen_id = conversation["citizen_id"] or await self.store.ensure_contact(
                channel, spec.stored(conversation["address"])
            )
            target, address, left, stored = channel, conversation["address"], "", text
        elif self.web_presence is not None and self.web_presence.connected(conversation["address"]):
            # The page is open: its socket shows the reply now; an SMS as well would say it twice.
            message = await self._store(conversation_id, agent, text, None)
            return {**message, "delivery": {"status": "delivered", "reason": LIVE, "channel": channel.value}}
        else:
            away = await self._away_contact(conversation["citizen_id"])
            if away is None:
                message = await self._store(conversation_id, agent, text, None)
                return {**message, "delivery": {"status": "stored", "reason": NO_PUSH, "channel": channel.value}}
            citizen_id, target, address = away
            left = spec.label
            stored = f"{text}\n\n({AWAY_NOTE.format(label=REGISTRY[target].label)})"
            _fits(target, text)
        same = target is channel
        notification = Notification(
            id=new_id(),
            citizen_id=citizen_id,
            purpose=AGENT_REPLY,
            source_event_id=f"reply:{conversation_id}:{new_id()}",
            template=AGENT_REPLY,
            context={
                "text": text,
                "subject": bare_subject(conversation["subject"] or "") if same else "",
                "left": left,
                "conversation_id": conversation_id,
                "reply_to": {
                    "channel": target.value,
                    "address": str(address),
                    "in_reply_to": _last_inbound(conversation) if same and spec.threads_by_reference else None,
                },
            },
            urgent=True,  # it answers someone waiting: quiet hours are for news nobody asked for
            next_at=0.0,  # due at once, whatever clock the sender keeps
            legal_basis=CITIZEN_REQUEST,
        )
        # The notification first, so that a stored message never names a missing one.
        await self.store.add_notifications([notification])
        message = await self._store(conversation_id, agent, stored, notification.id)
        return await self._with_delivery(message, notification.id, target)

    async def _store(self, conversation_id: str, agent: Agent, text: str, notification_id: str | None) -> dict:
        return await self.store.add_agent_message(
            conversation_id,
            author=agent.id,
            kind="message",
            text=text,
            now=self.clock(),
            notification_id=notification_id,
        )

    async def _with_delivery(self, message: dict, notification_id: str, target: Channel) -> dict:
        found = await self.store.get_notifications([notification_id])
        if not found:  # just added: never
            return message
        n = found[0]
        if n.status is not DeliveryStatus.QUEUED:
            # The sender moved it before the message was stored, so its feed row
            # found no message to name: the consoles hear of it now.
            await self.store.message_delivery_changed([notification_id])
        return {
            **message,
            "delivery": {"status": n.status.value, "reason": n.reason, "channel": n.channel or target.value},
        }

    async def _away_contact(self, citizen_id: str | None) -> tuple[str, Channel, str] | None:
        """(citizen, channel, address) where a visitor who left the page gets the
        answer: the first contact they left of a kind that can carry it, in
        their order of preference, never on a channel they withdrew from."""
        if citizen_id is None:
            return None
        citizen = await self.store.get_citizen(citizen_id)
        if citizen is None:
            return None
        for channel in _away_order(citizen):
            address = self.channels.address(channel, citizen)
            if address is not None and not citizen.withdrew(channel):
                return citizen.id, channel, address
        return None


def _fits(channel: Channel, text: str) -> None:
    limit = REGISTRY[channel].max_text
    if limit is not None and len(text) > limit:
        label = REGISTRY[channel].label
        raise ValueError(f"{label[0].upper()}{label[1:]} dài tối đa {limit} ký tự: xin viết ngắn lại.")


def _away_order(citizen: Citizen) -> list[Channel]:
    kinds = [c for c, s in REGISTRY.items() if s.away_contact and s.notifies]
    preferred = [c for c in citizen.preferred_channels if c in kinds]
    return preferred + [c for c in kinds if c not in preferred]


def _last_inbound(conversation: dict) -> str | None:
    """The provider id of the citizen's latest message (an email's Message-ID)."""
    for message in reversed(conversation["messages"]):
        if message["direction"] == "in" and message.get("provider_message_id"):
            return str(message["provider_message_id"])
    return None
