"""API keys for systems (the one-stop-shop): shown once, stored as a hash."""

from __future__ import annotations

import hashlib
import secrets
import time

from aiohttp import web

from hub.api.errors import ApiError
from hub.store.port import ApiKeyStore

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

    def __init__(self, store: ApiKeyStore, ttl: float = 30.0):
        self.store, self.ttl = store, ttl
        self._cache: dict[str, tuple[str, float]] = {}

    async def create(self, name: str) -> str:
        key = new_key()
        await self.store.add_api_key(name, hash_key(key))
        return key

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
