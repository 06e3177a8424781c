"""The assistant as the inbox uses it, whatever the engine: one turn of a
conversation, and the decision to hand it to a person — the same rule for
the built-in engine and for Rasa, so that switching engines changes answers,
not when a citizen reaches an agent."""

from __future__ import annotations

import json
import math
import time as _time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from datetime import time as clock_time

from assistant.port import FALLBACK_INTENT, Engine
from hub.store.port import ConversationStore
from models.dossier_code import find_code
from models.messages import Button, Reply
from models.timeutil import VN_TZ

STATUS_INTENT = "check_dossier_status"
# (code, procedure, status line) of each dossier the conversation owns by an
# explicit link, asked for only when the citizen asks about "my dossier".
OwnDossiers = Callable[[], Awaitable[list[tuple[str, str, str]]]]

ESCALATING_INTENTS = {"request_human": "request_human", "complaint": "complaint"}
NOT_UNDERSTOOD_IN_A_ROW = 2
OPENS, CLOSES = clock_time(7, 30), clock_time(17, 0)
WEEKDAYS = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]


def _working_day(day, holidays) -> bool:
    return day.weekday() < 5 and not (holidays is not None and holidays.is_holiday(day))


# How long until a person answers this conversation, from the queue as it
# stands (contact_center/waiting.py, handed in by the composition root).
WaitEstimate = Callable[[str, datetime], Awaitable[timedelta]]


def in_minutes(wait: timedelta) -> str:
    """'khoảng 10 phút', 'khoảng 1 giờ 15 phút': rounded up to 5 minutes, so
    that the citizen is not promised sooner than the estimate."""
    minutes = max(5, math.ceil(wait.total_seconds() / 300) * 5)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"khoảng {minutes} phút"
    return f"khoảng {hours} giờ" + (f" {minutes} phút" if minutes else "")


def when_answered(now: datetime, holidays=None, wait: timedelta | None = None) -> str:
    """Roughly when a person will answer, in the citizen's words: within
    `wait` (the queue's estimate) when that ends before closing time, else
    when the help desk next opens. Without an estimate, the fixed 30 minutes."""
    local = now.astimezone(VN_TZ)
    open_now = _working_day(local.date(), holidays) and OPENS <= local.time() < CLOSES
    if open_now and wait is None:
        return "trong khoảng 30 phút"
    if open_now and wait is not None and (local + wait).time() <= CLOSES and (local + wait).date() == local.date():
        return f"trong {in_minutes(wait)}"
    day = local.date() if local.time() < OPENS else local.date() + timedelta(days=1)
    while not _working_day(day, holidays):
        day += timedelta(days=1)
    when = (
        "sáng nay"
        if day == local.date()
        else ("sáng mai" if day == local.date() + timedelta(days=1) else f"sáng {WEEKDAYS[day.weekday()]}")
    )
    return f"từ 7 giờ 30 {when} ({day.day:02d}/{day.month:02d}), khi bộ phận hỗ trợ bắt đầu làm việc"


def handoff_text(now: datetime, holidays=None, *, already: bool = False, wait: timedelta | None = None) -> str:
    if already:
        return (
            "Yêu cầu của Ông/Bà đã được chuyển tới cán bộ; cán bộ sẽ trả lời trên kênh này "
            f"{when_answered(now, holidays, wait)}. Xin Ông/Bà vui lòng chờ."
        )
    return (
        "Tôi đã chuyển cuộc trò chuyện tới cán bộ hỗ trợ. Cán bộ sẽ trả lời Ông/Bà ngay trên kênh này "
        f"{when_answered(now, holidays, wait)}."
    )


