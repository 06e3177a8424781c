"""The inbox behind every channel adapter: stores what citizens write once,
links the sender to a citizen, answers keyword commands at once, and puts
everything else on the bus for whoever answers (the assistant, an agent).

A message and the bus event it causes commit together; a webhook retried by
the provider finds the message already there and is answered without effect."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from channels.deeplink import link_id
from channels.registry import REGISTRY
from contact_center import keywords
from contact_center.questions import excerpt, split_questions
from contact_center.status import NOT_FOUND, status_line
from hub.lookup import verified_lookup
from hub.store.port import CitizenStore, ConversationStore, DossierStore, InboundRecord
from models.citizen import Channel, ConsentRecord
from models.dossier_code import normalize_code, normalize_text
from models.errors import TongdaiError
from models.events import DeliveryReceiptReceived, InboundMessageReceived
from models.messages import Incoming, Reply
from models.notifications import DeliveryStatus
from models.timeutil import utcnow

log = logging.getLogger(__name__)

HELP = (
    "Tra cứu hồ sơ: TRACUU <mã hồ sơ> <4 số cuối điện thoại>. Nhận thông báo: THEODOI <mã hồ sơ> "
    "<4 số cuối điện thoại>. Dừng nhận thông báo: HUY."
)
LINK_TAKEN = (
    "Mã QR trên biên nhận này đã được dùng để nhận thông báo trên một tài khoản {label} khác, nên không liên kết "
    "thêm được. Nếu đó không phải Ông/Bà, vui lòng báo bộ phận một cửa nơi nộp hồ sơ. Ông/Bà vẫn có thể tra cứu: "
)
ACKNOWLEDGED = "Tổng đài đã nhận tin nhắn của Ông/Bà. Cán bộ sẽ trả lời trên kênh này trong giờ hành chính. " + HELP


class InboxStore(ConversationStore, CitizenStore, DossierStore, Protocol):
    """Messages go into conversations; keywords look dossiers up and follow them."""


class Inbox:
    def __init__(
        self,
        store: InboxStore,
        bus,
        guard,
        *,
        read_link: Callable[[str], tuple[str, str] | None] | None = None,
        assistant=None,
        clock=utcnow,
    ):
        self.store = store
        self.assistant = assistant  # answers free text; without one, a first message is acknowledged
        self.bus = bus
        self.guard = guard  # the public lookup's brute-force guard: guessing digits by SMS counts too
        self.read_link = read_link or (lambda token: None)
        self.clock = clock

    async def receive(self, message: Incoming) -> list[Reply]:
        command = self._keyword(message.text)
        citizen_id = await self._citizen(message, command)
        record = InboundRecord(
            channel=message.channel,
            address=message.address,
            text=message.text,
            provider_message_id=message.provider_message_id,
            citizen_id=citizen_id,
            dossier_code=await self._dossier_named(message, command),
            subject=message.subject,
            references=message.references,
            threads_by_reference=REGISTRY[message.channel].threads_by_reference,
        )

        def events_for(conversation_id: str) -> list:
            if command is not None:
                return []  # answered here; nobody else needs to
            return [
                InboundMessageReceived(
                    channel=message.channel.value,
                    sender=message.address,
                    text=message.text,
                    provider_message_id=message.provider_message_id,
                    conversation_id=conversation_id,
                    citizen_id=citizen_id,
                )
            ]

        stored = await self.store.add_inbound(record, events_for)
        if not stored.new_message:
            return []  # the provider retried a webhook we already handled
        if command is None:
            message, command = await self._chosen_option(stored.conversation_id, message)
        if command is not None:
            replies = await self._command(message, command, citizen_id)
        elif stored.queued:
            # A person has this conversation (or had it, and the message put it
            # back in their queue): the assistant answering beside them would
            # contradict them. The message reaches the console through the feed.
            replies = []
        elif self.assistant is not None and self.assistant.ready and len(questions := self._questions(message)) > 1:
            replies = await self._answer_each(stored.conversation_id, message, questions)
        elif self.assistant is not None and self.assistant.ready:
            try:
                replies = await self.assistant.converse(
                    stored.conversation_id, message.text, asker=asker(message), own=self._own_dossiers(message)
                )
            except TongdaiError as exc:
                # Rasa down, say: the message is stored and on the bus for a person;
                # the citizen hears that much rather than nothing.
                log.warning("assistant failed; acknowledging instead", extra={"error": type(exc).__name__})
                replies = [Reply(ACKNOWLEDGED)]
        elif stored.new_conversation:
            replies = [Reply(ACKNOWLEDGED)]
        else:
            replies = []
        for reply in replies:
            await self.store.add_outbound(
                stored.conversation_id,
                message.channel,
                reply.text,
                [{"title": b.title, "payload": b.payload} for b in reply.buttons],
            )
        return replies

    def _keyword(self, text: str) -> keywords.Command | None:
        command = keywords.parse(text)
        if (
            command is not None
            and command.name in ("lookup", "follow")
            and not (command.code and command.digits)
            and self.assistant is not None
            and self.assistant.ready
        ):
            return None  # "tra cứu hồ sơ" alone: the assistant asks for the code and digits, one at a time
        return command

    async def _chosen_option(self, conversation_id: str, message: Incoming) -> tuple[Incoming, keywords.Command | None]:
        """A bare "2" answering a reply whose buttons the channel showed as
        numbered options (SMS, email, the phone line) is that option: its
        payload from here on, for the keywords and the assistant alike. The
        stored message keeps what the citizen wrote."""
        number = option_number(message.text)
        if number is None:
            return message, None
        options = await self.store.offered_options(conversation_id)
        if not 1 <= number <= len(options):
            return message, None
        chosen = options[number - 1]
        text = chosen.get("payload") or chosen.get("title") or message.text
        return replace(message, text=text), self._keyword(text)

    @staticmethod
    def _questions(message: Incoming) -> list[str]:
        return split_questions(message.text) if REGISTRY[message.channel].letters else [message.text]

    async def _answer_each(self, conversation_id: str, message: Incoming, questions: list[str]) -> list[Reply]:
        """A letter asking several things gets one reply answering each in
        turn, and saying which went to a person (issue 11 item 13)."""
        try:
            answers, handoff = await self.assistant.answer_each(conversation_id, questions, asker=asker(message))
        except TongdaiError as exc:
            log.warning("assistant failed; acknowledging instead", extra={"error": type(exc).__name__})
            return [Reply(ACKNOWLEDGED)]
        return [Reply(letter_reply(questions, answers, handoff))]

    async def withdraw(self, channel: Channel, address: str, via: str) -> None:
        citizen_id = await self.store.ensure_contact(channel, _address(channel, address))
        await self.store.add_consent(
            citizen_id,
            ConsentRecord(channel=channel, granted=False, at=self.clock(), via=via, legal_basis="withdrawal"),
        )

    async def receipt(self, provider: str, provider_ref: str, status: DeliveryStatus, error: str | None = None) -> None:
        await self.bus.publish(
            DeliveryReceiptReceived(provider=provider, provider_ref=provider_ref, status=status.value, error=error)
        )

    # who and what

    async def _citizen(self, message: Incoming, command) -> str | None:
        if not REGISTRY[message.channel].followable:
            return None  # a web chat session or a kiosk: nobody to link until they say who they are
        token = message.link_token or (command.argument if command and command.name == "start" else None)
        address = _address(message.channel, message.address)
        if token:
            linked = await self._linked(token)
            if linked is not None:
                citizen_id, code = linked
                consent = ConsentRecord(
                    channel=message.channel,
                    granted=True,
                    at=self.clock(),
                    via="telegram_deeplink",
                    legal_basis="consent",
                )
                if await self.store.link_contact(
                    citizen_id, message.channel, address, consent, link=link_id(token), dossier_code=code
                ):
                    return citizen_id
                # A photographed receipt: the link already belongs to another chat.
                log.warning("deep link refused: bound to another chat", extra={"dossier": code})
        return await self.store.ensure_contact(message.channel, address)

    async def _linked(self, token: str) -> tuple[str, str] | None:
        """(citizen_id, dossier_code) a /start token stands for: a packed
        token signed with the key (receipts printed before issue 11 item 8),
        else a short link id the store recorded when the receipt was printed."""
        return self.read_link(token) or await self.store.start_link(link_id(token), self.clock())

    async def _dossier_named(self, message: Incoming, command) -> str | None:
        if command is not None and command.code:
            return normalize_code(command.code)  # the conversation is filed under the code as printed
        if message.link_token:
            linked = await self._linked(message.link_token)
            if linked is not None:
                return linked[1]
        code = keywords.find_code(message.subject, message.text)
        if code and await self.store.get_dossier(code) is not None:
            return code
        return None

    def _own_dossiers(self, message: Incoming):
        """What the assistant may tell this sender without a code: the dossiers
        of the applicant whose receipt's deep link the chat used. A phone
        that merely matches an applicant's is not enough (phones are shared in
        a family), so an SMS sender still gives code and digits. Read only
        when the citizen asks about "my dossier"."""
        if not REGISTRY[message.channel].followable:
            return None  # a web session or a kiosk: nobody is linked

        async def own() -> list[tuple[str, str, str]]:
            address = _address(message.channel, message.address)
            dossiers = await self.store.linked_dossiers(message.channel, address)
            now = self.clock()
            return [(dossier.code, dossier.procedure, status_line(dossier, now)) for dossier in dossiers]

        return own

    # commands

    async def _command(self, message: Incoming, command: keywords.Command, citizen_id: str | None) -> list[Reply]:
        if command.name == "stop":
            if not REGISTRY[message.channel].followable:
                return [Reply("Kênh này không gửi thông báo tự động; không có gì cần hủy.")]
            await self.withdraw(message.channel, message.address, via=f"{message.channel.value}_keyword")
            return [
                Reply(
                    f"Đã dừng gửi thông báo qua {REGISTRY[message.channel].label}. Để nhận lại, nhắn "
                    "THEODOI <mã hồ sơ> <4 số cuối điện thoại>."
                )
            ]
        if command.name == "start":
            token = message.link_token or command.argument
            linked = await self._linked(token) if token else None
            if linked is not None and linked[0] != citizen_id:
                return [Reply(LINK_TAKEN.format(label=REGISTRY[message.channel].label) + HELP)]
            if linked is not None:
                _, code = linked
                return [
                    Reply(
                        f"Đã liên kết {REGISTRY[message.channel].label} với hồ sơ {code}. Ông/Bà sẽ nhận "
                        "thông báo tại đây khi hồ sơ thay đổi trạng thái."
                    )
                ]
            if token:
                return [Reply("Liên kết đã hết hạn hoặc không hợp lệ. Ông/Bà vẫn có thể tra cứu: " + HELP)]
            return [Reply("Xin chào Ông/Bà! Đây là Tổng đài hỗ trợ thủ tục hành chính. " + HELP)]
        if not (command.code and command.digits):
            return [Reply("Chưa đủ thông tin. " + HELP)]
        found = await self._verified(message, command)
        if found is None:
            return [Reply(NOT_FOUND)]
        if command.name == "lookup":
            return [Reply(status_line(found.dossier, self.clock()))]
        if not REGISTRY[message.channel].followable:
            return [Reply("Kênh này không gửi được thông báo; Ông/Bà có thể theo dõi qua SMS, Telegram hoặc email.")]
        consent = ConsentRecord(
            channel=message.channel,
            granted=True,
            at=self.clock(),
            via=f"{message.channel.value}_keyword",
            legal_basis="consent",
        )
        await self.store.follow(
            found.dossier.code,
            message.channel,
            _address(message.channel, message.address),
            f"{message.channel.value}_keyword",
            consent,
        )
        return [
            Reply(
                f"Ông/Bà sẽ nhận thông báo qua {REGISTRY[message.channel].label} khi hồ sơ "
                f"{found.dossier.code} thay đổi trạng thái. Nhắn HUY để dừng."
            )
        ]

    async def _verified(self, message: Incoming, command: keywords.Command):
        if not (command.code and command.digits):  # the caller checked
            return None
        return await self._lookup(command.code, command.digits, asker(message))

    async def _lookup(self, code: str, digits: str, key: str | None = None):
        # verified_lookup asks for the whole Store; it uses only applicant_phone and lookup_dossier.
        outcome = await verified_lookup(self.store, self.guard, code, digits, key=key)  # type: ignore[arg-type]
        # Limited reads as not found: no hint for whoever is guessing.
        return outcome.found if outcome.ok else None


def asker(message: Incoming) -> str:
    """The lookup guard's key for whoever sent `message`: the entry point's
    (the client address of a web session), else the channel's verified sender."""
    if message.asker:
        return message.asker
    if REGISTRY[message.channel].web_session:
        # A session id is the client's own choice: it never buys a fresh allowance.
        return f"addr:{message.channel.value}:unverified"
    return f"addr:{message.channel.value}:{message.address}"


