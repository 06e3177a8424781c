"""API keys for systems (the one-stop-shop): shown once, stored as a hash."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

from aiohttp import web

from hub.api.errors import ApiError
from hub.store.port import ApiKeyInfo, ApiKeyStore

log = logging.getLogger(__name__)

PREFIX = "tdk_"


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a plain digest is as safe as a slow KDF
    # here and keeps each request cheap.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """Looks keys up in the store, remembering hits briefly so that a busy
    one-stop-shop does not cost a query per event."""

    # A key revoked by `tongdai apikey revoke` (another process) is refused
    # within `ttl` seconds; one revoked through this object at once.
    def __init__(self, store: ApiKeyStore, ttl: float = 5.0):
        self.store, self.ttl = store, ttl
        self._cache: dict[str, tuple[str, float]] = {}

    async def create(self, name: str, actor: str = "system") -> str:
        key = new_key()
        key_id = await self.store.add_api_key(name, hash_key(key), actor)
        log.info(
            "api key created", extra={"audit": "apikey.create", "key_id": key_id, "key_name": name, "actor": actor}
        )
        return key

    async def listing(self) -> list[ApiKeyInfo]:
        return await self.store.list_api_keys()

    async def revoke(self, ref: str, actor: str) -> list[ApiKeyInfo]:
        revoked = await self.store.revoke_api_keys(ref, actor)
        self._cache.clear()
        for info in revoked:
            log.info(
                "api key revoked",
                extra={"audit": "apikey.revoke", "key_id": info.id, "key_name": info.name, "actor": actor},
            )
        return revoked

    async def rotate(self, name: str, actor: str) -> tuple[str, int, list[ApiKeyInfo]] | None:
        """(the new key, its id, the keys it replaced), or None when no live key has that name."""
        key = new_key()
        rotated = await self.store.rotate_api_key(name, hash_key(key), actor)
        if rotated is None:
            return None
        self._cache.clear()
        key_id, revoked = rotated
        log.info(
            "api key rotated",
            extra={
                "audit": "apikey.rotate",
                "key_id": key_id,
                "key_name": name,
                "replaced": [info.id for info in revoked],
                "actor": actor,
            },
        )
        return key, key_id, revoked

    async def authenticate(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(
                401,
                "Thiếu khóa API: gửi kèm header 'Authorization: Bearer <khóa>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        # Keys are ASCII; other bytes arrive as undecodable surrogates that no digest takes.
        if not key.isascii():
            raise ApiError(401, "Khóa API không hợp lệ.", headers={"WWW-Authenticate": "Bearer"})
        digest = hash_key(key.strip())
        cached = self._cache.get(digest)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        name = await self.store.api_key_name(digest)
        if name is None:
            raise ApiError(401, "Khóa API không hợp lệ.", headers={"WWW-Authenticate": "Bearer"})
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (name, time.monotonic() + self.ttl)
        return name