class Assistant:
    def __init__(
        self,
        engine: Engine,
        store: ConversationStore,
        *,
        holidays=None,
        clock=_time.time,
        max_conversations=100_000,
        on_turn: Callable[[str, str], None] = lambda intent, outcome: None,
        wait: WaitEstimate | None = None,
    ):
        """`on_turn(intent, outcome)` is told of every turn (answered, fallback,
        escalated): the service counts them for /metrics. `wait` estimates
        when a person answers from the queue; without it, a fixed 30 minutes."""
        self.engine = engine
        self.wait = wait
        self.on_turn = on_turn
        self.store = store
        self.holidays = holidays
        self.clock = clock
        self._not_understood: OrderedDict[str, int] = OrderedDict()
        self._max = max_conversations

    @property
    def ready(self) -> bool:
        return self.engine.ready  # the built-in engine trains in the background at start

    async def converse(
        self, conversation_id: str, text: str, *, asker: str | None = None, own: OwnDossiers | None = None
    ) -> list[Reply]:
        """`asker`: the lookup guard's key for whoever writes (an address, a
        verified sender), passed to the engine for any dossier look-up.
        `own`: the dossiers this conversation owns (a chat linked by a
        receipt's deep link): "hồ sơ của tôi đến đâu rồi" is answered from
        them, whichever the engine, instead of asking for a code."""
        parse = await self.engine.parse(text)
        if own is not None and parse.intent in (STATUS_INTENT, FALLBACK_INTENT):
            answered = await self._from_own(parse, own)
            if answered is not None:
                self._not_understood.pop(conversation_id, None)
                self.on_turn(STATUS_INTENT, "answered")
                return answered
        reason = ESCALATING_INTENTS.get(parse.intent)
        # An answer to a form's question ("BD-261015-0077", "1222") is not a
        # failure to understand, whatever the classifier makes of it.
        if parse.intent == FALLBACK_INTENT and await self.engine.in_form(conversation_id):
            self.on_turn("form_answer", "answered")
            return await self.engine.turn(conversation_id, text, asker=asker)
        if parse.intent == FALLBACK_INTENT:
            misses = self._not_understood.pop(conversation_id, 0) + 1
            self._not_understood[conversation_id] = misses
            while len(self._not_understood) > self._max:
                self._not_understood.popitem(last=False)
            if misses >= NOT_UNDERSTOOD_IN_A_ROW:
                reason = "not_understood"
        else:
            self._not_understood.pop(conversation_id, None)
        if reason is None:
            self.on_turn(parse.intent, "fallback" if parse.intent == FALLBACK_INTENT else "answered")
            return await self.engine.turn(conversation_id, text, asker=asker)
        self.on_turn(parse.intent, "escalated")
        self._not_understood.pop(conversation_id, None)
        event = await self.store.escalate(conversation_id, reason)
        return [Reply(await self._handoff(conversation_id, already=event is None))]

    async def _handoff(self, conversation_id: str, *, already: bool) -> str:
        now = datetime.fromtimestamp(self.clock(), VN_TZ)
        wait = await self.wait(conversation_id, now) if self.wait is not None else None
        return handoff_text(now, self.holidays, already=already, wait=wait)

    async def _from_own(self, parse, own: OwnDossiers) -> list[Reply] | None:
        """The status of the conversation's own dossier it asks about, or which
        one when it owns several; None to let the engine answer (it owns none,
        or names a code it does not own: that one needs the digits)."""
        named = next((e.value for e in parse.entities if e.entity == "dossier_code"), None)
        code = find_code(named or "") or find_code(parse.text)
        if parse.intent == FALLBACK_INTENT and code is None:
            return None  # not understood, and no code: not a question about a dossier
        dossiers = await own()
        if code is not None:
            status = next((line for owned, _, line in dossiers if owned == code), None)
            return [Reply(status)] if status is not None else None
        if not dossiers:
            return None
        if len(dossiers) == 1:
            return [Reply(dossiers[0][2])]
        listed = "\n".join(f"- {owned} ({procedure})" for owned, procedure, _ in dossiers)
        buttons = tuple(Button(owned, status_payload(owned)) for owned, _, _ in dossiers)
        return [Reply(f"Ông/Bà có {len(dossiers)} hồ sơ:\n{listed}\nÔng/Bà muốn xem hồ sơ nào ạ?", buttons)]

    async def answer_each(
        self, conversation_id: str, questions: list[str], *, asker: str | None = None
    ) -> tuple[list[list[Reply] | None], str | None]:
        """Several questions from one letter (an email): each one's replies,
        or None for a question the engine cannot answer (not understood,
        or one asking for a person: a complaint); those hand the conversation
        to a person once, and the second value is what to tell the citizen
        about it (None when every question was answered). A letter cannot be
        rephrased at once as a chat line can: one miss is enough."""
        answers: list[list[Reply] | None] = []
        reason = None
        for question in questions:
            parse = await self.engine.parse(question)
            missed = "not_understood" if parse.intent == FALLBACK_INTENT else ESCALATING_INTENTS.get(parse.intent)
            if missed is None:
                self.on_turn(parse.intent, "answered")
                answers.append(await self.engine.turn(conversation_id, question, asker=asker))
            else:
                self.on_turn(parse.intent, "escalated")
                answers.append(None)
                reason = reason or missed
        if reason is None:
            return answers, None
        event = await self.store.escalate(conversation_id, reason)
        return answers, await self._handoff(conversation_id, already=event is None)


def status_payload(code: str) -> str:
    """A button asking for one dossier's status, in Rasa's payload syntax (both engines parse it)."""
    return "/" + STATUS_INTENT + json.dumps({"dossier_code": code}, separators=(",", ":"))
