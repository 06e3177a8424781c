"""The built-in engine: the project's NLU data trained in-process (numpy),
and its domain, rules, form and knowledge run by the dialogue module."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import pickle
from pathlib import Path

from assistant.dialogue import Dialogue
from assistant.domain import Domain
from assistant.knowledge import Knowledge
from assistant.nlu.engine import BuiltinNlu
from assistant.port import Engine, Parse
from models.messages import Reply

PROJECT = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


class BuiltinEngine(Engine):
    """Trains at `start()` in a thread (seconds of CPU, or a cache hit), so the
    service answers at once; until then `ready` is False and the assistant
    acknowledges instead of answering."""

    name = "builtin"

    def __init__(
        self, lookup, *, project: Path = PROJECT, cache_dir: Path | None = None, org: dict[str, str] | None = None
    ):
        """`org`: the organisation's name, hotline and website (the settings), which the answers cite."""
        self._lookup, self._project, self._cache_dir = lookup, project, cache_dir
        self._org = dict(org or {})
        self.nlu: BuiltinNlu | None = None
        self._last_parse: tuple[BuiltinNlu, str, Parse] | None = None
        self.dialogue: Dialogue | None = None
        self._training: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return self.dialogue is not None

    async def start(self) -> None:
        if self._training is None and not self.ready:
            self._training = asyncio.create_task(self.trained(), name="assistant-training")

    async def until_ready(self) -> None:
        if self._training is not None:
            await asyncio.shield(self._training)

    async def close(self) -> None:
        if self._training is not None:
            self._training.cancel()
            await asyncio.gather(self._training, return_exceptions=True)

    async def trained(self) -> BuiltinEngine:
        if not self.ready:
            self.nlu, self.dialogue = await asyncio.to_thread(
                _build, self._lookup, self._project, self._cache_dir, self._org
            )
            log.info("assistant ready", extra={"engine": self.name})
        return self

    @classmethod
    async def train(cls, lookup, project_dir: Path | None = None, cache_dir: Path | None = None) -> BuiltinEngine:
        """Trained now (in a thread, so the event loop keeps going)."""
        return await cls(lookup, project=project_dir or PROJECT, cache_dir=cache_dir).trained()

    @classmethod
    def train_sync(
        cls, lookup, project: Path = PROJECT, cache_dir: Path | None = None, org: dict[str, str] | None = None
    ) -> BuiltinEngine:
        engine = cls(lookup, project=project, cache_dir=cache_dir, org=org)
        engine.nlu, engine.dialogue = _build(lookup, project, cache_dir, engine._org)
        return engine

    async def parse(self, text: str) -> Parse:
        if self.nlu is None or self.dialogue is None:
            raise RuntimeError("parse before training")
        # A button's payload ("/ask_fee{...}") is what the citizen chose, not text to guess at.
        payload = self.dialogue.parse_payload(text) if text.startswith("/") else None
        if payload is not None:
            return payload
        # The assistant parses a message to decide on escalation, then `turn`
        # parses it again: the second is the last one's answer (a quarter of
        # the time a web chat message costs, measured by bench/webchat.py).
        last = self._last_parse
        if last is not None and last[0] is self.nlu and last[1] == text:
            return last[2]
        parsed = self.nlu.parse(text)
        self._last_parse = (self.nlu, text, parsed)
        return parsed

    async def turn(self, sender: str, text: str, *, asker: str | None = None) -> list[Reply]:
        if self.dialogue is None:
            raise RuntimeError("turn before training")
        return await self.dialogue.turn(sender, await self.parse(text), asker=asker)

    async def in_form(self, sender: str) -> bool:
        return self.dialogue is not None and self.dialogue.active_form(sender) is not None


def _build(lookup, project: Path, cache_dir: Path | None, org: dict[str, str]) -> tuple[BuiltinNlu, Dialogue]:
    nlu = load_nlu(project, cache_dir)
    domain = Domain.load(project / "domain.yml", project / "data" / "rules.yml")
    knowledge = Knowledge.load(project / "knowledge.yml", nlu_path=project / "data" / "nlu.yml", org=org)
    return nlu, Dialogue(domain, knowledge, lookup)


def fingerprint(project: Path = PROJECT) -> str:
    """What the trained model depends on: its training data and settings, and this code."""
    digest = hashlib.sha256()
    inputs = [
        project / "config.yml",
        project / "domain.yml",
        *sorted((project / "data").glob("*.yml")),
        *sorted((Path(__file__).parent / "nlu").glob("*.py")),
    ]
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def load_nlu(project: Path = PROJECT, cache_dir: Path | None = None) -> BuiltinNlu:
    """The trained NLU, from the cache when its inputs have not changed."""
    if cache_dir is None:
        return BuiltinNlu.train(project)
    path = Path(cache_dir) / f"assistant-nlu-{fingerprint(project)}.pickle"
    if path.exists():
        # Our own file in our own data directory, written by train below.
        return pickle.loads(path.read_bytes())  # noqa: S301 - our own cache file, never received from outside
    nlu = BuiltinNlu.train(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_bytes(pickle.dumps(nlu, protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)
    for stale in path.parent.glob("assistant-nlu-*.pickle"):  # models of earlier training data
        if stale != path:
            stale.unlink(missing_ok=True)
    return nlu
