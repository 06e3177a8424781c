"""Reading JSON bodies into typed values, naming the field that is wrong.

Text fields carry no control characters: what a one-stop-shop or a citizen
sends ends up in SMS and email bodies and on operators' terminals, where ESC,
BEL or a bare CR act instead of showing. Such a field is refused with a 422
rather than silently cleaned, so the sender learns of it. Line feeds and tabs
are kept, since notes and chat messages have lines; a CR LF line end becomes
a line feed. Bidirectional overrides, which reorder what a reader sees, are
refused too."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, overload

import orjson
from aiohttp import web

from hub.api.errors import ApiError
from models.dossier_code import is_valid_code
from models.timeutil import parse_datetime


async def json_object(request: web.Request) -> dict:
    return parse_object(await request.read())  # read() raises 413 past client_max_size


def parse_object(raw: bytes) -> dict:
    """A body that must be one JSON object (a webhook that checked its signature over `raw` first)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(422, "Nội dung gửi lên không phải JSON hợp lệ.", field="body") from None
    if not isinstance(body, dict):
        raise ApiError(422, "Nội dung gửi lên phải là một đối tượng JSON ({...}).", field="body")
    return body


# Every control character (Unicode's Cc: U+0000-001F, U+007F-009F) but line
# feed and tab, and the embedding, override and isolate marks (LRE…RLO,
# LRI…PDI) that make text show in another order than it reads.
REFUSED_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_REFUSED = re.compile(f"[{REFUSED_CHARACTERS}]")
# What text() accepts as a required field, for the OpenAPI description: something
# besides spaces, and none of the refused characters.
TEXT_PATTERN = f"^[^{REFUSED_CHARACTERS}]*[^\\s{REFUSED_CHARACTERS}][^{REFUSED_CHARACTERS}]*$"
OPTIONAL_TEXT_PATTERN = f"^[^{REFUSED_CHARACTERS}]*$"


@overload
def text(
    body: dict,
    field: str,
    *,
    required: Literal[True] = True,
    max_len: int = 500,
    prefix: str = "",
    default: None = None,
) -> str: ...
@overload
def text(
    body: dict, field: str, *, required: bool = True, max_len: int = 500, prefix: str = "", default: str
) -> str: ...
@overload
def text(
    body: dict, field: str, *, required: bool = True, max_len: int = 500, prefix: str = "", default: None = None
) -> str | None: ...
def text(
    body: dict, field: str, *, required: bool = True, max_len: int = 500, prefix: str = "", default: str | None = None
) -> str | None:
    value = body.get(field)
    name = prefix + field
    if value is None:
        if required:
            raise ApiError(422, f"Thiếu trường bắt buộc '{name}'.", field=name)
        return default
    if not isinstance(value, str):
        raise ApiError(422, f"Trường '{name}' phải là chuỗi ký tự.", field=name)
    value = value.replace("\r\n", "\n").strip()
    if _REFUSED.search(value):
        raise ApiError(
            422, f"Trường '{name}' chứa ký tự điều khiển không được phép (chỉ giữ xuống dòng và tab).", field=name
        )
    if not value:
        if required:
            raise ApiError(422, f"Trường '{name}' không được để trống.", field=name)
        return default  # an empty optional field means "not given", never a stored ""
    if len(value) > max_len:
        raise ApiError(422, f"Trường '{name}' dài quá {max_len} ký tự.", field=name)
    return value


@overload
def moment(body: dict, field: str, *, required: Literal[True] = True, prefix: str = "") -> datetime: ...
@overload
def moment(body: dict, field: str, *, required: bool = True, prefix: str = "") -> datetime | None: ...
def moment(body: dict, field: str, *, required: bool = True, prefix: str = "") -> datetime | None:
    value = body.get(field)
    name = prefix + field
    if value is None:
        if required:
            raise ApiError(422, f"Thiếu trường bắt buộc '{name}'.", field=name)
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise ApiError(422, f"Trường '{name}': {exc}.", field=name) from None


def parsed(field: str, parse, value):
    """Apply a model parser, turning its ValueError into a 422 on `field`."""
    try:
        return parse(value)
    except (ValueError, TypeError) as exc:
        raise ApiError(422, f"Trường '{field}': {exc}", field=field) from None


def dossier_code(request: web.Request) -> str:
    code = request.match_info["code"]
    if not is_valid_code(code):
        raise ApiError(422, "Mã hồ sơ chỉ gồm chữ, số và các dấu . - _ (tối đa 100 ký tự).", field="code")
    # Upper case is the code's one spelling (the receipt prints H12, citizens
    # type it any way): "bd-261130-0606" from a one-stop-shop is the same
    # dossier as "BD-261130-0606" (migration 0009 moved older rows).
    return code.upper()
