"""JSON responses, UTF-8, with Vietnamese kept readable (no \\u escapes)."""

from __future__ import annotations

import orjson
from aiohttp import web


def reply(obj, *, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(obj), status=status, headers=headers, content_type="application/json", charset="utf-8"
    )
