"""Facts the assistant answers from: assistant/knowledge.yml (office hours,
places, online submission, result delivery, and per procedure the documents,
fee, processing time and where to submit).

Operators edit knowledge.yml only; the built-in engine (assistant/dialogue.py)
and, later, Rasa's action server read it through this module. It therefore
imports nothing but the standard library and PyYAML and runs on Python 3.10.

Loading is synchronous: call `Knowledge.load()` off the event loop.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent / "knowledge.yml"

# Intents answered from knowledge, and what each asks about (in the question
# "Ông/Bà muốn hỏi <topic> của thủ tục nào?").
TOPICS = {
    "ask_office_hours": "giờ làm việc",
    "ask_required_documents": "giấy tờ cần chuẩn bị",
    "ask_fee": "lệ phí",
    "ask_processing_time": "thời hạn giải quyết",
    "ask_location": "nơi nộp hồ sơ",
    "ask_online_submission": "cách nộp trực tuyến",
    "ask_result_delivery": "cách nhận kết quả",
    "ask_contact": "đường dây nóng",
}
# Of those, the ones that cannot be answered without knowing the procedure.
NEEDS_PROCEDURE = frozenset({"ask_required_documents", "ask_fee", "ask_processing_time"})

# Procedures offered as buttons when a question needs one (knowledge.yml may
# list its own under `button_procedures`).
DEFAULT_BUTTON_PROCEDURES = (
    "khai_sinh",
    "ket_hon",
    "ly_lich_tu_phap",
    "cap_doi_cccd",
    "thuong_tru",
    "dang_ky_kinh_doanh",
)

SAMPLE_NOTE = "(Thông tin mẫu, chỉ mang tính minh họa.)"


def fold(text: str) -> str:
    """Lower case, without diacritics, words separated by one space:
    "Khai Sinh", "khai_sinh" and "khai sinh" all fold to "khai sinh"."""
    text = unicodedata.normalize("NFD", str(text).lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def procedure_payload(intent: str, procedure: str) -> str:
    """Rasa's payload syntax for a button: /ask_fee{"procedure":"khai_sinh"}."""
    return "/" + intent + json.dumps({"procedure": procedure}, ensure_ascii=False, separators=(",", ":"))


def _bullets(items) -> str:
    return "\n".join(f"- {item}" for item in items)


