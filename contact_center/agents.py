"""Console accounts: create, list, disable, reset; one-time set-password
links (only their digest is stored) and sign-in by email and password."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contact_center.audit import audit
from contact_center.passwords import hash_password, problem, verify_password
from hub.store.port import Agent, AgentStore
from models.email_address import normalize_email

log = logging.getLogger(__name__)

ROLES = ("agent", "supervisor", "admin")
SET_PASSWORD_PATH = "/console/set-password/"  # noqa: S105  a path, no secret


def digest(token: str) -> str:
    # Tokens carry 256 random bits: a plain digest is as safe as a slow KDF here.
    return hashlib.sha256(token.encode()).hexdigest()


class Agents:
    def __init__(self, store: AgentStore, *, base_url: str, link_valid: timedelta, clock: Callable[[], float]) -> None:
        self.store, self.base_url, self.link_valid, self.clock = store, base_url.rstrip("/"), link_valid, clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def link(self, token: str) -> str:
        return self.base_url + SET_PASSWORD_PATH + token

    async def create(self, name: str, email: str, role: str, team: str | None, actor: str) -> tuple[Agent, str]:
        """The new agent and its set-password link. ValueError (Vietnamese)
        for a bad email, role or name; Conflict for an email already taken."""
        if role not in ROLES:
            raise ValueError(f"vai trò phải là một trong: {', '.join(ROLES)}")
        if not name.strip():
            raise ValueError("cần có tên cán bộ")
        agent = Agent(
            id="ag_" + secrets.token_hex(6),
            name=name.strip(),
            email=normalize_email(email),
            role=role,
            team=(team or "").strip() or None,
            disabled=False,
            created_at=self.now(),
        )
        await self.store.add_agent(agent)
        link = await self._new_link(agent.id)
        await audit(self.store, actor, "agent.create", "agent", agent.id, f"role={role}", clock=self.clock)
        log.info("agent created", extra={"audit": "agent.create", "agent_id": agent.id, "actor": actor})
        return agent, link

    async def find(self, ref: str) -> Agent | None:
        agent = await self.store.get_agent(ref)
        if agent is None and "@" in ref:
            try:
                agent = await self.store.get_agent(normalize_email(ref))
            except ValueError:
                return None
        return agent

    async def disable(self, agent: Agent, actor: str) -> None:
        await self.store.set_agent_disabled(agent.id, True, self.now())
        await audit(self.store, actor, "agent.disable", "agent", agent.id, clock=self.clock)
        log.info("agent disabled", extra={"audit": "agent.disable", "agent_id": agent.id, "actor": actor})

    async def reset_password(self, agent: Agent, actor: str) -> str:
        """A new link; the agent's sessions end and earlier links stop working."""
        await self.store.revoke_agent_sessions(agent.id, self.now())
        link = await self._new_link(agent.id)
        await audit(self.store, actor, "agent.reset_password", "agent", agent.id, clock=self.clock)
        log.info("agent password reset", extra={"audit": "agent.reset_password", "agent_id": agent.id, "actor": actor})
        return link

    async def _new_link(self, agent_id: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self.now()
        await self.store.add_password_token(digest(token), agent_id, now, now + self.link_valid)
        return self.link(token)

    async def link_is_live(self, token: str) -> bool:
        return await self.store.password_token_agent(digest(token), self.now()) is not None

    async def set_password(self, token: str, password: str) -> str | None:
        """The agent's id once the password is set; None for a used, expired
        or unknown link. ValueError (Vietnamese) for a password too short."""
        why = problem(password)
        if why is not None:
            raise ValueError(why)
        hashed = await hash_password(password)
        agent_id = await self.store.use_password_token(digest(token), hashed, self.now())
        if agent_id is not None:
            await audit(self.store, agent_id, "agent.set_password", "agent", agent_id, clock=self.clock)
            log.info("agent password set", extra={"audit": "agent.set_password", "agent_id": agent_id})
        return agent_id

    async def check(self, email: str, password: str) -> tuple[Agent | None, Agent | None]:
        """(the agent signed in or None, the agent the email names if any):
        as slow for an unknown email, a disabled agent or one with no
        password as for a wrong password."""
        try:
            agent = await self.store.get_agent(normalize_email(email))
        except ValueError:
            agent = None
        stored = agent.password_hash if agent is not None and not agent.disabled else None
        ok = await verify_password(stored, password)
        return (replace(agent, password_hash=None) if ok and agent is not None else None), agent
