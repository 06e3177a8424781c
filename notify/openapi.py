"""OpenAPI paths for the notification endpoints (merged into the app's document)."""

from __future__ import annotations

from channels.registry import followable
from hub.api.openapi import AUTH, CHANNEL, error, json_body, json_response

_CITIZEN = {"name": "citizen_id", "in": "path", "required": True, "schema": {"type": "string"}}
_BROADCAST = {"name": "broadcast_id", "in": "path", "required": True, "schema": {"type": "string"}}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}


PATHS = {
    "/api/v1/notifications": {
        "get": {
            "summary": "Notifications with their attempts, by dossier, citizen or broadcast (exactly one filter)",
            "security": AUTH,
            "parameters": [
                {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                for n in ("dossier", "citizen", "broadcast")
            ],
            "responses": {
                "200": json_response("Notifications, oldest first"),
                "401": error("Missing or wrong API key"),
                "422": error("None or several filters"),
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
                        "at": {"type": "string", "format": "date-time"},
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
                "422": error("Malformed body"),
            },
        },
    },
    "/api/v1/dossiers/{code}/followers": {
        "post": {
            "summary": "Follow a dossier by its code and the applicant's last four phone digits",
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
                "201": json_response("Now following"),
                "404": error("Unknown code or wrong digits"),
                "413": error("Body over 1 MiB"),
                "422": error("Malformed body"),
                "429": error("Too many wrong tries; see Retry-After"),
            },
        }
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
