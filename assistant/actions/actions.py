"""Custom actions of the Tổng đài assistant (rasa-sdk 3.6).

This package runs in Rasa's own Python 3.10 environment (`rasa run actions`),
not in the service: it imports only rasa_sdk, yaml and the standard library.

- validate_dossier_form: pulls a dossier code out of free text and checks the
  4 verification digits;
- action_check_dossier_status: asks the service's public look-up
  (GET {TONGDAI_URL}/api/v1/dossiers/{code}?verify=NNNN);
- action_answer_from_knowledge: answers factual questions from ../knowledge.yml;
- action_subscribe / action_unsubscribe / action_escalate.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

KNOWLEDGE_PATH = Path(__file__).resolve().parent.parent / "knowledge.yml"
DEFAULT_TONGDAI_URL = "http://127.0.0.1:8080"
LOOKUP_TIMEOUT_SECONDS = 10.0

# The dossier code formats of the one-stop-shop systems in use:
#   000.00.21.H12-241105-0012 (national portal), H12.22-240301-0456 (province),
#   BD-240915-0077 (legacy). A prefix of dot-separated groups, a 6-digit date,
#   a 3–6 digit sequence number.
DOSSIER_CODE = re.compile(
    r"(?<![A-Za-z0-9.\-])[A-Za-z0-9]{1,8}(?:\.[A-Za-z0-9]{1,8})*-\d{6}-\d{3,6}(?![A-Za-z0-9\-])")
DIGIT_RUN = re.compile(r"\d+")

# Intents that leave the dossier form half-way (data/rules.yml has a rule for
# each "giữa chừng tra cứu"): the form steps aside so that those rules apply.
LEAVE_FORM_INTENTS = ("request_human", "complaint", "goodbye")

# Procedures offered as buttons when a question needs one and none was named.
COMMON_PROCEDURES = ("khai_sinh", "ket_hon", "ly_lich_tu_phap", "cap_doi_cccd", "thuong_tru",
                     "dang_ky_kinh_doanh")

# Intents whose answer depends on the procedure.
PROCEDURE_INTENTS = {
    "ask_required_documents": "giấy tờ cần chuẩn bị",
    "ask_fee": "lệ phí",
    "ask_processing_time": "thời hạn giải quyết",
}

MSG_BAD_CODE = ("Mã hồ sơ chưa đúng định dạng. Ông/Bà vui lòng nhập lại mã in trên giấy tiếp nhận hồ sơ "
                "và hẹn trả kết quả, ví dụ: 000.00.21.H12-241105-0012, H12.22-240301-0456 hoặc BD-240915-0077.")
MSG_BAD_DIGITS = ("Vui lòng nhập đúng 4 chữ số: 4 số cuối của số điện thoại người nộp hồ sơ "
                  "(ví dụ: 5821).")
MSG_LOOKUP_DOWN = ("Xin lỗi, hệ thống tra cứu hồ sơ đang tạm gián đoạn. Ông/Bà vui lòng thử lại sau ít phút "
                   "hoặc nhắn \"gặp cán bộ\" để được hỗ trợ.")


# ---------------------------------------------------------------- helpers


def find_dossier_code(text: str | None) -> str | None:
    """The first dossier code in `text`, upper-cased (codes are printed in
    capitals; citizens often type them in lower case)."""
    if not text:
        return None
    match = DOSSIER_CODE.search(text.strip())
    return match.group(0).upper() if match else None


def find_verify_digits(text: str | None) -> str | None:
    """Exactly 4 digits: the only run of digits in `text` (once any dossier
    code is taken out) must be 4 long. A full phone number is refused."""
    if not text:
        return None
    runs = DIGIT_RUN.findall(DOSSIER_CODE.sub(" ", str(text)))
    if len(runs) == 1 and len(runs[0]) == 4:
        return runs[0]
    return None


def _fold(text: str) -> str:
    """Lower case, no diacritics, words joined by '_' (khai sinh -> khai_sinh)."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_knowledge_cache: dict[str, Any] = {"mtime": None, "data": {}}


