"""Custom actions of the Tổng đài assistant (rasa-sdk 3.6).

This package runs in Rasa's own Python 3.10 environment (`rasa run actions`),
not in the service: it imports only rasa_sdk, the standard library,
../knowledge.py (stdlib + PyYAML), which the built-in engine answers from too,
so both engines say the same thing, and ../../models/dossier_code.py (stdlib),
so both find the same dossier codes as the keyword commands and the API.

- validate_dossier_form: pulls a dossier code out of free text and checks the
  4 verification digits;
- action_check_dossier_status: hands the look-up back to the service as a
  custom message {"lookup": {"code", "digits"}}: the service's RasaEngine
  answers it in-process, behind the brute-force guard keyed on the citizen
  (asked over HTTP from here, every citizen would share this server's address);
- action_answer_from_knowledge: answers factual questions from ../knowledge.yml;
- action_subscribe / action_unsubscribe / action_escalate.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

ASSISTANT_DIR = Path(__file__).resolve().parent.parent
KNOWLEDGE_PATH = ASSISTANT_DIR / "knowledge.yml"

DOSSIER_CODE_PATH = ASSISTANT_DIR.parent / "models" / "dossier_code.py"
DIGIT_RUN = re.compile(r"[0-9]+")

# Intents that leave the dossier form half-way (data/rules.yml has a rule for
# each "giữa chừng tra cứu"): the form steps aside so that those rules apply.
LEAVE_FORM_INTENTS = ("request_human", "complaint", "goodbye")

MSG_BAD_CODE = (
    "Mã hồ sơ chưa đúng định dạng. Ông/Bà vui lòng nhập lại mã in trên giấy tiếp nhận hồ sơ "
    "và hẹn trả kết quả, ví dụ: 000.00.21.H12-241105-0012, H12.22-240301-0456 hoặc BD-240915-0077."
)
MSG_BAD_DIGITS = "Vui lòng nhập đúng 4 chữ số: 4 số cuối của số điện thoại người nộp hồ sơ (ví dụ: 5821)."


# ---------------------------------------------------------------- helpers


def _load_module(name: str, path: Path):
    # By path: the action server runs from assistant/ without the service's
    # package on sys.path, and assistant/rasa/ must not shadow Rasa itself.
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


knowledge_module = _load_module("tongdai_knowledge", ASSISTANT_DIR / "knowledge.py")
dossier_code = _load_module("tongdai_dossier_code", DOSSIER_CODE_PATH)


def find_dossier_code(text: str | None) -> str | None:
    """The first dossier code in `text`, normalised as printed on the receipt."""
    return dossier_code.find_code(str(text)) if text else None


def find_verify_digits(text: str | None) -> str | None:
    """Exactly 4 digits: the only run of digits in `text` (once any dossier
    code is taken out) must be 4 long. A full phone number is refused."""
    if not text:
        return None
    runs = DIGIT_RUN.findall(dossier_code.without_codes(str(text)))
    if len(runs) == 1 and len(runs[0]) == 4:
        return runs[0]
    return None


_knowledge_cache: dict = {"mtime": None, "knowledge": None}


def load_knowledge(path: Path = KNOWLEDGE_PATH):
    """knowledge.yml as a Knowledge, re-read when the file changes (operators edit it live)."""
    mtime = path.stat().st_mtime
    if _knowledge_cache["mtime"] != mtime:
        _knowledge_cache["knowledge"] = knowledge_module.Knowledge.load(path)
        _knowledge_cache["mtime"] = mtime
    return _knowledge_cache["knowledge"]


def centre_contact(knowledge) -> str:
    """For a question the knowledge file has no answer to: how to reach the centre."""
    center = knowledge.center
    hotline = f" Đường dây nóng: {knowledge.hotline}." if knowledge.hotline else ""
    return f"{center.get('name', 'Trung tâm Phục vụ hành chính công')}: {center.get('address', '')}.{hotline}"


def _user_events(tracker: Tracker) -> list[dict]:
    return [e for e in tracker.events if isinstance(e, dict) and e.get("event") == "user"]


def org_of(tracker: Tracker) -> dict:
    """The organisation's hotline and website: the service's settings, which
    RasaEngine sends as each message's metadata (this server reads no
    setting of its own, so the two never differ)."""
    users = _user_events(tracker)
    metadata = (users[-1].get("metadata") if users else None) or {}
    org = metadata.get("org") if isinstance(metadata, dict) else None
    return {str(k): str(v) for k, v in org.items() if isinstance(v, str)} if isinstance(org, dict) else {}


def previous_intent(tracker: Tracker) -> str | None:
    """The intent of the citizen's message before this one."""
    users = _user_events(tracker)
    if len(users) < 2:
        return None
    return ((users[-2].get("parse_data") or {}).get("intent") or {}).get("name")


