"""Console sessions kept in the store: the cookie holds a random value, the
store its digest. A session ends when revoked, after `idle` without a
request, or `absolute` after sign-in, by the service's clock."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from contact_center.agents import digest
from hub.store.port import Agent, AgentStore

# A request within this of the last recorded one does not write last_seen
# again: the idle timeout is minutes long, a write per request is waste.
TOUCH_EVERY = timedelta(seconds=60)


class Sessions:
    def __init__(
        self,
        store: AgentStore,
        secret: bytes,
        *,
        idle: timedelta,
        absolute: timedelta,
        clock: Callable[[], float],
    ) -> None:
        self.store, self.secret, self.idle, self.absolute, self.clock = store, secret, idle, absolute, clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def start(self, agent: Agent) -> str:
        """A new session id for every sign-in: a value planted before it (fixation) is never reused."""
        token = secrets.token_urlsafe(32)
        await self.store.add_session(digest(token), agent.id, self.now())
        return token

    async def agent_of(self, token: str) -> Agent | None:
        """The live session's agent (not disabled), its last-seen time moved on; None otherwise."""
        if not token or len(token) > 128:
            return None
        key = digest(token)
        session = await self.store.get_session(key)
        now = self.now()
        if session is None or session.revoked:
            return None
        if now - session.last_seen > self.idle or now - session.created_at > self.absolute:
            await self.store.revoke_session(key, now)
            return None
        agent = await self.store.get_agent(session.agent_id)
        if agent is None or agent.disabled:
            return None
        if now - session.last_seen >= TOUCH_EVERY:
            await self.store.touch_session(key, now)
        return agent

    async def end(self, token: str) -> None:
        await self.store.revoke_session(digest(token), self.now())

    def csrf(self, token: str) -> str:
        """The session's CSRF token: derived, not stored; another session's is useless here."""
        return hmac.new(self.secret, b"console-csrf:" + token.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, token: str, given: str) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf(token), given)
