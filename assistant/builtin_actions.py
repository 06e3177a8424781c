"""The built-in engine's custom actions: what each action of the Rasa project
does (assistant/actions/actions.py is the same for Rasa's action server).
assistant/dialogue.py decides when an action runs; this module says what it
does: look a dossier up, answer from knowledge.yml, explain THEODOI and HUY,
hand over to an officer.

Each action takes (state, parse, entities) and returns (replies, stop): stop
skips the rest of the rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from assistant.knowledge import TOPICS, Knowledge, procedure_payload
from assistant.port import Parse
from models.dossier_code import find_code
from models.messages import Button, Reply

if TYPE_CHECKING:
    from assistant.dialogue import Dialogue, _State

# (code, digits, asker): the asker is the brute-force guard's key (hub/lookup.py).
Lookup = Callable[[str, str, str | None], Awaitable[str]]
ActionResult = tuple[list[Reply], bool]


class BuiltinActions:
    def __init__(self, dialogue: Dialogue, knowledge: Knowledge, lookup: Lookup):
        """`lookup(code, digits, asker)` returns the text to answer a dossier look-up
        with (the status, or why there is none)."""
        self.dialogue = dialogue  # for the domain's responses and leaving the form
        self.knowledge = knowledge
        self.lookup = lookup

    def table(self) -> dict[str, Callable[..., Awaitable[ActionResult]]]:
        return {
            "action_check_dossier_status": self.check_dossier_status,
            "action_answer_from_knowledge": self.answer_from_knowledge,
            "action_subscribe": self.subscribe,
            "action_unsubscribe": self.unsubscribe,
            "action_escalate": self.escalate,
        }

    async def check_dossier_status(self, state: _State, parse: Parse, entities: dict[str, str]) -> ActionResult:
        code, digits = state.slots.pop("dossier_code", None), state.slots.pop("verify_digits", None)
        if not code or not digits:
            return [self.dialogue.utter("utter_ask_dossier_code", state)], False
        state.last_code = code
        return [Reply(await self.lookup(code, digits, state.asker))], False

    def named_procedure(self, parse: Parse, entities: dict[str, str]) -> str | None:
        named = entities.get("procedure")
        if named:
            return self.knowledge.resolve(named)
        return None if parse.text.startswith("/") else self.knowledge.find(parse.text)

    async def answer_from_knowledge(self, state: _State, parse: Parse, entities: dict[str, str]) -> ActionResult:
        named = entities.get("procedure")
        procedure = self.knowledge.procedure_for(
            parse.intent,
            named=named,
            text=parse.text,
            remembered=state.slots.get("procedure"),
            previous_intent=state.previous_intent,
        )
        return await self.run_answer(state, parse.intent, procedure, named), False

    async def run_answer(self, state: _State, intent: str, procedure: str | None, named: str | None) -> list[Reply]:
        state.intent = intent  # "khai sinh ạ" answering "which procedure?" was a fee question
        if procedure:
            state.slots["procedure"] = procedure
        answer = self.knowledge.answer(intent, procedure)
        if answer:
            return [Reply(answer)]
        topic = TOPICS.get(intent, "thông tin")
        if procedure is None and self.knowledge.needs_procedure(intent):
            state.pending_intent = intent
            unknown = f'Tôi chưa có thông tin về thủ tục "{named}". ' if named else ""
            buttons = tuple(
                Button(name, procedure_payload(intent, key)) for key, name in self.knowledge.button_procedures()
            )
            return [
                Reply(
                    f"{unknown}Ông/Bà muốn hỏi {topic} của thủ tục nào ạ? Chọn một thủ tục dưới đây hoặc "
                    f'nhắn tên thủ tục (ví dụ: "khai sinh").',
                    buttons,
                )
            ]
        about = f" của thủ tục {self.knowledge.name(procedure)}" if procedure else ""
        hotline = self.knowledge.hotline
        call = f"gọi đường dây nóng {hotline} hoặc " if hotline else ""
        return [
            Reply(
                f"Xin lỗi, tôi chưa có thông tin về {topic}{about}. Ông/Bà có thể {call}gặp cán bộ để được hỗ trợ.",
                (Button("Gặp cán bộ", "/request_human"),),
            )
        ]

    async def subscribe(self, state: _State, parse: Parse, entities: dict[str, str]) -> ActionResult:
        # The channel adapters handle the THEODOI keyword: the assistant only explains it.
        code = find_code(entities.get("dossier_code")) or find_code(parse.text) or state.last_code
        example = (
            f"với hồ sơ {code}: THEODOI {code} <4 số cuối điện thoại>" if code else "ví dụ: THEODOI BD-240915-0077 6688"
        )
        return [
            Reply(
                "Để nhận thông báo về hồ sơ, Ông/Bà nhắn theo cú pháp: THEODOI <mã hồ sơ> <4 số cuối điện "
                f"thoại người nộp>, {example}."
            )
        ], False

    async def unsubscribe(self, state: _State, parse: Parse, entities: dict[str, str]) -> ActionResult:
        # Nothing is withdrawn here (the channel's HUY keyword does it), so the
        # rule's confirmation that follows would not be true: stop the rule.
        return [Reply("Để dừng nhận thông báo tự động, Ông/Bà nhắn một từ: HUY (hoặc HỦY) trên chính kênh này.")], True

    async def escalate(self, state: _State, parse: Parse, entities: dict[str, str]) -> ActionResult:
        self.dialogue.leave_form(state)
        state.pending_intent = None
        return [self.dialogue.utter("utter_handoff", state)], False
