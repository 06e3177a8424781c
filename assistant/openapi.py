"""OpenAPI paths for the assistant and escalations (merged into the app's document)."""

from __future__ import annotations

from channels.registry import REGISTRY
from notify.openapi import _AUTH, _body, _error, _json

PATHS = {
    "/api/v1/assistant/messages": {"post": {
        "summary": "One message from a web chat or kiosk session; the assistant's replies (text and buttons)",
        "requestBody": _body({"type": "object", "required": ["sender", "text"], "properties": {
            "sender": {"type": "string", "maxLength": 100, "description": "the session's own id"},
            "text": {"type": "string", "maxLength": 2000},
            "channel": {"type": "string", "enum": [c.value for c, s in REGISTRY.items() if s.web_session]},
            "message_id": {"type": "string", "maxLength": 100,
                           "description": "sent again (a retry), the message is not answered twice"}}}),
        "responses": {"200": _json("The replies"), "413": _error("Body too large"),
                      "422": _error("Missing sender or text")}}},
    "/api/v1/escalations": {"get": {
        "summary": "Conversations handed to a person, newest first, with their transcript",
        "security": _AUTH,
        "parameters": [{"name": "state", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["open", "closed"]}}],
        "responses": {"200": _json("Escalations"), "401": _error("Missing or wrong API key"),
                      "422": _error("Unknown state")}}},
}
