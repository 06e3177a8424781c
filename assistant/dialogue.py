"""The built-in engine's dialogue interpreter: what Rasa's RulePolicy and the
dossier form do, in plain Python, driven by the same domain.yml,
data/rules.yml and knowledge.yml as the Rasa project. What each custom action
does is in assistant/builtin_actions.py; this module decides when it runs.

    dialogue = Dialogue(Domain.load(), Knowledge.load(), lookup)
    replies = await dialogue.turn(sender, parse_payload(text) or await nlu.parse(text))

- Rules: the intent's rule in rules.yml runs its responses and actions; an
  intent without a rule gets the nlu_fallback rule (utter_default).
- The form (dossier_form): started by its rule, filled from entities and,
  for the requested slot, from the citizen's raw reply (a dossier code is
  pulled out of the text, the verification digits must be exactly 4); a bad
  reply is answered with what is wrong. A clear other intent (confidence at
  least `switch_confidence`), "thôi"/goodbye or an escalation leaves it.
  With every slot filled, the rule that follows the form runs
  (action_check_dossier_status: `lookup(code, digits, asker)`), and the slots are
  cleared.
- action_answer_from_knowledge answers from knowledge.yml; a question that
  needs a procedure and names none is answered with a question and buttons
  whose payloads use Rasa's syntax (/ask_fee{"procedure":"khai_sinh"}).
- Escalation (request_human, complaint: the intents whose rule runs
  action_escalate) is DECIDED by the caller's wrapper: `escalates(parse)`
  says whether a parse asks for it; `turn` itself only leaves any form and
  answers utter_handoff's text, so the wrapper may either use those replies
  or call `reset(sender)` and answer on its own. Repeated low confidence is
  not counted here either.

State is per sender, in memory: slots, active form, requested slot, last
activity. It expires after the domain's session_expiration_time, and at
most `max_senders` senders are remembered (least recently active dropped).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.builtin_actions import BuiltinActions, Lookup
from assistant.domain import Domain, Rule, Variant
from assistant.knowledge import Knowledge, fold
from assistant.port import FALLBACK_INTENT, Entity, Parse
from models.dossier_code import find_code, without_codes
from models.messages import Button, Reply

log = logging.getLogger(__name__)

_DIGIT_RUN = re.compile(r"[0-9]+")
# Rasa's payload syntax: /intent, /intent{"entity": "value"}, /intent@0.9{...}
_PAYLOAD = re.compile(r"^/([A-Za-z_][\w\-]*)(?:@(\d*\.?\d+))?\s*(\{.*\})?\s*$", re.DOTALL)

# Replies the domain does not define. A response of the same name in
# domain.yml takes precedence, so operators can reword them there.
MESSAGES = {
    "utter_invalid_dossier_code": (
        "Mã hồ sơ chưa đúng định dạng. Ông/Bà vui lòng nhập lại mã in trên giấy tiếp nhận hồ sơ và hẹn trả kết "
        "quả, ví dụ: 000.00.21.H12-241105-0012, H12.22-240301-0456 hoặc BD-240915-0077."
    ),
    "utter_invalid_verify_digits": (
        "Vui lòng nhập đúng 4 chữ số: 4 số cuối của số điện thoại người nộp hồ sơ (ví dụ: 5821)."
    ),
    "utter_form_cancelled": "Đã dừng tra cứu hồ sơ. Ông/Bà cần hỗ trợ gì thêm cứ nhắn cho tôi.",
}
# "Thôi" and the like, unaccented: leaves the form without an intent.
CANCEL_WORDS = frozenset(
    {
        "thoi",
        "thoi a",
        "thoi nhe",
        "thoi khong tra nua",
        "khong tra nua",
        "khong tra cuu nua",
        "thoi khong can",
        "khong can nua",
        "thoi khong can nua",
        "huy tra cuu",
        "dung tra cuu",
        "thoat",
        "bo qua",
        "cancel",
        "exit",
    }
)


def find_dossier_code(text: str | None) -> str | None:
    """The first dossier code in `text`, normalised as printed (models/dossier_code.py)."""
    return find_code(str(text)) if text else None


def digit_runs(text: str | None) -> list[str]:
    """The runs of digits in `text` outside any dossier code (full-width digits as ASCII)."""
    return _DIGIT_RUN.findall(without_codes(str(text or "")))


def parse_payload(text: str, intents=None) -> Parse | None:
    """A button payload in Rasa's syntax as a Parse (confidence 1, or the one
    after '@'): "/ask_fee{\"procedure\":\"khai_sinh\"}". None when `text` is
    not one, or names an intent outside `intents` (when given). Call it before
    NLU: a payload needs no classification."""
    match = _PAYLOAD.match(text.strip()) if text else None
    if not match:
        return None
    intent, confidence, body = match.group(1), match.group(2), match.group(3)
    if intents is not None and intent not in intents and intent != FALLBACK_INTENT:
        return None
    entities: list[Entity] = []
    if body:
        try:
            values = json.loads(body)
        except ValueError:
            return None
        if not isinstance(values, dict):
            return None
        start = text.index("{")
        for name, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                if item is None or isinstance(item, (dict, list)):
                    continue
                entities.append(Entity(str(name), str(item), start, len(text)))
    return Parse(
        text=text,
        intent=intent,
        confidence=min(float(confidence), 1.0) if confidence else 1.0,
        entities=tuple(entities),
    )


@dataclass(slots=True)
class _State:
    last: float
    slots: dict[str, str] = field(default_factory=dict)
    form: str | None = None
    requested: str | None = None
    pending_intent: str | None = None  # a knowledge question waiting for its procedure
    last_code: str | None = None  # the last dossier looked up, for the THEODOI hint
    asker: str | None = None  # this turn's lookup guard key (never kept from an earlier turn)
    intent: str | None = None  # this turn's
    previous_intent: str | None = None  # the turn before's: whether a remembered procedure is still the topic


class Dialogue:
    def __init__(
        self,
        domain: Domain,
        knowledge: Knowledge,
        lookup: Lookup,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        max_senders: int = 100_000,
        switch_confidence: float = 0.6,
    ):
        """`lookup(code, digits, asker)` returns the text to answer a dossier
        look-up with (the status, or why there is none). `rng` picks among response
        variants; `switch_confidence` is how sure the NLU must be of another
        intent to leave an active form."""
        self.domain = domain
        self.knowledge = knowledge
        self.actions = BuiltinActions(self, knowledge, lookup)
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - varies the wording of replies, not a secret
        self.max_senders = max_senders
        self.switch_confidence = switch_confidence
        self.escalation_intents = domain.intents_running("action_escalate")
        self._states: OrderedDict[str, _State] = OrderedDict()
        self._actions = self.actions.table()
        # Forms started by an intent's rule (check_dossier_status -> dossier_form).
        self._form_intents = {
            rule.intent: form
            for rule in domain.rules
            if rule.active_loop is None
            for form in rule.actions
            if form in domain.forms
        }
        for rule in domain.rules:
            for action in rule.actions:
                if not self._runnable(action):
                    log.warning("rule %r runs %s, which the built-in engine does not implement", rule.name, action)

    # ---------------------------------------------------------------- public

    def parse_payload(self, text: str) -> Parse | None:
        """`parse_payload` restricted to the domain's intents."""
        return parse_payload(text, self.domain.intents)

    def escalates(self, parse: Parse) -> bool:
        """Whether this parse asks for an officer (its rule runs action_escalate)."""
        if parse.text.startswith("/"):
            parse = self.parse_payload(parse.text) or parse
        return parse.intent in self.escalation_intents

    def reset(self, sender: str) -> None:
        """Forget the sender's conversation (form, slots)."""
        self._states.pop(sender, None)

    def active_form(self, sender: str) -> str | None:
        state = self._states.get(sender)
        return state.form if state is not None and not self._expired(state, self.clock()) else None

    async def turn(self, sender: str, parse: Parse, *, asker: str | None = None) -> list[Reply]:
        """One turn: the replies to `parse` from `sender`. A payload text
        ("/intent{...}") is taken as such, whatever the NLU made of it.
        `asker` is the lookup guard's key for a look-up in this turn."""
        if parse.text.startswith("/"):
            parse = self.parse_payload(parse.text) or parse
        state = self._state(sender)
        state.asker = asker
        state.previous_intent, state.intent = state.intent, parse.intent
        entities = _entity_values(parse)
        if state.form is not None:
            replies = await self._in_form(state, parse, entities)
            if replies is not None:
                return replies
        return await self._no_form(state, parse, entities)

    # ---------------------------------------------------------------- state

    def _expired(self, state: _State, now: float) -> bool:
        minutes = self.domain.session_expiration_minutes
        return minutes > 0 and now - state.last > minutes * 60

    def _state(self, sender: str) -> _State:
        now = self.clock()
        state = self._states.get(sender)
        if state is None or self._expired(state, now):
            carried = dict(state.slots) if state is not None and self.domain.carry_over_slots else {}
            state = _State(last=now, slots=carried)
            self._states[sender] = state
        state.last = now
        self._states.move_to_end(sender)
        while len(self._states) > self.max_senders:
            self._states.popitem(last=False)
        return state

    def leave_form(self, state: _State) -> None:
        """Deactivate the form and forget what it collected."""
        if state.form is not None:
            for slot in self.domain.forms.get(state.form, ()):
                state.slots.pop(slot, None)
        state.form = state.requested = None

    # ---------------------------------------------------------------- replies

    def utter(self, name: str, state: _State) -> Reply:
        variants = self.domain.responses.get(name)
        if variants:
            return self._render(self.rng.choice(variants), state)
        if name in MESSAGES:
            return Reply(MESSAGES[name])
        if name != "utter_default" and "utter_default" in self.domain.responses:
            return self.utter("utter_default", state)
        return Reply("Xin lỗi, tôi chưa hiểu rõ ý Ông/Bà.")

    def _render(self, variant: Variant, state: _State) -> Reply:
        def fill(text: str) -> str:  # Rasa's {slot} placeholders
            return re.sub(r"\{(\w+)\}", lambda m: state.slots.get(m.group(1), m.group(0)), text)

        return Reply(fill(variant.text), tuple(Button(fill(t), p) for t, p in variant.buttons))

    def _runnable(self, action: str) -> bool:
        return (
            action in self.domain.responses
            or action in self.domain.forms
            or action in self._actions
            or action in MESSAGES
            or action == "action_deactivate_loop"
        )

    async def _run(self, state: _State, actions, parse: Parse, entities: dict[str, str]) -> list[Reply]:
        replies: list[Reply] = []
        for action in actions:
            if action == "action_deactivate_loop":
                self.leave_form(state)
            elif action in self.domain.forms:
                replies += await self._start_form(state, action, parse, entities)
            elif action in self._actions:
                said, stop = await self._actions[action](state, parse, entities)
                replies += said
                if stop:
                    break
            elif action in self.domain.responses or action in MESSAGES:
                replies.append(self.utter(action, state))
            else:
                log.warning("skipping %s: not implemented by the built-in engine", action)
        return replies

    # ---------------------------------------------------------------- turns

    def _clear(self, parse: Parse) -> bool:
        return parse.intent != FALLBACK_INTENT and parse.confidence >= self.switch_confidence

    async def _no_form(self, state: _State, parse: Parse, entities: dict[str, str]) -> list[Reply]:
        pending, state.pending_intent = state.pending_intent, None
        if pending is not None and parse.intent not in self.escalation_intents:
            procedure = self.actions.named_procedure(parse, entities)
            # "khai sinh" in answer to "which procedure?": unless the citizen
            # clearly asked another factual question about it.
            own_question = self._clear(parse) and self.knowledge.answers(parse.intent) and parse.intent != pending
            if (
                procedure
                and not own_question
                and (not self._clear(parse) or parse.intent == pending or _short_reply(parse.text))
            ):
                return await self.actions.run_answer(state, pending, procedure, None)
        rule: Rule | None = self.domain.rule_for(parse.intent) or self.domain.rule_for(FALLBACK_INTENT)
        replies = await self._run(state, rule.actions if rule else (), parse, entities)
        return replies or [self.utter("utter_default", state)]

    async def _in_form(self, state: _State, parse: Parse, entities: dict[str, str]) -> list[Reply] | None:
        """The turn while a form is active; None when the form was left and
        the turn is to be handled as if there were none."""
        form = state.form
        if form is None:  # the caller checks there is one
            return None
        if fold(parse.text) in CANCEL_WORDS:
            self.leave_form(state)
            return [self.utter("utter_form_cancelled", state)]
        clear = self._clear(parse)
        if clear:
            rule = self.domain.rule_for(parse.intent, form)  # e.g. goodbye or request_human mid-form
            if rule is not None:
                return await self._run(state, rule.actions, parse, entities) or [self.utter("utter_default", state)]
            if parse.intent in self.escalation_intents:
                self.leave_form(state)
                return None
        other = clear and self._form_intents.get(parse.intent) != form
        values, error = self._extract(state, form, parse, entities, strict=other)
        if other and not values:
            self.leave_form(state)  # a different question: answer it instead
            return None
        if clear and not other and not values and not parse.entities:
            error = None  # "tra cứu hồ sơ" again: ask again, no reproach
        state.slots.update(values)
        return await self._continue_form(state, form, parse, entities, error)

    async def _start_form(self, state: _State, form: str, parse: Parse, entities: dict[str, str]) -> list[Reply]:
        self.leave_form(state)
        for slot in self.domain.forms[form]:
            state.slots.pop(slot, None)
        state.form = form
        values, error = self._extract(state, form, parse, entities, strict=False)
        state.slots.update(values)
        return await self._continue_form(state, form, parse, entities, error)

    async def _continue_form(
        self, state: _State, form: str, parse: Parse, entities: dict[str, str], error: str | None
    ) -> list[Reply]:
        missing = [slot for slot in self.domain.forms[form] if not state.slots.get(slot)]
        if missing:
            state.requested = missing[0]
            if error == missing[0]:
                return [self._invalid(error, parse.text, state)]
            return [self.utter(f"utter_ask_{missing[0]}", state)]
        state.form = state.requested = None
        return await self._run(state, self.domain.after_form(form), parse, entities)

    def _extract(
        self, state: _State, form: str, parse: Parse, entities: dict[str, str], strict: bool
    ) -> tuple[dict[str, str], str | None]:
        """Slot values this message gives the form (validated), and the
        requested slot if the message tried to fill it but was refused.
        `strict`: the message looks like another question, so only entities
        and an unmistakable dossier code count."""
        requested = state.requested
        values: dict[str, str] = {}
        error = None
        for slot in self.domain.forms[form]:
            candidate, from_text = None, False
            for mapping in self.domain.slots.get(slot, ()):
                if mapping.type == "from_entity" and mapping.entity in entities:
                    candidate = entities[mapping.entity]
                    break
                if (
                    mapping.type == "from_text"
                    and requested == slot
                    and mapping.active_loop in (None, form)
                    and mapping.requested_slot in (None, slot)
                    and not (strict and slot == "verify_digits")
                ):
                    candidate, from_text = parse.text, True
                    break
            if candidate is None:
                continue
            value = self._validate(slot, candidate, parse.text, asked=requested == slot)
            if value:
                values[slot] = value
            elif slot == requested and not (from_text and strict):
                error = slot
        # A code and the digits typed together when only the code was asked for.
        if (
            requested == "dossier_code"
            and "dossier_code" in values
            and "verify_digits" not in values
            and "verify_digits" in self.domain.forms[form]
        ):
            runs = digit_runs(parse.text)
            if len(runs) == 1 and len(runs[0]) == 4:
                values["verify_digits"] = runs[0]
        return values, error

    def _invalid(self, slot: str, text: str, state: _State) -> Reply:
        """What is wrong with the reply to the requested `slot`."""
        name = f"utter_invalid_{slot}"
        if slot == "verify_digits" and name not in self.domain.responses:
            runs = digit_runs(text)
            if len(runs) == 1:
                said = f"Ông/Bà vừa nhập {len(runs[0])} chữ số. "
            elif runs:
                said = "Ông/Bà vừa nhập nhiều dãy số. "
            else:
                said = "Tin nhắn chưa có chữ số nào. "
            return Reply(said + MESSAGES[name])
        return self.utter(name, state)

    @staticmethod
    def _validate(slot: str, value: str, text: str, asked: bool) -> str | None:
        if slot == "dossier_code":
            # The message itself first: an entity may be cut short.
            return find_dossier_code(text) or find_dossier_code(value)
        if slot == "verify_digits":
            runs = digit_runs(text)
            if asked:
                # Exactly 4 digits, the only number in the reply (a full phone number is refused).
                if len(runs) == 1 and len(runs[0]) == 4:
                    return runs[0]
                value = str(value).strip()
                return value if re.fullmatch(r"[0-9]{4}", value) and value == text.strip() else None
            # Not asked for: an entity that stands apart from the code (not the "0077" of BD-240915-0077).
            value = str(value).strip()
            return value if re.fullmatch(r"[0-9]{4}", value) and value in runs else None
        return str(value).strip() or None


def _entity_values(parse: Parse) -> dict[str, str]:
    """Entity name -> value; of several mentions, the last one."""
    return {entity.entity: entity.value for entity in parse.entities if entity.value}


def _short_reply(text: str) -> bool:
    """A reply that is little more than a procedure's name ("khai sinh ạ")."""
    return len(fold(text).split()) <= 4
