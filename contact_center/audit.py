"""The console's audit log: every agent action and every view of a citizen's
personal data leaves a row (Vietnam's Personal Data Protection Law), in the
store's append-only table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hub.store.port import AgentStore, AuditEntry


async def audit(
    store: AgentStore,
    agent: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    reason: str = "",
    *,
    clock: Callable[[], float],
) -> int:
    """One row: `agent` is the agent's id (or 'cli:<login>' for an operator's
    command), `clock` the service's (epoch seconds), so that the row's time
    is the one every other record of the request carries."""
    entry = AuditEntry(
        actor=agent,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        at=datetime.fromtimestamp(clock(), UTC),
    )
    return await store.append_audit(entry)
