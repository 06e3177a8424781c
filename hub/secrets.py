"""The service's signing key: from settings, or generated once into the data
directory so that links keep working across restarts."""

from __future__ import annotations

import asyncio
import os
import secrets

from hub.settings import Settings


def _load_or_create(settings: Settings) -> bytes:
    path = settings.data_dir / "secret_key"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the key and the database: owner only
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32).encode()
        # O_EXCL: two processes starting together must end up with the same key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key


async def load_secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return await asyncio.to_thread(_load_or_create, settings)
