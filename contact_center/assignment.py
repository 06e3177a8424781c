"""Automatic assignment: a conversation that enters the open queue goes to
an online agent of its team with room (fewer open conversations than their
capacity), round-robin: the one whose last assignment is the oldest. The
choice and the assignment are one store transaction (`assign_next`), so
two services, or an agent's claim racing it, never give it to two people.

Nothing waits unseen: an agent coming online takes the waiting conversations
of their team up to their capacity, and a periodic sweep wakes snoozed
conversations and hands out what is still waiting (a conversation reopened
by its citizen, one that waited while everybody was full)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from hub.store.port import AgentStore, QueueStore
from models.events import EscalationRequested
from notify.periodic import Periodic

log = logging.getLogger(__name__)

SWEEP_LIMIT = 200  # conversations handed out per team and sweep; the next sweep takes the rest


class AssignmentStore(QueueStore, AgentStore, Protocol):
    """The queue, and the agents' teams."""


class Assignment:
    def __init__(self, store: AssignmentStore, clock: Callable[[], float]):
        self.store = store
        self.clock = clock  # epoch seconds, as the service's clock gives them

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def subscribe(self, bus) -> None:
        # A stable name: the bus records each escalation's success under it.
        bus.subscribe(EscalationRequested, "console.assignment", self.on_escalation)

    async def on_escalation(self, event: EscalationRequested) -> None:
        agent_id = await self.store.assign_next(event.conversation_id, self.now())
        if agent_id is None:
            log.info("escalation waits: no agent online with room", extra={"conversation": event.conversation_id})

    async def agent_online(self, agent_id: str) -> int:
        """The agent (just online) takes the team's waiting conversations, most
        urgent and longest waiting first, up to their capacity; how many."""
        agent = await self.store.get_agent(agent_id)
        if agent is None or agent.disabled:
            return 0
        load = next((w for w in await self.store.agent_workload() if w["agent_id"] == agent_id), None)
        if load is None or load["presence"] != "online":
            return 0
        room = load["capacity"] - load["open"]
        taken = 0
        for conversation_id in await self.store.waiting_unassigned(agent.team, max(room, 0)):
            # A claim: a conversation someone took meanwhile stays theirs.
            if await self.store.assign(conversation_id, agent_id, by="auto", now=self.now(), only_if_unassigned=True):
                taken += 1
        return taken

    async def tick(self) -> int:
        """Snoozed conversations whose time came are open again; every waiting
        unassigned conversation goes to an agent with room, while there is
        one. How many conversations were woken or assigned."""
        done = await self.store.wake_snoozed(self.now())
        online = [
            w for w in await self.store.agent_workload() if w["presence"] == "online" and w["open"] < w["capacity"]
        ]
        # Teams with someone to take their conversations; no team (None) first:
        # any agent may take those.
        for team in sorted({w["team"] for w in online}, key=lambda t: (t is not None, t or "")):
            for conversation_id in await self.store.waiting_unassigned(team, SWEEP_LIMIT):
                if await self.store.assign_next(conversation_id, self.now()) is None:
                    break  # everybody who could take it is full
                done += 1
        return done


class AssignmentSweep(Periodic):
    name, done = "console-assignment", "conversations woken or assigned"

    def __init__(self, assignment: Assignment, interval: float = 30.0):
        self.assignment = assignment
        self.interval = interval

    async def run_once(self) -> int:
        return await self.assignment.tick()
