"""Agents' passwords: argon2id (argon2-cffi's defaults, RFC 9106's second
recommended profile), hashed and checked in a thread: one hash is tens of
milliseconds of CPU that must not stall the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a megabyte "password" would only cost us CPU
TOO_SHORT = f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự."
TOO_LONG = f"Mật khẩu dài quá {MAX_LENGTH} ký tự."
UNENCODABLE = "Mật khẩu chứa ký tự không hợp lệ."

_hasher = PasswordHasher()
# Checked against when the email is unknown or has no password yet, so that
# the answer takes as long as for a real agent and tells nothing.
_DUMMY = _hasher.hash("không phải mật khẩu của ai cả")


def _encodable(password: str) -> bool:
    # A lone surrogate (from a decoder's escape) has no UTF-8 form for argon2 to hash.
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem(password: str) -> str | None:
    """Why `password` cannot be used (Vietnamese, shown to the agent), or None."""
    if not _encodable(password):
        return UNENCODABLE
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; with no stored hash it still
    spends the time of a check and answers False."""
    if len(password) > MAX_LENGTH or not _encodable(password):
        return False
    return await asyncio.to_thread(_verify, stored, password)
