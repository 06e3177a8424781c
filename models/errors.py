"""The error tree. Whether a failure is worth retrying is part of its type,
so callers decide by `except RetryableError`, never by parsing messages.

    TongdaiError                 raised on purpose; anything else is a bug
    ├── RetryableError           temporary: the same call may succeed later
    │                            (timeouts, 429, 5xx, a dropped connection);
    │                            `retry_after` is a floor on the wait, if known
    └── PermanentError           the same call fails the same way again
        │                        (a bad address, a message too long)
        ├── ProviderRefused      our side to fix: credentials, sender id,
        │                        suspended account, out of credit
        └── Conflict             the request contradicts what is stored

The policy for a provider refusing us (every adapter maps to it, the notifier
applies it): ProviderRefused is not retryable for that message on that
channel, because the provider would refuse any message until an operator acts.
It is still a PermanentError, so code that only asks "worth retrying?" gets
the right answer, but it says nothing about the citizen's address: the
notifier records the attempt as a technical failure (not a permanent one),
falls back to the citizen's next channel, and logs it at ERROR with the
provider's name so that the operator sees it. The SMS failover, where several
providers serve one channel, tries the next provider instead."""

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


class ProviderRefused(PermanentError):
    """The provider will send nothing for us as configured (bad credentials, a
    suspended account, an unregistered sender), whoever the recipient is.
    Permanent for this provider, but another provider may well succeed, which
    is what tells it apart from a bad recipient."""

    def __init__(self, message: str, *, provider: str | None = None):
        super().__init__(message)
        self.provider = provider


class Conflict(PermanentError):
    pass


class StoreUnavailable(RetryableError):
    """The store cannot take writes now (its file vanished, turned read-only,
    the disk failed): the caller answers 503 and nothing is claimed as stored."""