def _synonyms(nlu_path: Path) -> dict[str, list[str]]:
    """The `synonym:` blocks of a Rasa NLU file: canonical value -> spellings."""
    with open(nlu_path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    found: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "synonym" in block:
            lines = str(block.get("examples") or "").splitlines()
            found.setdefault(str(block["synonym"]), []).extend(
                line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")
            )
    return found


class Knowledge:
    """Answers from a parsed knowledge.yml (a dict), and the organisation's
    hotline and website (`org`: the service's settings, the same the notices
    print; knowledge.yml does not repeat them)."""

    def __init__(
        self, data: dict[str, Any], aliases: dict[str, list[str]] | None = None, org: dict[str, str] | None = None
    ):
        if not isinstance(data, dict):
            raise TypeError("knowledge: the file must hold a mapping")
        procedures = data.get("procedures") or {}
        if not isinstance(procedures, dict):
            raise TypeError("knowledge: `procedures` must map a key to its facts")
        for key, info in procedures.items():
            if not isinstance(info, dict) or not info.get("name"):
                raise ValueError(f"knowledge: procedure {key!r} needs at least a `name`")
        self.data = data
        self.org = dict(org or {})
        self._given_aliases = aliases
        self._procedures: dict[str, dict] = {str(k): v for k, v in procedures.items()}
        # folded spelling -> key: the key, the name, and the NLU synonyms.
        self._aliases: dict[str, str] = {}
        for key, info in self._procedures.items():
            for spelling in [key, info["name"], *info.get("aliases", []), *(aliases or {}).get(key, [])]:
                folded = fold(spelling)
                if folded:
                    self._aliases.setdefault(folded, key)

    @classmethod
    def load(
        cls, path: str | Path | None = None, *, nlu_path: str | Path | None = None, org: dict[str, str] | None = None
    ) -> Knowledge:
        """Read knowledge.yml (default: next to this module). Procedure
        spellings are also taken from the NLU synonyms (default:
        data/nlu.yml beside the knowledge file, when it exists), so a citizen
        answering "sổ hồng" to "which procedure?" is understood."""
        path = Path(path) if path is not None else DEFAULT_PATH
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        nlu = Path(nlu_path) if nlu_path is not None else path.parent / "data" / "nlu.yml"
        aliases = _synonyms(nlu) if nlu.is_file() else {}
        return cls(data, aliases, org)

    def with_org(self, org: dict[str, str] | None) -> Knowledge:
        """The same facts with the given organisation's hotline and website."""
        return self if (org or {}) == self.org else Knowledge(self.data, self._given_aliases, org)

    # ---------------------------------------------------------------- lookup

    @property
    def sample_data(self) -> bool:
        return bool(self.data.get("sample_data"))

    @property
    def center(self) -> dict:
        return self.data.get("center") or {}

    @property
    def hotline(self) -> str:
        return str(self.org.get("hotline") or "").strip()

    @property
    def website(self) -> str:
        return str(self.org.get("website") or "").strip()

    def procedures(self) -> list[tuple[str, str]]:
        """(key, display name) of every procedure, in file order."""
        return [(key, info.get("short_name") or info["name"]) for key, info in self._procedures.items()]

    def button_procedures(self) -> list[tuple[str, str]]:
        """(key, display name) of the procedures offered as buttons."""
        keys = self.data.get("button_procedures") or DEFAULT_BUTTON_PROCEDURES
        names = dict(self.procedures())
        return [(key, names[key]) for key in keys if key in names]

    def name(self, procedure: str) -> str | None:
        info = self._procedures.get(procedure)
        return info["name"] if info else None

    def resolve(self, value: Any) -> str | None:
        """The procedure key for an entity or slot value: the key itself or
        a name/synonym written in any case, with or without diacritics. A
        list (several mentions) resolves its last item."""
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else None
        if value is None or value == "":
            return None
        value = str(value)
        if value in self._procedures:
            return value
        return self._aliases.get(fold(value))

    def find(self, text: str | None) -> str | None:
        """The procedure named anywhere in free text ("còn kết hôn thì sao"):
        the longest known spelling found as whole words."""
        if not text:
            return None
        padded = f" {fold(text)} "
        best = None
        for alias, key in self._aliases.items():
            if f" {alias} " in padded and (best is None or len(alias) > len(best[0])):
                best = (alias, key)
        return best[1] if best else None

    def procedure_for(
        self, intent: str, *, named: Any, text: str | None, remembered: Any, previous_intent: str | None
    ) -> str | None:
        """The procedure a question is about, the same way for both engines:
        the one it names (an entity; else a known spelling in the text: an
        unknown name is no procedure, never the remembered one); else, only
        for a question that cannot be answered without one ("bao lâu thì
        có?") right after another factual question, the remembered one. A
        question with a general answer ("địa chỉ trung tâm ở đâu"), or one
        after a different exchange (a greeting, a look-up), inherits nothing:
        a stale procedure would answer what was not asked."""
        if named:
            return self.resolve(named)
        found = None if not text or text.startswith("/") else self.find(text)
        if found:
            return found
        if self.needs_procedure(intent) and previous_intent in TOPICS:
            return self.resolve(remembered)
        return None

    @staticmethod
    def answers(intent: str) -> bool:
        """Whether `intent` is answered from knowledge."""
        return intent in TOPICS

    @staticmethod
    def needs_procedure(intent: str) -> bool:
        return intent in NEEDS_PROCEDURE

    # ---------------------------------------------------------------- answers

    def answer(self, intent: str, procedure: str | None) -> str | None:
        """The answer to `intent` (about `procedure`, a key or any spelling
        `resolve` understands), or None when there is none: an intent not
        answered from knowledge, or one that needs a procedure not given or
        unknown. On sample data the answer says so."""
        key = self.resolve(procedure)
        info = self._procedures.get(key) if key else None
        text = self._answer(intent, info)
        if text and self.sample_data:
            text += "\n" + SAMPLE_NOTE
        return text

    def _answer(self, intent: str, info: dict | None) -> str | None:
        name = info["name"] if info else None
        if intent == "ask_office_hours":
            hours = self.data.get("office_hours") or {}
            return " ".join(str(p).strip() for p in (hours.get("text"), hours.get("lunch_break_note")) if p) or None
        if intent == "ask_required_documents":
            if not info or not info.get("required_documents"):
                return None
            return f"Hồ sơ {name} gồm:\n{_bullets(info['required_documents'])}"
        if intent == "ask_fee":
            if not info or not info.get("fee"):
                return None
            return f"Lệ phí {name}: {info['fee']}"
        if intent == "ask_processing_time":
            if not info or not info.get("processing_time"):
                return None
            return f"Thời hạn giải quyết {name}: {info['processing_time']}"
        if intent == "ask_location":
            if info and info.get("where"):
                return f"Nơi nộp hồ sơ {name}: {info['where']}"
            lines = [
                f"- {loc['name']}: {loc['address']}. {loc.get('note') or ''}".rstrip()
                for loc in self.data.get("locations") or []
                if loc.get("name") and loc.get("address")
            ]
            return "Ông/Bà có thể nộp hồ sơ tại:\n" + "\n".join(lines) if lines else None
        if intent == "ask_online_submission":
            online = self.data.get("online") or {}
            if info:
                verdict = "có thể nộp trực tuyến" if info.get("online") else "chưa nộp trực tuyến toàn trình được"
                portal = self.website
                parts = [
                    f"Thủ tục {name} {verdict}.",
                    str(info.get("online_note") or "").strip(),
                    f"Cổng dịch vụ công: {portal}" if portal else "",
                ]
                return " ".join(p for p in parts if p)
            portal = f"Cổng dịch vụ công: {self.website}" if self.website else ""
            return " ".join(str(p).strip() for p in (online.get("text"), online.get("login"), portal) if p) or None
        if intent == "ask_contact":
            return self.contact()
        if intent == "ask_result_delivery":
            delivery = self.data.get("result_delivery") or {}
            lines = [f"- {option['text']}" for option in delivery.get("options") or [] if option.get("text")]
            notes = [str(delivery[k]) for k in ("proxy_note", "lost_receipt_note") if delivery.get(k)]
            if not lines:
                return None
            return "Ông/Bà có thể nhận kết quả:\n" + "\n".join(lines + notes)
        return None

    def contact(self) -> str | None:
        """How to reach the centre: the settings' hotline and website, the file's email and address."""
        center = self.center
        parts = [
            f"Đường dây nóng: {self.hotline}." if self.hotline else "",
            f"Cổng dịch vụ công: {self.website}" if self.website else "",
            f"Email: {center['email']}" if center.get("email") else "",
            f"Địa chỉ: {center.get('name') or ''}, {center['address']}." if center.get("address") else "",
        ]
        lines = [p for p in parts if p]
        return "Ông/Bà có thể liên hệ:\n" + "\n".join(f"- {line}" for line in lines) if lines else None