TO_A_PERSON = "Câu hỏi này đã được chuyển tới cán bộ hỗ trợ."


def letter_reply(questions: list[str], answers: list[list[Reply] | None], handoff: str | None) -> str:
    """One numbered section a question: the question quoted, then its answer
    or that a person will answer it. Choices an answer offers are written
    into it: numbered options would clash with the numbered questions."""
    sections = []
    for number, (question, replies) in enumerate(zip(questions, answers, strict=True), 1):
        if replies is None:
            body = TO_A_PERSON
        else:
            body = "\n".join(_inline(reply) for reply in replies if reply.text or reply.buttons)
        sections.append(f"{number}. Về câu hỏi “{excerpt(question)}”\n{body}")
    lead = f"Tổng đài xin trả lời lần lượt {len(questions)} câu hỏi của Ông/Bà:"
    return "\n\n".join([lead, *sections, *([handoff] if handoff else [])])


def _inline(reply: Reply) -> str:
    titles = [b.title for b in reply.buttons if b.title]
    return f"{reply.text} ({'; '.join(titles)})" if titles else reply.text


_OPTION = re.compile(r"\s*([0-9]{1,2})\s*[.)]?\s*")


def option_number(text: str) -> int | None:
    """The number of a reply that is only a number ("2", "2.", a full-width
    "２" from a Vietnamese keyboard), else None."""
    match = _OPTION.fullmatch(normalize_text(text))
    return int(match.group(1)) if match else None


def _address(channel: Channel, address: str):
    return REGISTRY[channel].stored(address)
