"""API keys and their audit trail: each create, revoke and rotate writes an
audit row in the same transaction as the change."""

from __future__ import annotations

from hub.store.port import ApiKeyInfo


def _info(row) -> ApiKeyInfo:
    return ApiKeyInfo(id=row["id"], name=row["name"], created_at=row["created_at"], revoked_at=row["revoked_at"])


async def _audit(db, action: str, key_id: int, name: str, actor: str, at: str) -> None:
    await db.execute(
        "INSERT INTO api_key_audit (at, action, key_id, name, actor) VALUES (?, ?, ?, ?, ?)",
        (at, action, key_id, name, actor),
    )


async def add(db, name: str, key_hash: str, actor: str, at: str, action: str = "create") -> int:
    cursor = await db.execute(
        "INSERT INTO api_keys (name, key_hash, created_at) VALUES (?, ?, ?)", (name, key_hash, at)
    )
    if cursor.lastrowid is None:
        raise RuntimeError("SQLite gave no rowid for the new API key")
    await _audit(db, action, cursor.lastrowid, name, actor, at)
    return cursor.lastrowid


async def listing(db) -> list[ApiKeyInfo]:
    rows = await db.execute_fetchall("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY id")
    return [_info(row) for row in rows]


async def revoke(db, ref: str, actor: str, at: str) -> list[ApiKeyInfo]:
    if ref.isascii() and ref.isdigit():
        rows = await db.execute_fetchall(
            "SELECT id, name, created_at FROM api_keys WHERE id = ? AND revoked_at IS NULL", (int(ref),)
        )
    else:
        rows = await db.execute_fetchall(
            "SELECT id, name, created_at FROM api_keys WHERE name = ? AND revoked_at IS NULL", (ref,)
        )
    revoked = []
    for row in rows:
        await db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (at, row["id"]))
        await _audit(db, "revoke", row["id"], row["name"], actor, at)
        revoked.append(ApiKeyInfo(id=row["id"], name=row["name"], created_at=row["created_at"], revoked_at=at))
    return revoked


async def rotate(db, name: str, key_hash: str, actor: str, at: str) -> tuple[int, list[ApiKeyInfo]] | None:
    live = await db.execute_fetchall("SELECT 1 FROM api_keys WHERE name = ? AND revoked_at IS NULL LIMIT 1", (name,))
    if not live:
        return None
    revoked = await revoke(db, name, actor, at)
    return await add(db, name, key_hash, actor, at, action="rotate"), revoked
