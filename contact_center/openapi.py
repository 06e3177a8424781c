"""OpenAPI paths for conversations and escalations (merged into the app's document)."""

from __future__ import annotations

from hub.api.openapi import AUTH, CHANNEL, error, json_response

_ID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}}
PATHS = {
    "/api/v1/conversations": {
        "get": {
            "summary": "Conversations, newest first, with their messages (addresses masked)",
            "security": AUTH,
            "parameters": [
                {"name": "channel", "in": "query", "required": False, "schema": CHANNEL},
                {"name": "citizen", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "dossier", "in": "query", "required": False, "schema": {"type": "string"}},
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                },
            ],
            "responses": {
                "200": json_response("Conversations"),
                "401": error("Missing or wrong API key"),
                "422": error("Unknown channel or limit out of range"),
            },
        }
    },
    "/api/v1/conversations/{conversation_id}": {
        "get": {
            "summary": "One conversation with its messages",
            "security": AUTH,
            "parameters": [_ID],
            "responses": {
                "200": json_response("The conversation"),
                "401": error("Missing or wrong API key"),
                "404": error("No such conversation"),
            },
        }
    },
    "/api/v1/dossiers/{code}/telegram-link": {
        "get": {
            "summary": "A t.me deep link (for the receipt's QR code) that links the applicant's Telegram chat",
            "security": AUTH,
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": json_response("{code, url, expires_at}"),
                "401": error("Missing or wrong API key"),
                "404": error("Unknown dossier"),
                "409": error("Telegram is not configured"),
                "422": error("Code unusable in a link"),
            },
        }
    },
    "/api/v1/escalations": {
        "get": {
            "summary": "Conversations handed to a person, newest first, with their transcript",
            "security": AUTH,
            "parameters": [
                {
                    "name": "state",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["open", "closed"]},
                }
            ],
            "responses": {
                "200": json_response("Escalations"),
                "401": error("Missing or wrong API key"),
                "422": error("Unknown state"),
            },
        }
    },
}
