"""The row shape of every vendor table (SMTP replies, Twilio codes, HTTP
statuses of SMS gateways, Bot API errors): what one vendor answer means to us.

Vendor codes stay data, so that a new one is a one-line change; the adapters
look a row up and call `error()`, and never decide retryability themselves."""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import PermanentError, ProviderRefused, RetryableError, TongdaiError
from models.notifications import DeliveryStatus

# The three answers a failed send can have, by who must act: time, the
# citizen's data, or our operator (see models/errors.py for the policy).
RETRY, RECIPIENT, REFUSED = RetryableError, PermanentError, ProviderRefused


@dataclass(frozen=True, slots=True)
class Outcome:
    error_type: type[TongdaiError] | None = None  # what a failed send raises
    reason: str = ""
    status: DeliveryStatus | None = None  # what a delivery report means
    retry_after: float | None = None  # the wait when the vendor names none
    withdraw: bool = False  # the citizen left the channel: record an opt-out

    def error(self, text: str, *, provider: str, retry_after: float | None = None) -> TongdaiError:
        kind = self.error_type or RETRY
        if issubclass(kind, RetryableError):
            return kind(text, retry_after=self.retry_after if retry_after is None else retry_after)
        if issubclass(kind, ProviderRefused):
            return kind(text, provider=provider)
        return kind(text)