def load_knowledge(path: Path = KNOWLEDGE_PATH) -> dict:
    """knowledge.yml, re-read when the file changes (operators edit it live)."""
    mtime = path.stat().st_mtime
    if _knowledge_cache["mtime"] != mtime:
        with open(path, encoding="utf-8") as f:
            _knowledge_cache["data"] = yaml.safe_load(f) or {}
        _knowledge_cache["mtime"] = mtime
    return _knowledge_cache["data"]


def resolve_procedure(value: Any, procedures: dict) -> str | None:
    """The knowledge.yml key for a `procedure` slot value: the key itself (the
    NLU synonyms map to keys), or a key/name written another way."""
    if not value:
        return None
    if isinstance(value, list):  # several mentions: the last one wins
        value = value[-1] if value else None
        if not value:
            return None
    value = str(value)
    if value in procedures:
        return value
    folded = _fold(value)
    for key, info in procedures.items():
        if folded in (_fold(key), _fold(str(info.get("name", "")))):
            return key
    return None


def _bullets(items: list) -> str:
    return "\n".join(f"- {item}" for item in items)


def answer_for(intent: str | None, procedure: str | None, knowledge: dict) -> str | None:
    """The answer text for `intent`, or None when it needs a procedure that
    was not given."""
    center = knowledge.get("center", {})
    procedures = knowledge.get("procedures", {})
    info = procedures.get(procedure) if procedure else None
    name = info.get("name", procedure) if info else None

    if intent == "ask_office_hours":
        hours = knowledge.get("office_hours", {})
        parts = [hours.get("text", ""), hours.get("lunch_break_note", "")]
        return " ".join(p.strip() for p in parts if p)

    if intent == "ask_required_documents":
        if not info:
            return None
        return f"Hồ sơ thủ tục {name} gồm:\n{_bullets(info.get('required_documents', []))}"

    if intent == "ask_fee":
        if not info:
            return None
        return f"Lệ phí thủ tục {name}: {info.get('fee', 'chưa có thông tin')}"

    if intent == "ask_processing_time":
        if not info:
            return None
        return f"Thời hạn giải quyết thủ tục {name}: {info.get('processing_time', 'chưa có thông tin')}"

    if intent == "ask_location":
        if info and info.get("where"):
            return f"Nơi nộp hồ sơ thủ tục {name}: {info['where']}"
        lines = [f"- {loc['name']}: {loc['address']}. {loc.get('note', '')}".rstrip()
                 for loc in knowledge.get("locations", [])]
        return "Ông/Bà có thể nộp hồ sơ tại:\n" + "\n".join(lines)

    if intent == "ask_online_submission":
        online = knowledge.get("online", {})
        if info:
            verdict = "có thể nộp trực tuyến" if info.get("online") else "chưa nộp trực tuyến toàn trình được"
            note = info.get("online_note", "")
            return (f"Thủ tục {name} {verdict}. {note} "
                    f"Cổng dịch vụ công: {online.get('portal_url', center.get('portal_url', ''))}").strip()
        return online.get("text", "").strip() or online.get("login", "")

    if intent == "ask_result_delivery":
        delivery = knowledge.get("result_delivery", {})
        lines = [f"- {opt['text']}" for opt in delivery.get("options", [])]
        notes = [delivery.get(k) for k in ("proxy_note", "lost_receipt_note") if delivery.get(k)]
        return "Ông/Bà có thể nhận kết quả:\n" + "\n".join(lines) + ("\n" + "\n".join(notes) if notes else "")

    # Any other intent: how to reach the centre.
    return (f"{center.get('name', 'Trung tâm Phục vụ hành chính công')}: {center.get('address', '')}. "
            f"Đường dây nóng: {center.get('hotline', '')}.")


