"""OpenAPI paths for conversations and the channels' webhooks (merged into the app's document)."""

from __future__ import annotations

from notify.openapi import _AUTH, _CHANNEL, _error, _json

_ID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PROVIDER = {"name": "provider", "in": "path", "required": True, "schema": {"type": "string"}}
_FORM = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
_RAW_JSON = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}


def _webhook(summary: str, body: dict, ok: str, parameters: list | None = None, status: str = "200") -> dict:
    return {"post": {"summary": summary, "requestBody": body, "parameters": parameters or [],
                     "responses": {status: {"description": ok}, "404": _error("No such provider"), "400": _error("Not a message this webhook understands"),
                                   "403": _error("Missing or wrong signature / secret: nothing was touched")}}}


PATHS = {
    "/api/v1/conversations": {"get": {
        "summary": "Conversations, newest first, with their messages (addresses masked)",
        "security": _AUTH,
        "parameters": [{"name": "channel", "in": "query", "required": False, "schema": _CHANNEL},
                       {"name": "citizen", "in": "query", "required": False, "schema": {"type": "string"}},
                       {"name": "dossier", "in": "query", "required": False, "schema": {"type": "string"}},
                       {"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
        "responses": {"200": _json("Conversations"), "401": _error("Missing or wrong API key"),
                      "422": _error("Unknown channel or limit out of range")}}},
    "/api/v1/conversations/{conversation_id}": {"get": {
        "summary": "One conversation with its messages", "security": _AUTH, "parameters": [_ID],
        "responses": {"200": _json("The conversation"), "401": _error("Missing or wrong API key"),
                      "404": _error("No such conversation")}}},
    "/api/v1/dossiers/{code}/telegram-link": {"get": {
        "summary": "A t.me deep link (for the receipt's QR code) that links the applicant's Telegram chat",
        "security": _AUTH,
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _json("{code, url, expires_at}"), "401": _error("Missing or wrong API key"),
                      "404": _error("Unknown dossier"), "409": _error("Telegram is not configured"),
                      "422": _error("Code unusable in a link")}}},
}

# Added by the app only for the webhooks it mounts.
WEBHOOKS = {
    "/webhooks/twilio/sms/status": _webhook("Twilio delivery receipts (X-Twilio-Signature)", _FORM, "Recorded",
                                            status="204"),
    "/webhooks/twilio/sms/inbound": _webhook("Inbound SMS from Twilio (X-Twilio-Signature); TwiML reply", _FORM,
                                             "TwiML with the replies"),
    "/webhooks/sms/{provider}/inbound": _webhook("Inbound SMS from a Vietnamese gateway (X-Signature HMAC)",
                                                 _RAW_JSON, "Stored", [_PROVIDER]),
    "/webhooks/sms/{provider}/status": _webhook("Delivery reports from a Vietnamese gateway (X-Signature HMAC)",
                                                _RAW_JSON, "Recorded", [_PROVIDER], status="204"),
    "/webhooks/telegram": _webhook("Telegram updates (X-Telegram-Bot-Api-Secret-Token)", _RAW_JSON, "Handled"),
}
