"""The assistant engine port: what any engine (the built-in one, a Rasa
server) offers. Shapes follow Rasa's HTTP API so that either engine's output
can be compared line by line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from models.messages import Reply

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True, slots=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Parse:
    text: str
    intent: str
    confidence: float
    entities: tuple[Entity, ...] = field(default=())

    def to_dict(self) -> dict:
        """As Rasa's /model/parse answers."""
        return {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": round(self.confidence, 4)},
            "entities": [{"entity": e.entity, "value": e.value, "start": e.start, "end": e.end} for e in self.entities],
        }


class Engine(Protocol):
    name: str

    @property
    def ready(self) -> bool:
        """False while the engine cannot answer yet (the built-in one trains at start)."""
        return True

    async def parse(self, text: str) -> Parse:
        """Intent and entities of one text; below the confidence threshold the
        intent is FALLBACK_INTENT."""

    async def turn(self, sender: str, text: str, *, asker: str | None = None) -> list[Reply]:
        """One conversational turn for `sender` (a conversation id): the
        replies, with buttons where the engine offers choices. A dossier
        look-up in this turn goes through the service's lookup with `asker`
        as the brute-force guard's key (hub/lookup.py): never the sender, which
        a web client chooses."""

    # Implementations subclass Engine to inherit these defaults.

    async def in_form(self, sender: str) -> bool:
        """Whether the engine is asking `sender` for a form's slot, so that an
        answer it cannot classify is still the form's to take."""
        return False

    async def start(self) -> None:
        """Before the first parse or turn."""

    async def close(self) -> None:
        """Safe to call twice, or without start."""

    async def until_ready(self) -> None:
        """Returns once `ready` (after `start`)."""
        return None