def _fetch_json(url: str) -> tuple[int, dict]:
    """(status, body) of a GET; HTTP errors are answers too (404, 422, 429)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "tongdai-assistant-actions"})
    try:
        with urllib.request.urlopen(request, timeout=LOOKUP_TIMEOUT_SECONDS) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read().decode("utf-8"))
        except (ValueError, OSError):
            body = {}
        return exc.code, body if isinstance(body, dict) else {}


def lookup_message(base_url: str, code: str, verify: str) -> str:
    """What to tell the citizen about dossier `code`."""
    url = (f"{base_url.rstrip('/')}/api/v1/dossiers/{urllib.parse.quote(code, safe='')}"
           f"?verify={urllib.parse.quote(verify, safe='')}")
    try:
        status, body = _fetch_json(url)
    except (OSError, ValueError):  # refused, timed out, not JSON
        return MSG_LOOKUP_DOWN
    if status == 200:
        text = (f"Hồ sơ {body.get('code', code)} ({body.get('procedure', '')}): "
                f"{body.get('display_status') or body.get('status_label', '')}.")
        if body.get("due_at_display"):
            text += f" Hẹn trả kết quả: {body['due_at_display']}."
        return text
    if 400 <= status < 500 and body.get("message"):
        return str(body["message"])
    return MSG_LOOKUP_DOWN


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

    def validate_dossier_code(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        # The whole reply (from_text) or an entity that may be cut short: look
        # in the message itself first.
        code = find_dossier_code(tracker.latest_message.get("text")) or find_dossier_code(
            slot_value if isinstance(slot_value, str) else None)
        if code:
            return {"dossier_code": code}
        dispatcher.utter_message(text=MSG_BAD_CODE)
        return {"dossier_code": None}

    def validate_verify_digits(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
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
            base_url = os.environ.get("TONGDAI_URL", DEFAULT_TONGDAI_URL)
            loop = asyncio.get_running_loop()
            text = await loop.run_in_executor(None, lookup_message, base_url, str(code), str(verify))
            dispatcher.utter_message(text=text)
        # Never keep the verification digits around: the next look-up asks again.
        return [SlotSet("dossier_code", None), SlotSet("verify_digits", None)]


class ActionAnswerFromKnowledge(Action):
    def name(self) -> str:
        return "action_answer_from_knowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        knowledge = load_knowledge()
        procedures = knowledge.get("procedures", {})
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # An entity in this very message outranks the remembered slot.
        mentioned = [e.get("value") for e in tracker.latest_message.get("entities", [])
                     if e.get("entity") == "procedure"]
        procedure = resolve_procedure(mentioned[-1] if mentioned else None, procedures) or resolve_procedure(
            tracker.get_slot("procedure"), procedures)
        answer = answer_for(intent, procedure, knowledge)
        events: list = []
        if procedure and procedure != tracker.get_slot("procedure"):
            events.append(SlotSet("procedure", procedure))
        if answer is None:
            topic = PROCEDURE_INTENTS.get(intent, "thông tin")
            buttons = [{"title": procedures[key].get("name", key),
                        "payload": "/" + intent + json.dumps({"procedure": key}, ensure_ascii=False)}
                       for key in COMMON_PROCEDURES if key in procedures]
            dispatcher.utter_message(
                text=f"Ông/Bà muốn hỏi {topic} của thủ tục nào ạ? Chọn một thủ tục dưới đây hoặc nhắn tên "
                     f"thủ tục (ví dụ: \"lệ phí khai sinh\").",
                buttons=buttons)
            return events
        if knowledge.get("sample_data"):
            answer += "\n(Thông tin mẫu, chỉ mang tính minh họa.)"
        dispatcher.utter_message(text=answer)
        return events


class ActionSubscribe(Action):
    def name(self) -> str:
        return "action_subscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        # The assistant does not know which channel the citizen writes from:
        # the channel handles the THEODOI command itself.
        dispatcher.utter_message(
            text="Để nhận thông báo về hồ sơ, Ông/Bà nhắn theo cú pháp: THEODOI <mã hồ sơ> <4 số cuối điện "
                 "thoại người nộp>, ví dụ: THEODOI BD-240915-0077 6688.")
        return []


class ActionUnsubscribe(Action):
    def name(self) -> str:
        return "action_unsubscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        dispatcher.utter_message(
            text="Để dừng nhận thông báo tự động, Ông/Bà nhắn một từ: HUY (hoặc HỦY) trên chính kênh này.")
        return []


class ActionEscalate(Action):
    def name(self) -> str:
        return "action_escalate"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        dispatcher.utter_message(response="utter_handoff")
        # A look-up left half-way for an officer starts afresh next time.
        return [SlotSet("dossier_code", None), SlotSet("verify_digits", None)]
