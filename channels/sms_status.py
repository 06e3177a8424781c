"""What SMS vendors' answers mean to us, as data: error codes and HTTP
statuses to the error tree, delivery-report words to DeliveryStatus.

Kept apart from the adapters so that a new vendor code is a one-line change
that needs no reading of HTTP code."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from models.errors import PermanentError, RetryableError
from models.notifications import DeliveryStatus

D = DeliveryStatus


class ProviderRefused(PermanentError):
    """The provider will send nothing for us as configured (bad credentials, a
    suspended account, an unregistered sender), whoever the recipient is.
    Permanent for this provider, but another provider may well succeed, which
    is what tells the failover apart from a bad recipient number."""


RETRY, RECIPIENT, REFUSED = RetryableError, PermanentError, ProviderRefused

# https://www.twilio.com/docs/api/errors, as the REST API answers a send.
TWILIO_ERRORS: dict[int, tuple[type[Exception], str]] = {
    20003: (REFUSED, "authentication failed"),
    20005: (REFUSED, "account not active"),
    20404: (REFUSED, "account or resource not found"),
    20429: (RETRY, "too many requests"),
    20500: (RETRY, "Twilio internal error"),
    20503: (RETRY, "Twilio service unavailable"),
    14107: (RETRY, "SMS send rate limit exceeded"),
    21211: (RECIPIENT, "invalid 'To' phone number"),
    21217: (RECIPIENT, "phone number does not appear to be valid"),
    21401: (RECIPIENT, "invalid phone number"),
    21407: (RECIPIENT, "this phone number type does not support SMS"),
    21408: (REFUSED, "sending to this region is not enabled on the account"),
    21212: (REFUSED, "invalid 'From' number or sender id"),
    21606: (REFUSED, "the 'From' number cannot send SMS"),
    21611: (RETRY, "the sender's outbound queue is full"),
    21612: (RECIPIENT, "cannot route to this number"),
    21614: (RECIPIENT, "'To' is not a mobile number"),
    21610: (RECIPIENT, "the recipient has unsubscribed (replied STOP)"),
    21617: (RECIPIENT, "message body too long"),
    21660: (REFUSED, "'From' does not belong to the account"),
    30002: (REFUSED, "account suspended"),
}


def http_error(status: int) -> type[Exception]:
    """The kind of failure an HTTP status says, when no vendor code says better."""
    if status in (408, 425, 429) or status >= 500:
        return RETRY
    if status in (401, 402, 403):  # 402: out of credit, common with prepaid brandname accounts
        return REFUSED
    return RECIPIENT


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# Twilio's MessageStatus in status callbacks. Inbound-only words (receiving,
# received) are absent on purpose: they never describe a message we sent.
TWILIO_STATUSES: dict[str, DeliveryStatus] = {
    "accepted": D.QUEUED,
    "scheduled": D.QUEUED,
    "queued": D.QUEUED,
    "sending": D.SENDING,
    "sent": D.SENT,
    "delivered": D.DELIVERED,
    "read": D.DELIVERED,
    # The carrier could not deliver: the handset may be off; another channel may reach the citizen.
    "undelivered": D.TEMPORARY_FAILURE,
    "failed": D.TECHNICAL_FAILURE,
    "canceled": D.CANCELLED,
}

# The ErrorCode of an undelivered/failed callback says more than the status.
TWILIO_DELIVERY_ERRORS: dict[int, tuple[DeliveryStatus, str]] = {
    30001: (D.TECHNICAL_FAILURE, "queue overflow"),
    30002: (D.TECHNICAL_FAILURE, "account suspended"),
    30003: (D.TEMPORARY_FAILURE, "unreachable handset"),
    30004: (D.PERMANENT_FAILURE, "message blocked"),
    30005: (D.PERMANENT_FAILURE, "unknown destination handset"),
    30006: (D.PERMANENT_FAILURE, "landline or unreachable carrier"),
    30007: (D.TECHNICAL_FAILURE, "filtered by the carrier"),
    30008: (D.TECHNICAL_FAILURE, "unknown error"),
    30032: (D.PERMANENT_FAILURE, "toll-free number not verified"),
    21610: (D.PERMANENT_FAILURE, "recipient unsubscribed"),
    21614: (D.PERMANENT_FAILURE, "not a mobile number"),
}

# Generic gateways: SMPP delivery-receipt 'stat' words (what most Vietnamese
# brandname platforms pass through) and plain words.
GATEWAY_STATUSES: dict[str, DeliveryStatus] = {
    "ACCEPTD": D.QUEUED, "ENROUTE": D.SENDING, "DELIVRD": D.DELIVERED,
    "UNDELIV": D.TEMPORARY_FAILURE, "EXPIRED": D.TEMPORARY_FAILURE, "DELETED": D.TECHNICAL_FAILURE,
    "UNKNOWN": D.TECHNICAL_FAILURE, "REJECTD": D.PERMANENT_FAILURE,
    "QUEUED": D.QUEUED, "SENDING": D.SENDING, "SENT": D.SENT, "DELIVERED": D.DELIVERED,
    "UNDELIVERED": D.TEMPORARY_FAILURE, "FAILED": D.TECHNICAL_FAILURE, "REJECTED": D.PERMANENT_FAILURE,
}
