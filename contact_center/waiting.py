"""The honest waiting time a citizen is told on escalation: how long until a
person answers, from the queue as it stands, instead of a fixed "30 minutes".

Only the queue's part is here: the conversations ahead shared among the
agents online with room, each taking about `handling` (a setting). Office
hours and holidays stay with the assistant, which already says when the
help desk opens (assistant/service.py): it keeps an estimate that ends after
closing time for the next opening instead."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol


class QueueLoad(Protocol):
    async def queue_load(self, team: str | None) -> tuple[int, int]: ...
    async def queue_item(self, conversation_id: str, mask): ...


async def estimate_wait(store: QueueLoad, team: str | None, handling: timedelta) -> timedelta:
    """About how long until an agent of `team` answers a conversation that
    just joined the queue. `queue_load` counts that conversation among those
    ahead (it is already in the queue), so the citizen's turn is `ahead`; the
    agents with room take the queue in parallel. Nobody with room: one of
    them must finish first, one more handling time."""
    ahead, room = await store.queue_load(team)
    turns = math.ceil(max(ahead, 1) / max(room, 1))
    if room == 0:
        turns += 1
    return handling * turns


class Waiting:
    """What the assistant is handed: `await waiting(conversation_id, now)`,
    the estimate for that conversation's team."""

    def __init__(self, store: QueueLoad, handling: timedelta):
        self.store = store
        self.handling = handling

    async def __call__(self, conversation_id: str, now: datetime) -> timedelta:
        item = await self.store.queue_item(conversation_id, _no_address)
        return await estimate_wait(self.store, item.team if item is not None else None, self.handling)


def _no_address(channel: str, address: str) -> str:
    return ""  # only the team is read
