"""What SMS vendors' answers mean to us, as data: error codes and HTTP
statuses to the error tree, delivery-report words to DeliveryStatus. Rows of
code tables are channels.vendor.Outcome.

Kept apart from the adapters so that a new vendor code is a one-line change
that needs no reading of HTTP code."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from channels.vendor import RECIPIENT, REFUSED, RETRY, Outcome
from models.notifications import DeliveryStatus

D = DeliveryStatus
O = Outcome  # noqa: E741 - one letter keeps each vendor code on one line

# https://www.twilio.com/docs/api/errors, as the REST API answers a send.
TWILIO_ERRORS: dict[int, Outcome] = {
    20003: O(REFUSED, "authentication failed"),
    20005: O(REFUSED, "account not active"),
    20404: O(REFUSED, "account or resource not found"),
    20429: O(RETRY, "too many requests"),
    20500: O(RETRY, "Twilio internal error"),
    20503: O(RETRY, "Twilio service unavailable"),
    14107: O(RETRY, "SMS send rate limit exceeded"),
    21211: O(RECIPIENT, "invalid 'To' phone number"),
    21217: O(RECIPIENT, "phone number does not appear to be valid"),
    21401: O(RECIPIENT, "invalid phone number"),
    21407: O(RECIPIENT, "this phone number type does not support SMS"),
    21408: O(REFUSED, "sending to this region is not enabled on the account"),
    21212: O(REFUSED, "invalid 'From' number or sender id"),
    21606: O(REFUSED, "the 'From' number cannot send SMS"),
    21611: O(RETRY, "the sender's outbound queue is full"),
    21612: O(RECIPIENT, "cannot route to this number"),
    21614: O(RECIPIENT, "'To' is not a mobile number"),
    21610: O(RECIPIENT, "the recipient has unsubscribed (replied STOP)"),
    21617: O(RECIPIENT, "message body too long"),
    21660: O(REFUSED, "'From' does not belong to the account"),
    30002: O(REFUSED, "account suspended"),
}


HTTP_STATUSES: dict[int, Outcome] = {
    401: O(REFUSED, "credentials refused"),
    402: O(REFUSED, "out of credit"),  # common with prepaid brandname accounts
    403: O(REFUSED, "forbidden"),
    408: O(RETRY, "request timeout"),
    425: O(RETRY, "too early"),
    429: O(RETRY, "too many requests"),
}


def http_outcome(status: int) -> Outcome:
    """What an HTTP status says, when no vendor code says better."""
    row = HTTP_STATUSES.get(status)
    if row is not None:
        return row
    return O(RETRY, "server error") if status >= 500 else O(RECIPIENT)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit(), yet float("²") raises
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
TWILIO_DELIVERY_ERRORS: dict[int, Outcome] = {
    30001: O(status=D.TECHNICAL_FAILURE, reason="queue overflow"),
    30002: O(status=D.TECHNICAL_FAILURE, reason="account suspended"),
    30003: O(status=D.TEMPORARY_FAILURE, reason="unreachable handset"),
    30004: O(status=D.PERMANENT_FAILURE, reason="message blocked"),
    30005: O(status=D.PERMANENT_FAILURE, reason="unknown destination handset"),
    30006: O(status=D.PERMANENT_FAILURE, reason="landline or unreachable carrier"),
    30007: O(status=D.TECHNICAL_FAILURE, reason="filtered by the carrier"),
    30008: O(status=D.TECHNICAL_FAILURE, reason="unknown error"),
    30032: O(status=D.PERMANENT_FAILURE, reason="toll-free number not verified"),
    21610: O(status=D.PERMANENT_FAILURE, reason="recipient unsubscribed"),
    21614: O(status=D.PERMANENT_FAILURE, reason="not a mobile number"),
}

# Generic gateways: SMPP delivery-receipt 'stat' words (what most Vietnamese
# brandname platforms pass through) and plain words.
GATEWAY_STATUSES: dict[str, DeliveryStatus] = {
    "ACCEPTD": D.QUEUED,
    "ENROUTE": D.SENDING,
    "DELIVRD": D.DELIVERED,
    "UNDELIV": D.TEMPORARY_FAILURE,
    "EXPIRED": D.TEMPORARY_FAILURE,
    "DELETED": D.TECHNICAL_FAILURE,
    "UNKNOWN": D.TECHNICAL_FAILURE,
    "REJECTD": D.PERMANENT_FAILURE,
    "QUEUED": D.QUEUED,
    "SENDING": D.SENDING,
    "SENT": D.SENT,
    "DELIVERED": D.DELIVERED,
    "UNDELIVERED": D.TEMPORARY_FAILURE,
    "FAILED": D.TECHNICAL_FAILURE,
    "REJECTED": D.PERMANENT_FAILURE,
}
