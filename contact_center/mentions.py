"""@mentions in a private note: which agents to alert.

An agent answers to the local part of their email (`@an`, `@nguyen.van.an`)
and to their name without diacritics, run together or with dots
(`@nguyenvanan`, `@nguyen.van.an`); their given name alone (`@an`) too while
no other agent has it. An address inside the text (a@b.vn) is not a mention:
an @ right after a letter or digit never starts one."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hub.store.port import Agent
from models.smstext import unaccent

_MENTION = re.compile(r"(?<![\w@.+-])@([a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)")


def fold(text: str) -> str:
    """Lower case without diacritics: 'Nguyễn Văn Đức' -> 'nguyen van duc'."""
    return unaccent(text).lower()


def handles(agent: Agent) -> tuple[set[str], str | None]:
    """(the agent's own handles, their given name as a handle of its own)."""
    words = re.findall(r"[a-z0-9]+", fold(agent.name))
    own = {agent.email.partition("@")[0].lower()} if agent.email else set()
    if words:
        own |= {"".join(words), ".".join(words)}
    return {h for h in own if h}, (words[-1] if words else None)


def find_mentions(text: str, agents: Iterable[Agent], *, exclude: str | None = None) -> tuple[str, ...]:
    """The ids of the enabled agents the text mentions, in the order first
    mentioned, once each; `exclude` (the note's author) is never among them."""
    strong: dict[str, list[str]] = {}
    given: dict[str, list[str]] = {}
    for agent in agents:
        if agent.disabled:
            continue
        own, first = handles(agent)
        for handle in own:
            strong.setdefault(handle, []).append(agent.id)
        if first:
            given.setdefault(first, []).append(agent.id)
    found: list[str] = []
    for token in _MENTION.findall(fold(text or "")):
        ids = strong.get(token)
        if ids is None and len(given.get(token, ())) == 1:
            ids = given[token]
        for agent_id in ids or ():  # a handle two agents share alerts both: better than neither
            if agent_id != exclude and agent_id not in found:
                found.append(agent_id)
    return tuple(found)
