"""Console agents, their set-password links and sessions, and the audit log
(insert and select only: the table's triggers refuse the rest)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.store.port import Agent, AgentSession, AuditEntry
from hub.store.sqlite.dossiers import iso
from models.errors import Conflict


def _agent(row) -> Agent:
    return Agent(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        role=row["role"],
        team=row["team"],
        disabled=bool(row["disabled"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        password_hash=row["password_hash"],
    )


async def add(db, agent: Agent) -> Agent:
    try:
        await db.execute(
            "INSERT INTO agents (id, name, email, role, team, disabled, created_at, password_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                agent.id,
                agent.name,
                agent.email,
                agent.role,
                agent.team,
                int(agent.disabled),
                iso(agent.created_at),
                agent.password_hash,
            ),
        )
    except sqlite3.IntegrityError:
        raise Conflict(f"đã có cán bộ dùng email {agent.email}") from None
    return agent


async def get(db, ref: str) -> Agent | None:
    rows = list(
        await db.execute_fetchall(
            "SELECT id, name, email, role, team, disabled, created_at, password_hash"
            " FROM agents WHERE id = ? OR email = ? LIMIT 1",
            (ref, ref.strip().lower()),
        )
    )
    return _agent(rows[0]) if rows else None


async def listing(db) -> list[Agent]:
    rows = await db.execute_fetchall(
        "SELECT id, name, email, role, team, disabled, created_at, password_hash FROM agents ORDER BY created_at, id"
    )
    return [_agent(r) for r in rows]


async def touch_session(db, id_hash: str, now: datetime) -> None:
    await db.execute("UPDATE agent_sessions SET last_seen = ? WHERE id_hash = ?", (iso(now), id_hash))


async def revoke_sessions(db, agent_id: str, now: datetime) -> int:
    cursor = await db.execute(
        "UPDATE agent_sessions SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL", (iso(now), agent_id)
    )
    return cursor.rowcount


async def set_disabled(db, agent_id: str, disabled: bool, now: datetime) -> bool:
    cursor = await db.execute("UPDATE agents SET disabled = ? WHERE id = ?", (int(disabled), agent_id))
    if cursor.rowcount == 0:
        return False
    if disabled:
        await revoke_sessions(db, agent_id, now)
    return True


async def add_password_token(db, token_hash: str, agent_id: str, now: datetime, expires_at: datetime) -> None:
    # The newest link is the only one: a reset makes the link sent before it useless.
    await db.execute(
        "UPDATE agent_password_tokens SET used_at = ? WHERE agent_id = ? AND used_at IS NULL", (iso(now), agent_id)
    )
    await db.execute(
        "INSERT INTO agent_password_tokens (token_hash, agent_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash, agent_id, iso(now), iso(expires_at)),
    )


async def password_token_agent(db, token_hash: str, now: datetime) -> str | None:
    rows = list(
        await db.execute_fetchall(
            "SELECT agent_id FROM agent_password_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (token_hash, iso(now)),
        )
    )
    return rows[0][0] if rows else None


async def use_password_token(db, token_hash: str, password_hash: str, now: datetime) -> str | None:
    agent_id = await password_token_agent(db, token_hash, now)
    if agent_id is None:
        return None
    await db.execute("UPDATE agent_password_tokens SET used_at = ? WHERE token_hash = ?", (iso(now), token_hash))
    await db.execute("UPDATE agents SET password_hash = ? WHERE id = ?", (password_hash, agent_id))
    await revoke_sessions(db, agent_id, now)
    return agent_id


async def add_session(db, id_hash: str, agent_id: str, now: datetime) -> None:
    await db.execute(
        "INSERT INTO agent_sessions (id_hash, agent_id, created_at, last_seen) VALUES (?, ?, ?, ?)",
        (id_hash, agent_id, iso(now), iso(now)),
    )


async def get_session(db, id_hash: str) -> AgentSession | None:
    rows = list(
        await db.execute_fetchall(
            "SELECT agent_id, created_at, last_seen, revoked_at FROM agent_sessions WHERE id_hash = ?", (id_hash,)
        )
    )
    if not rows:
        return None
    row = rows[0]
    return AgentSession(
        agent_id=row["agent_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        last_seen=datetime.fromisoformat(row["last_seen"]),
        revoked=row["revoked_at"] is not None,
    )


async def append_audit(db, entry: AuditEntry) -> int:
    if entry.at is None:
        raise ValueError("an audit entry needs its time")
    cursor = await db.execute(
        "INSERT INTO audit_log (at, actor, action, object_type, object_id, reason) VALUES (?, ?, ?, ?, ?, ?)",
        (iso(entry.at), entry.actor, entry.action, entry.object_type, entry.object_id, entry.reason),
    )
    if cursor.lastrowid is None:
        raise RuntimeError("SQLite gave no rowid for the audit row")
    return cursor.lastrowid


async def audit_entries(
    db,
    *,
    actor: str | None,
    object_type: str | None,
    object_id: str | None,
    since: datetime | None,
    limit: int,
) -> list[AuditEntry]:
    where, params = [], []
    for column, value in (("actor", actor), ("object_type", object_type), ("object_id", object_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append("at >= ?")
        params.append(iso(since))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await db.execute_fetchall(
        f"SELECT id, at, actor, action, object_type, object_id, reason FROM audit_log {clause} "  # noqa: S608  columns are ours
        "ORDER BY id DESC LIMIT ?",
        (*params, max(0, limit)),
    )
    entries = [
        AuditEntry(
            id=r["id"],
            at=datetime.fromisoformat(r["at"]),
            actor=r["actor"],
            action=r["action"],
            object_type=r["object_type"],
            object_id=r["object_id"],
            reason=r["reason"],
        )
        for r in rows
    ]
    return entries[::-1]