# ---------------------------------------------------------------- actions


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        # The form takes any reply as the requested slot (from_text), so by
        # itself it would answer "gặp cán bộ" with "the code is wrong". A reply
        # that asks for an officer or says goodbye, and holds no code nor
        # digits, rejects the form's turn: Rasa's rules for leaving it apply.
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text")
        if intent in LEAVE_FORM_INTENTS and not find_dossier_code(text) and not find_verify_digits(text):
            return [ActionExecutionRejected((tracker.active_loop or {}).get("name") or "dossier_form")]
        return await super().run(dispatcher, tracker, domain)

    def validate_dossier_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The whole reply (from_text) or an entity that may be cut short: look
        # in the message itself first.
        code = find_dossier_code(tracker.latest_message.get("text")) or find_dossier_code(
            slot_value if isinstance(slot_value, str) else None
        )
        if code:
            return {"dossier_code": code}
        dispatcher.utter_message(text=MSG_BAD_CODE)
        return {"dossier_code": None}

    def validate_verify_digits(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = tracker.latest_message.get("text")
        digits = find_verify_digits(text)
        if tracker.get_slot("requested_slot") != "verify_digits":
            # Filled from an entity while asking something else, e.g. the
            # "0077" inside "BD-240915-0077": keep it only if it stands apart
            # from the code in the message.
            if digits and str(slot_value) == digits:
                return {"verify_digits": digits}
            return {"verify_digits": None}
        if digits:
            return {"verify_digits": digits}
        dispatcher.utter_message(text=MSG_BAD_DIGITS)
        return {"verify_digits": None}


class ActionCheckDossierStatus(Action):
    def name(self) -> str:
        return "action_check_dossier_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        code = tracker.get_slot("dossier_code")
        verify = tracker.get_slot("verify_digits")
        if not code or not verify:
            dispatcher.utter_message(response="utter_ask_dossier_code")
        else:
            # The service looks it up (assistant/rasa_engine.py), keyed on the citizen.
            dispatcher.utter_message(json_message={"lookup": {"code": str(code), "digits": str(verify)}})
        # Never keep the verification digits around: the next look-up asks again.
        return [SlotSet("dossier_code", None), SlotSet("verify_digits", None)]


class ActionAnswerFromKnowledge(Action):
    def name(self) -> str:
        return "action_answer_from_knowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        knowledge = load_knowledge().with_org(org_of(tracker))
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # An entity in this very message outranks the remembered slot, which
        # only a follow-up that needs a procedure inherits (knowledge.py).
        mentioned = [
            e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == "procedure"
        ]
        procedure = knowledge.procedure_for(
            intent,
            named=mentioned[-1] if mentioned else None,
            text=tracker.latest_message.get("text"),
            remembered=tracker.get_slot("procedure"),
            previous_intent=previous_intent(tracker),
        )
        events: list = []
        if procedure and procedure != tracker.get_slot("procedure"):
            events.append(SlotSet("procedure", procedure))
        answer = knowledge.answer(intent, procedure)
        if answer is None and knowledge.needs_procedure(intent):
            topic = knowledge_module.TOPICS.get(intent, "thông tin")
            buttons = [
                {"title": name, "payload": knowledge_module.procedure_payload(intent, key)}
                for key, name in knowledge.button_procedures()
            ]
            dispatcher.utter_message(
                text=f"Ông/Bà muốn hỏi {topic} của thủ tục nào ạ? Chọn một thủ tục dưới đây hoặc nhắn tên "
                f'thủ tục (ví dụ: "lệ phí khai sinh").',
                buttons=buttons,
            )
            return events
        dispatcher.utter_message(text=answer or centre_contact(knowledge))
        return events


class ActionSubscribe(Action):
    def name(self) -> str:
        return "action_subscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        # The assistant does not know which channel the citizen writes from:
        # the channel handles the THEODOI command itself.
        dispatcher.utter_message(
            text="Để nhận thông báo về hồ sơ, Ông/Bà nhắn theo cú pháp: THEODOI <mã hồ sơ> <4 số cuối điện "
            "thoại người nộp>, ví dụ: THEODOI BD-240915-0077 6688."
        )
        return []


class ActionUnsubscribe(Action):
    def name(self) -> str:
        return "action_unsubscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        dispatcher.utter_message(
            text="Để dừng nhận thông báo tự động, Ông/Bà nhắn một từ: HUY (hoặc HỦY) trên chính kênh này."
        )
        return []


class ActionEscalate(Action):
    def name(self) -> str:
        return "action_escalate"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        dispatcher.utter_message(response="utter_handoff")
        # A look-up left half-way for an officer starts afresh next time.
        return [SlotSet("dossier_code", None), SlotSet("verify_digits", None)]
