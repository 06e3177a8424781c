"""The built-in engine: the project's NLU data trained in-process (numpy),
and its domain, rules, form and knowledge run by the dialogue module."""

from __future__ import annotations

import asyncio
import hashlib
import pickle
from pathlib import Path

from assistant.dialogue import Dialogue
from assistant.domain import Domain
from assistant.knowledge import Knowledge
from assistant.nlu.engine import BuiltinNlu
from assistant.port import Engine, Parse
from channels.inbound import Reply

PROJECT = Path(__file__).resolve().parent


class BuiltinEngine(Engine):
    name = "builtin"

    def __init__(self, nlu: BuiltinNlu, dialogue: Dialogue):
        self.nlu = nlu
        self.dialogue = dialogue

    @classmethod
    async def train(cls, lookup, project_dir: Path | None = None, cache_dir: Path | None = None) -> BuiltinEngine:
        """Seconds of CPU: run in a thread so the service keeps answering."""
        project = project_dir or PROJECT
        return await asyncio.to_thread(cls.train_sync, lookup, project, cache_dir)

    @classmethod
    def train_sync(cls, lookup, project: Path = PROJECT, cache_dir: Path | None = None) -> BuiltinEngine:
        nlu = load_nlu(project, cache_dir)
        domain = Domain.load(project / "domain.yml", project / "data" / "rules.yml")
        knowledge = Knowledge.load(project / "knowledge.yml", nlu_path=project / "data" / "nlu.yml")
        return cls(nlu, Dialogue(domain, knowledge, lookup))

    async def parse(self, text: str) -> Parse:
        # A button's payload ("/ask_fee{...}") is what the citizen chose, not text to guess at.
        return (self.dialogue.parse_payload(text) if text.startswith("/") else None) or self.nlu.parse(text)

    async def turn(self, sender: str, text: str) -> list[Reply]:
        return await self.dialogue.turn(sender, await self.parse(text))

    async def in_form(self, sender: str) -> bool:
        return self.dialogue.active_form(sender) is not None


def fingerprint(project: Path = PROJECT) -> str:
    """What the trained model depends on: its training data and settings, and this code."""
    digest = hashlib.sha256()
    inputs = [project / "config.yml", project / "domain.yml", *sorted((project / "data").glob("*.yml")),
              *sorted((Path(__file__).parent / "nlu").glob("*.py"))]
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
        return pickle.loads(path.read_bytes())
    nlu = BuiltinNlu.train(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_bytes(pickle.dumps(nlu, protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)
    for stale in path.parent.glob("assistant-nlu-*.pickle"):  # models of earlier training data
        if stale != path:
            stale.unlink(missing_ok=True)
    return nlu
