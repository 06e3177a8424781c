"""OpenAPI paths for the kiosk's API (kiosk/api.py), merged into the app's document."""

from __future__ import annotations

from hub.api.openapi import error, json_body, json_response

# Every call: `Authorization: Kiosk <key>` (the key from `tongdai kiosk create`).
_AUTH = {
    "name": "Authorization",
    "in": "header",
    "required": True,
    "description": "Kiosk <key>: the key in the kiosk's URL fragment (`tongdai kiosk create`)",
    "schema": {"type": "string", "maxLength": 300},
}
_SESSION = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$", "description": "per visitor, forgotten on idle reset"}
_CODE = {"type": "string", "maxLength": 100, "description": "the dossier code as typed"}
_QR = {
    "type": "string",
    "maxLength": 2000,
    "description": "the receipt's QR payload (Circular 01/2023/TT-VPCP) or a code",
}
_DIGITS = {"type": "string", "pattern": "^[0-9]{4}$", "description": "the applicant's phone's last four digits"}
_PHONE = {"type": "string", "maxLength": 30, "description": "0xxxxxxxxx or +84xxxxxxxxx"}


def _op(summary: str, ok: str, *, status: str = "200", body: dict | None = None, extra: dict | None = None) -> dict:
    responses = {
        status: json_response(ok),
        "401": error("No kiosk key, a wrong one, or a disabled kiosk"),
        "429": error("Too many requests from this kiosk or address (Retry-After)"),
        **({"413": error("Body too large"), "422": error("A field is missing or malformed")} if body else {}),
        **(extra or {}),
    }
    operation: dict = {"summary": summary, "tags": ["kiosk"], "parameters": [_AUTH], "responses": responses}
    if body is not None:
        operation["requestBody"] = json_body(body)
    return operation


PATHS = {
    # The touch-screen page (kiosk/kiosk_pages.py): no key to load it; its key stays in the URL fragment.
    "/kiosk": {
        "get": {
            "summary": "The kiosk's touch-screen page (look up a dossier, ask, rate)",
            "tags": ["kiosk"],
            "responses": {
                "200": {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}},
                "429": error("Too many requests from this address (Retry-After)"),
            },
        }
    },
    "/kiosk/api/config": {"get": _op("The kiosk's name and the page's settings (idle reset seconds)", "Config")},
    "/kiosk/api/lookup": {
        "post": _op(
            "A dossier for the kiosk screen, by code or receipt QR and the phone's last four digits",
            "The dossier: status, timeline, appointment, overdue apology, supplement, where to collect",
            body={
                "type": "object",
                "required": ["digits"],
                "properties": {"code": _CODE, "qr": _QR, "digits": _DIGITS},
            },
            extra={"404": error("No such dossier, or wrong digits (the same answer)")},
        )
    },
    "/kiosk/api/messages": {
        "post": _op(
            "A visitor's question to the assistant (channel kiosk); its replies",
            "The replies (text and buttons)",
            body={
                "type": "object",
                "required": ["session", "text"],
                "properties": {
                    "session": _SESSION,
                    "text": {"type": "string", "maxLength": 2000},
                    "client_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                },
            },
        )
    },
    "/kiosk/api/callback": {
        "post": _op(
            "The visitor leaves a phone to be called back: an escalation in the console (reason callback)",
            "Queued",
            status="201",
            body={
                "type": "object",
                "required": ["session", "phone"],
                "properties": {"session": _SESSION, "phone": _PHONE, "note": {"type": "string", "maxLength": 1000}},
            },
        )
    },
    "/kiosk/api/follow": {
        "post": _op(
            "Follow a dossier by SMS: a confirmation code is sent to the phone",
            "The confirmation code was sent (request_id to confirm with)",
            status="202",
            body={
                "type": "object",
                "required": ["digits", "phone"],
                "properties": {"code": _CODE, "qr": _QR, "digits": _DIGITS, "phone": _PHONE},
            },
            extra={
                "200": json_response("The phone already follows the dossier"),
                "404": error("No such dossier, or wrong digits"),
                "409": error("The phone withdrew its consent, or the dossier has all its followers"),
            },
        )
    },
    "/kiosk/api/follow/confirm": {
        "post": _op(
            "The code the phone received: the phone now follows the dossier",
            "Following",
            body={
                "type": "object",
                "required": ["request_id", "otp"],
                "properties": {"request_id": {"type": "string", "maxLength": 100}, "otp": {"type": "string"}},
            },
            extra={"404": error("No such pending request, or it expired")},
        )
    },
    "/kiosk/api/rating": {
        "post": _op(
            "The visitor's rating of the service, 1 to 5, stored for this kiosk",
            "Stored",
            status="201",
            body={
                "type": "object",
                "required": ["score"],
                "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}},
            },
        )
    },
}
