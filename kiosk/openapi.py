"""OpenAPI paths of the kiosk package (merged into the app's document by hub/app.py).

WEBCHAT_PATHS: the web chat's session API (kiosk/webchat_api.py); other
parts of the package add theirs to PATHS beside it."""

from __future__ import annotations

from hub.api.openapi import error, json_body, json_response

_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 43, "maxLength": 43, "pattern": "^[A-Za-z0-9_-]{43}$"},
    "description": "the session's token from POST /webchat/sessions (kept by the page in localStorage)",
}
_AFTER = {
    "name": "after",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0},
    "description": "only messages with a larger id",
}
_MESSAGE = {
    "type": "object",
    "required": ["id", "direction", "author", "text", "buttons", "at"],
    "properties": {
        "id": {"type": "integer"},
        "direction": {"type": "string", "enum": ["in", "out"]},
        "author": {"type": "string", "enum": ["citizen", "assistant", "agent"]},
        "text": {"type": "string"},
        "buttons": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "payload": {"type": "string"}},
            },
        },
        "at": {"type": "string", "format": "date-time"},
    },
}
_FOREIGN = error("The request comes from a page whose origin is not in TONGDAI_WEBCHAT_ORIGINS")
_UNKNOWN = error("Not a session token this service issued")
_LIMITED = error("Too many requests from this address (Retry-After)")


def _preflight(what: str, *, token: bool = False) -> dict:
    return {
        "summary": f"CORS preflight of {what}: allowed origins only",
        "parameters": [_TOKEN] if token else [],
        "responses": {"204": {"description": "Allowed (Access-Control-Allow-* headers)"}, "403": _FOREIGN},
    }


WEBCHAT_PATHS = {
    "/webchat/sessions": {
        "post": {
            "summary": "Start a web chat session: a new server-issued token",
            "responses": {
                "201": json_response(
                    "The session",
                    {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
                ),
                "403": _FOREIGN,
                "429": _LIMITED,
            },
        },
        "options": _preflight("starting a session"),
    },
    "/webchat/sessions/{token}/messages": {
        "get": {
            "summary": "The session's messages (no agents' notes), after a message id",
            "parameters": [_TOKEN, _AFTER],
            "responses": {
                "200": json_response(
                    "The messages, oldest first, and the last id",
                    {
                        "type": "object",
                        "properties": {
                            "messages": {"type": "array", "items": _MESSAGE},
                            "last": {"type": "integer"},
                        },
                    },
                ),
                "403": _FOREIGN,
                "404": _UNKNOWN,
                "422": error("A bad 'after'"),
                "429": _LIMITED,
            },
        },
        "post": {
            "summary": "The citizen's message; the assistant's replies. The same client_id again stores nothing",
            "parameters": [_TOKEN],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "text": {"type": "string", "maxLength": 2000},
                        "client_id": {
                            "type": "string",
                            "maxLength": 64,
                            "description": "chosen by the page: a resend after a dropped connection is stored once",
                        },
                    },
                }
            ),
            "responses": {
                "201": json_response(
                    "The stored message and the assistant's replies",
                    {
                        "type": "object",
                        "properties": {
                            "message": _MESSAGE,
                            "replies": {"type": "array", "items": _MESSAGE},
                            "client_id": {"type": "string"},
                        },
                    },
                ),
                "403": _FOREIGN,
                "404": _UNKNOWN,
                "413": error("Body too large"),
                "422": error("Missing or bad text or client_id"),
                "429": _LIMITED,
            },
        },
        "options": _preflight("the messages", token=True),
    },
    "/webchat/sessions/{token}/contact": {
        "post": {
            "summary": "A phone or email where an agent's answer goes once the page is closed (consent given here)",
            "parameters": [_TOKEN],
            "requestBody": json_body(
                {
                    "type": "object",
                    "properties": {
                        "phone": {"type": "string", "description": "0xxxxxxxxx or +84xxxxxxxxx"},
                        "email": {"type": "string", "format": "email"},
                    },
                    "description": "exactly one of phone and email",
                }
            ),
            "responses": {
                "200": json_response(
                    "Saved (the contact masked)",
                    {
                        "type": "object",
                        "properties": {
                            "saved": {"type": "boolean"},
                            "channel": {"type": "string"},
                            "contact": {"type": "string"},
                        },
                    },
                ),
                "403": _FOREIGN,
                "404": _UNKNOWN,
                "409": error("No message yet on the session, or the address withdrew its consent"),
                "413": error("Body too large"),
                "422": error("Neither or both, or not a phone or email"),
                "429": _LIMITED,
            },
        },
        "options": _preflight("leaving a contact", token=True),
    },
    "/webchat/sessions/{token}/live": {
        "get": {
            "summary": "Websocket: a hello {kind, last}, then each new message of the session {kind: message, message}",
            "parameters": [_TOKEN, _AFTER],
            "responses": {
                "101": {"description": "Switching to the websocket"},
                "403": _FOREIGN,
                "404": _UNKNOWN,
                "422": error("A bad 'after'"),
                "429": _LIMITED,
            },
        },
    },
}

# The widget's script and its demo page (kiosk/widget_pages.py).
WIDGET_PATHS = {
    "/widget.js": {
        "get": {
            "summary": "The web chat widget: one script a portal embeds with <script src=... async> (no-cache, ETag)",
            "responses": {
                "200": {
                    "description": "The script (gzip when accepted)",
                    "content": {"application/javascript": {"schema": {"type": "string"}}},
                },
                "304": {"description": "Unchanged since the ETag given in If-None-Match"},
                "429": _LIMITED,
            },
        }
    },
    "/chat": {
        "get": {
            "summary": "A demo page of the province portal embedding the widget (Vietnamese)",
            "responses": {
                "200": {"description": "Page", "content": {"text/html": {"schema": {"type": "string"}}}},
                "429": _LIMITED,
            },
        }
    },
}

# Rasa's socket.io channel (kiosk/socketio_channel.py): Engine.IO's transport
# requests; the events are described there (session_request, user_uttered, bot_uttered).
_ENGINEIO = [
    {"name": "EIO", "in": "query", "required": False, "schema": {"type": "string"}, "description": "protocol: 4"},
    {
        "name": "transport",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["polling", "websocket"]},
    },
    {"name": "sid", "in": "query", "required": False, "schema": {"type": "string"}, "description": "Engine.IO session"},
]
_SOCKETIO_ANSWERS = {
    "200": {"description": "Engine.IO packets", "content": {"text/plain": {"schema": {"type": "string"}}}},
    "400": {"description": "Not an Engine.IO request, or an unknown sid"},
    "403": _FOREIGN,
    "429": _LIMITED,
}
SOCKETIO_PATHS = {
    "/socket.io/": {
        "get": {
            "parameters": _ENGINEIO,
            "summary": "Rasa's socket.io web chat protocol: the handshake, long polling, or the websocket (101)",
            "responses": {**_SOCKETIO_ANSWERS, "101": {"description": "Switching to the websocket"}},
        },
        "post": {
            "summary": "Engine.IO long polling: packets from the client",
            "parameters": _ENGINEIO,
            "responses": {**_SOCKETIO_ANSWERS, "413": error("More than 64 kB of packets")},
        },
        "options": {
            "summary": "CORS preflight of the socket.io transport: allowed origins only",
            "responses": {"200": {"description": "Allowed (Access-Control-Allow-* headers)"}, **_SOCKETIO_ANSWERS},
        },
    },
}

PATHS = {**WEBCHAT_PATHS, **WIDGET_PATHS, **SOCKETIO_PATHS}
