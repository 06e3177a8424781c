"""An engine that answers from a script instead of a model.

Tests use it to drive the assistant service (escalation, forms, fallbacks)
without training anything: each text maps to an intent, each intent or text
to its replies. A button payload ("/greet") names its intent, as in Rasa."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.port import FALLBACK_INTENT, Engine, Parse
from models.messages import Reply

DEFAULT_FALLBACK = "Xin lỗi, tôi chưa hiểu câu hỏi của Ông/Bà."


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _replies(answer: str | Reply | Sequence[str | Reply]) -> list[Reply]:
    items = [answer] if isinstance(answer, str | Reply) else list(answer)
    return [item if isinstance(item, Reply) else Reply(item) for item in items]


class ScriptedEngine(Engine):
    name = "scripted"

    def __init__(
        self,
        replies: Mapping[str, str | Reply | Sequence[str | Reply]] | None = None,
        *,
        intents: Mapping[str, str] | None = None,
        fallback: str | Reply = DEFAULT_FALLBACK,
        forms: Mapping[str, str] | None = None,
    ):
        """`intents`: text -> intent (compared ignoring case and spacing).
        `replies`: an intent or a text -> what to answer; a text wins.
        `forms`: intent -> the form it opens; the next turn of that sender,
        whatever it says, closes the form (in_form is True until then)."""
        self._intents = {_normal(k): v for k, v in (intents or {}).items()}
        self._replies = {_normal(k): _replies(v) for k, v in (replies or {}).items()}
        self._fallback = _replies(fallback)
        self._forms = dict(forms or {})
        self.active_forms: dict[str, str] = {}
        self.turns: list[tuple[str, str]] = []  # (sender, text), in order
        self.askers: list[str | None] = []  # the asker of each turn
        self.started = self.closed = 0

    async def parse(self, text: str) -> Parse:
        if text.startswith("/") and len(text) > 1:
            return Parse(text, text[1:].split("{", 1)[0], 1.0)
        intent = self._intents.get(_normal(text))
        return Parse(text, intent, 1.0) if intent else Parse(text, FALLBACK_INTENT, 0.0)

    async def turn(self, sender: str, text: str, *, asker: str | None = None) -> list[Reply]:
        self.turns.append((sender, text))
        self.askers.append(asker)
        if self.active_forms.pop(sender, None) is not None:
            return list(self._replies.get(_normal(text), self._fallback))
        parse = await self.parse(text)
        if parse.intent in self._forms:
            self.active_forms[sender] = self._forms[parse.intent]
        found = self._replies.get(_normal(text)) or self._replies.get(_normal(parse.intent))
        return list(found if found is not None else self._fallback)

    async def in_form(self, sender: str) -> bool:
        return sender in self.active_forms

    async def start(self) -> None:
        self.started += 1

    async def close(self) -> None:
        self.closed += 1
