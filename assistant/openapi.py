"""OpenAPI paths for the assistant (merged into the app's document)."""

from __future__ import annotations

from channels.registry import REGISTRY
from hub.api.openapi import error, json_body, json_response

PATHS = {
    "/api/v1/assistant/messages": {
        "post": {
            "summary": "One message from a web chat or kiosk session; the assistant's replies (text and buttons)",
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["sender", "text"],
                    "properties": {
                        "sender": {"type": "string", "maxLength": 100, "description": "the session's own id"},
                        "text": {"type": "string", "maxLength": 2000},
                        "channel": {"type": "string", "enum": [c.value for c, s in REGISTRY.items() if s.web_session]},
                        "message_id": {
                            "type": "string",
                            "maxLength": 100,
                            "description": "sent again (a retry), the message is not answered twice",
                        },
                    },
                }
            ),
            "responses": {
                "200": json_response("The replies"),
                "413": error("Body too large"),
                "422": error("Missing sender or text"),
            },
        }
    },
}
