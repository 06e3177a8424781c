"""Kiosk accounts: an id, a name and a key. The key travels in the kiosk's
URL fragment (`{base}/kiosk#k=<key>`, which no server or proxy log sees) and
is stored as a digest, like an API key (hub/api/auth.py)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from hub.api.auth import hash_key
from hub.api.errors import ApiError
from hub.store.port import Kiosk, KioskStore

log = logging.getLogger(__name__)

PREFIX = "tdq_"
SCHEME = "Kiosk"
MISSING = "Ki-ốt chưa được cấp khóa: mở trang bằng đường dẫn có khóa do quản trị viên cung cấp (tongdai kiosk create)."
REFUSED = "Khóa ki-ốt không đúng hoặc ki-ốt đã bị ngừng sử dụng. Vui lòng báo cán bộ quản trị."


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def kiosk_url(base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/kiosk#k={key}"


class Kiosks:
    """Creates kiosks and tells which one a request comes from. Hits are
    remembered `ttl` seconds: a kiosk asks many times a visit. A kiosk
    disabled from the CLI (another process) is refused within `ttl`."""

    def __init__(self, store: KioskStore, *, ttl: float = 5.0, clock: Callable[[], float] = time.time):
        self.store, self.ttl, self.clock = store, ttl, clock
        self._cache: dict[str, tuple[Kiosk, float]] = {}

    async def create(self, name: str, actor: str = "system") -> tuple[Kiosk, str]:
        """The kiosk and its key, which is shown this once."""
        name = " ".join(name.split())
        if not name or len(name) > 100:
            raise ValueError("Tên ki-ốt cần từ 1 đến 100 ký tự.")
        key = new_key()
        at = datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")
        kiosk = await self.store.add_kiosk(
            Kiosk(id="k_" + secrets.token_hex(6), name=name, created_at=at), hash_key(key)
        )
        log.info(
            "kiosk created", extra={"audit": "kiosk.create", "kiosk": kiosk.id, "kiosk_name": name, "actor": actor}
        )
        return kiosk, key

    async def listing(self) -> list[Kiosk]:
        return await self.store.list_kiosks()

    async def disable(self, ref: str, actor: str = "system") -> Kiosk | None:
        found = await self.store.disable_kiosk(ref)
        self._cache.clear()
        if found is not None:
            log.info("kiosk disabled", extra={"audit": "kiosk.disable", "kiosk": found.id, "actor": actor})
        return found

    async def authenticate(self, request: web.Request) -> Kiosk:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != SCHEME.lower() or not key:
            raise ApiError(401, MISSING, headers={"WWW-Authenticate": SCHEME})
        if not key.isascii() or len(key) > 200:
            raise ApiError(401, REFUSED, headers={"WWW-Authenticate": SCHEME})
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        kiosk = cached[0] if cached and cached[1] > now else await self.store.kiosk_by_key(digest)
        if kiosk is None or kiosk.disabled:
            raise ApiError(401, REFUSED, headers={"WWW-Authenticate": SCHEME})
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[digest] = (kiosk, now + self.ttl)
        return kiosk


KIOSKS = web.AppKey("kiosks", Kiosks)
