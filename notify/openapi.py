"""OpenAPI paths for the notification endpoints (merged into the app's document)."""

from __future__ import annotations

from channels.registry import followable
from hub.api.openapi import AUTH, CHANNEL, error, json_body, json_response
from models.notifications import REASONS

_CITIZEN = {"name": "citizen_id", "in": "path", "required": True, "schema": {"type": "string"}}
_BROADCAST = {"name": "broadcast_id", "in": "path", "required": True, "schema": {"type": "string"}}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}


PATHS = {
    "/api/v1/notifications": {
        "get": {
            "summary": "Notifications with their attempts, by dossier, citizen or broadcast (exactly one filter)",
            "description": "Each notification carries its `legal_basis` (public_task | consent | consent_request), "
            "and while it is not sent, or once given up, a `reason` (a machine code: "
            + ", ".join(REASONS)
            + ") with a Vietnamese `reason_label`, and `next_at`: when the engine looks at it next (ISO, UTC; "
            "null once nothing more will happen). A notice made stale by newer news names it in `superseded_by`.",
            "security": AUTH,
            "parameters": [
                {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                for n in ("dossier", "citizen", "broadcast")
            ],
            "responses": {
                "200": json_response(
                    "Notifications, oldest first; each attempt with what it sent: address (masked), subject, text"
                    " (null once past TONGDAI_SENT_TEXT_RETENTION_DAYS)"
                ),
                "401": error("Missing or wrong API key"),
                "422": error("None or several filters"),
            },
        }
    },
    "/api/v1/notifications/{notification_id}/resend": {
        "post": {
            "summary": "Route one notification again from the start with today's consents and legal basis, due now "
            "(quiet hours still apply). Idempotent: a second call leaves it as the first did. A delivered one is "
            "sent again: the operator asked for it.",
            "security": AUTH,
            "parameters": [{"name": "notification_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": json_response("The notification, queued again"),
                "401": error("Missing or wrong API key"),
                "404": error("Unknown notification"),
                "409": error("Being handed to a provider right now; try again shortly"),
            },
        }
    },
    "/api/v1/citizens/{citizen_id}/consents": {
        "get": {
            "summary": "The citizen's consent ledger and what it adds up to per channel",
            "security": AUTH,
            "parameters": [_CITIZEN],
            "responses": {
                "200": json_response("Consents"),
                "401": error("Missing or wrong API key"),
                "404": error("Unknown citizen"),
            },
        },
        "post": {
            "summary": "Append a grant or a withdrawal to the ledger",
            "security": AUTH,
            "parameters": [_CITIZEN],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["channel", "granted"],
                    "properties": {
                        "channel": CHANNEL,
                        "granted": {"type": "boolean"},
                        "at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "When it was given; at most 5 minutes ahead of the server's clock. "
                            "The ledger's current answer is the record written last, whatever its `at`.",
                        },
                        "via": {"type": "string"},
                        "legal_basis": {"type": "string"},
                    },
                }
            ),
            "responses": {
                "201": json_response("The ledger after the change"),
                "401": error("Missing or wrong API key"),
                "404": error("Unknown citizen"),
                "413": error("Body over 1 MiB"),
                "422": error("Malformed body, or `at` in the future"),
            },
        },
    },
    "/api/v1/dossiers/{code}/followers": {
        "post": {
            "summary": "Ask for an address to be told when a dossier moves (by its code and the applicant's last "
            "four phone digits). Nothing but a request to confirm is sent there until its owner confirms: "
            "a one-time code by SMS or call (POST .../followers/confirm), a link by email (/follow/{token}). "
            "A Telegram chat follows only by writing THEODOI to the bot.",
            "parameters": [_CODE],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["verify"],
                    "properties": {
                        "verify": {"type": "string", "pattern": "^[0-9]{4}$"},
                        "channel": {"type": "string", "enum": [s.channel.value for s in followable()]},
                        **{
                            s.address_field: {"type": "integer" if s.address_type is int else "string"}
                            for s in followable()
                        },
                    },
                }
            ),
            "responses": {
                "200": json_response("Already following"),
                "202": json_response(
                    "Waiting for the owner's confirmation: {code, channel, following: false, "
                    "confirmation: sms_code | phone_code | email_link, message}"
                ),
                "404": error("Unknown code or wrong digits"),
                "409": error(
                    "The address withdrew its consent on the channel (only its owner can give it again), "
                    "or the dossier has its maximum of followers and pending requests"
                ),
                "413": error("Body over 1 MiB"),
                "422": error("Malformed body, or a channel that cannot be followed through the API (Telegram)"),
                "429": error("Too many wrong tries; see Retry-After"),
            },
        }
    },
    "/api/v1/dossiers/{code}/followers/confirm": {
        "post": {
            "summary": "Confirm a follow with the one-time code sent to the phone",
            "parameters": [_CODE],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["otp"],
                    "properties": {
                        "channel": {
                            "type": "string",
                            "enum": [s.channel.value for s in followable() if s.follow_confirmation == "code"],
                        },
                        "otp": {"type": "string", "pattern": "^[0-9]{6}$"},
                        **{
                            s.address_field: {"type": "string"}
                            for s in followable()
                            if s.follow_confirmation == "code" and s.address_field
                        },
                    },
                }
            ),
            "responses": {
                "200": json_response("Now following"),
                "404": error("No pending request for this address, or it expired"),
                "409": error("The address withdrew its consent meanwhile"),
                "413": error("Body over 1 MiB"),
                "422": error("Malformed body or wrong code (each wrong code counts towards 429)"),
                "429": error("Too many wrong tries; see Retry-After"),
            },
        }
    },
    "/follow/{token}": {
        "get": {
            "summary": "Asks to confirm a follow (a GET from a mail scanner changes nothing)",
            "parameters": [_TOKEN],
            "responses": {
                "200": {"description": "Confirmation page", **_HTML},
                "404": {"description": "Invalid link", **_HTML},
            },
        },
        "post": {
            "summary": "Confirm a follow (the page's button)",
            "parameters": [_TOKEN],
            "responses": {
                "200": {"description": "Now following", **_HTML},
                "404": {"description": "Invalid or expired link", **_HTML},
                "409": {"description": "The address withdrew its consent meanwhile", **_HTML},
            },
        },
    },
    "/unsubscribe/{token}": {
        "get": {
            "summary": "Asks to confirm (a GET from a mail scanner changes nothing)",
            "parameters": [_TOKEN],
            "responses": {
                "200": {"description": "Confirmation page", **_HTML},
                "404": {"description": "Invalid link", **_HTML},
            },
        },
        "post": {
            "summary": "Withdraw email consent (the page's button, and RFC 8058 one-click)",
            "parameters": [_TOKEN],
            "responses": {"200": {"description": "Done", **_HTML}, "404": {"description": "Invalid link", **_HTML}},
        },
    },
    "/api/v1/broadcasts": {
        "post": {
            "summary": "Announce to many citizens (consent, quiet hours and rate limits apply)",
            "security": AUTH,
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["template", "recipients"],
                    "properties": {
                        "template": {"type": "string"},
                        "context": {"type": "object"},
                        "urgent": {"type": "boolean"},
                        "recipients": {"type": "array", "items": {"type": "object"}},
                    },
                }
            ),
            "responses": {
                "202": json_response("Queued; same content gives the same broadcast"),
                "401": error("Missing or wrong API key"),
                "409": error("Cancelled before"),
                "413": error("Body over 1 MiB"),
                "422": error("Malformed body, or the template does not render with this context"),
            },
        }
    },
    "/api/v1/broadcasts/{broadcast_id}": {
        "get": {
            "summary": "Progress of a broadcast",
            "security": AUTH,
            "parameters": [_BROADCAST],
            "responses": {
                "200": json_response("Progress"),
                "401": error("Missing or wrong API key"),
                "404": error("Unknown broadcast"),
            },
        }
    },
    "/api/v1/broadcasts/{broadcast_id}/cancel": {
        "post": {
            "summary": "Stop sending what has not gone yet",
            "security": AUTH,
            "parameters": [_BROADCAST],
            "responses": {
                "200": json_response("Progress after cancelling"),
                "401": error("Missing or wrong API key"),
                "404": error("Unknown broadcast"),
            },
        }
    },
}
