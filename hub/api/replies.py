"""JSON responses with Vietnamese kept readable (no \\u escapes)."""

from __future__ import annotations

import json

from aiohttp import web


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def reply(obj, *, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.json_response(obj, status=status, headers=headers, dumps=_dumps)
