"""OpenAPI paths for the channels' webhooks (merged into the app's document)."""

from __future__ import annotations

from hub.api.openapi import error

_PROVIDER = {"name": "provider", "in": "path", "required": True, "schema": {"type": "string"}}
_FORM = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
_RAW_JSON = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}


def _webhook(summary: str, body: dict, ok: str, parameters: list | None = None, status: str = "200") -> dict:
    return {
        "post": {
            "summary": summary,
            "requestBody": body,
            "parameters": parameters or [],
            "responses": {
                status: {"description": ok},
                "404": error("No such provider"),
                "400": error("Not a message this webhook understands"),
                "403": error("Missing or wrong signature / secret: nothing was touched"),
            },
        }
    }


# Added by the app only for the webhooks it mounts.
WEBHOOKS = {
    "/webhooks/twilio/sms/status": _webhook(
        "Twilio delivery receipts (X-Twilio-Signature)", _FORM, "Recorded", status="204"
    ),
    "/webhooks/twilio/sms/inbound": _webhook(
        "Inbound SMS from Twilio (X-Twilio-Signature); TwiML reply", _FORM, "TwiML with the replies"
    ),
    "/webhooks/sms/{provider}/inbound": _webhook(
        "Inbound SMS from a Vietnamese gateway (X-Signature HMAC)", _RAW_JSON, "Stored", [_PROVIDER]
    ),
    "/webhooks/sms/{provider}/status": _webhook(
        "Delivery reports from a Vietnamese gateway (X-Signature HMAC)",
        _RAW_JSON,
        "Recorded",
        [_PROVIDER],
        status="204",
    ),
    "/webhooks/telegram": _webhook("Telegram updates (X-Telegram-Bot-Api-Secret-Token)", _RAW_JSON, "Handled"),
}
