"""The error tree. Whether a failure is worth retrying is part of its type,
so callers decide by `except RetryableError`, never by parsing messages."""

from __future__ import annotations


class TongdaiError(Exception):
    """Root of every error the service raises on purpose."""

    retryable = False


class RetryableError(TongdaiError):
    """Temporary: the same call may succeed later (timeouts, 429, 5xx)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(TongdaiError):
    """Retrying the same call will fail the same way."""


class ValidationError(PermanentError):
    """Input that breaks a rule; `field` names the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(PermanentError):
    pass


class Conflict(PermanentError):
    pass


class IllegalTransition(Conflict):
    def __init__(self, current: str, requested: str, allowed: list[str]):
        self.current, self.requested, self.allowed = current, requested, allowed
        super().__init__(f"{current} -> {requested} is not allowed")
