"""The assistant as the inbox uses it, whatever the engine: one turn of a
conversation, and the decision to hand it to a person — the same rule for
the built-in engine and for Rasa, so that switching engines changes answers,
not when a citizen reaches an agent."""

from __future__ import annotations

import time as _time
from collections import OrderedDict
from datetime import datetime, timedelta
from datetime import time as clock_time

from assistant.port import FALLBACK_INTENT, Engine
from hub.store.port import ConversationStore
from models.messages import Reply
from models.timeutil import VN_TZ

ESCALATING_INTENTS = {"request_human": "request_human", "complaint": "complaint"}
NOT_UNDERSTOOD_IN_A_ROW = 2
OPENS, CLOSES = clock_time(7, 30), clock_time(17, 0)
WEEKDAYS = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]


def _working_day(day, holidays) -> bool:
    return day.weekday() < 5 and not (holidays is not None and holidays.is_holiday(day))


def when_answered(now: datetime, holidays=None) -> str:
    """Roughly when a person will answer, in the citizen's words."""
    local = now.astimezone(VN_TZ)
    if _working_day(local.date(), holidays) and OPENS <= local.time() < CLOSES:
        return "trong khoảng 30 phút"
    day = local.date() if local.time() < OPENS else local.date() + timedelta(days=1)
    while not _working_day(day, holidays):
        day += timedelta(days=1)
    when = (
        "sáng nay"
        if day == local.date()
        else ("sáng mai" if day == local.date() + timedelta(days=1) else f"sáng {WEEKDAYS[day.weekday()]}")
    )
    return f"từ 7 giờ 30 {when} ({day.day:02d}/{day.month:02d}), khi bộ phận hỗ trợ bắt đầu làm việc"


def handoff_text(now: datetime, holidays=None, *, already: bool = False) -> str:
    if already:
        return (
            "Yêu cầu của Ông/Bà đã được chuyển tới cán bộ; cán bộ sẽ trả lời trên kênh này "
            f"{when_answered(now, holidays)}. Xin Ông/Bà vui lòng chờ."
        )
    return (
        "Tôi đã chuyển cuộc trò chuyện tới cán bộ hỗ trợ. Cán bộ sẽ trả lời Ông/Bà ngay trên kênh này "
        f"{when_answered(now, holidays)}."
    )


class Assistant:
    def __init__(
        self, engine: Engine, store: ConversationStore, *, holidays=None, clock=_time.time, max_conversations=100_000
    ):
        self.engine = engine
        self.store = store
        self.holidays = holidays
        self.clock = clock
        self._not_understood: OrderedDict[str, int] = OrderedDict()
        self._max = max_conversations

    @property
    def ready(self) -> bool:
        return self.engine.ready  # the built-in engine trains in the background at start

    async def converse(self, conversation_id: str, text: str, *, asker: str | None = None) -> list[Reply]:
        """`asker`: the lookup guard's key for whoever writes (an address, a
        verified sender), passed to the engine for any dossier look-up."""
        parse = await self.engine.parse(text)
        reason = ESCALATING_INTENTS.get(parse.intent)
        # An answer to a form's question ("BD-261015-0077", "1222") is not a
        # failure to understand, whatever the classifier makes of it.
        if parse.intent == FALLBACK_INTENT and await self.engine.in_form(conversation_id):
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
            return await self.engine.turn(conversation_id, text, asker=asker)
        self._not_understood.pop(conversation_id, None)
        event = await self.store.escalate(conversation_id, reason)
        now = datetime.fromtimestamp(self.clock(), VN_TZ)
        return [Reply(handoff_text(now, self.holidays, already=event is None))]

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
                answers.append(await self.engine.turn(conversation_id, question, asker=asker))
            else:
                answers.append(None)
                reason = reason or missed
        if reason is None:
            return answers, None
        event = await self.store.escalate(conversation_id, reason)
        now = datetime.fromtimestamp(self.clock(), VN_TZ)
        return answers, handoff_text(now, self.holidays, already=event is None)
