"""OpenAPI paths for the notification endpoints (merged into the app's document)."""

from __future__ import annotations

from channels.registry import followable
from models.citizen import Channel


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, schema: dict | None = None) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": schema or {"type": "object"}}}}


_AUTH = [{"apiKey": []}]
_CITIZEN = {"name": "citizen_id", "in": "path", "required": True, "schema": {"type": "string"}}
_BROADCAST = {"name": "broadcast_id", "in": "path", "required": True, "schema": {"type": "string"}}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
_CHANNEL = {"type": "string", "enum": [c.value for c in Channel]}
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS = {
    "/api/v1/notifications": {"get": {
        "summary": "Notifications with their attempts, by dossier, citizen or broadcast (exactly one filter)",
        "security": _AUTH,
        "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                       for n in ("dossier", "citizen", "broadcast")],
        "responses": {"200": _json("Notifications, oldest first"), "401": _error("Missing or wrong API key"),
                      "422": _error("None or several filters")}}},
    "/api/v1/citizens/{citizen_id}/consents": {
        "get": {"summary": "The citizen's consent ledger and what it adds up to per channel",
                "security": _AUTH, "parameters": [_CITIZEN],
                "responses": {"200": _json("Consents"), "401": _error("Missing or wrong API key"),
                              "404": _error("Unknown citizen")}},
        "post": {"summary": "Append a grant or a withdrawal to the ledger", "security": _AUTH,
                 "parameters": [_CITIZEN],
                 "requestBody": _body({"type": "object", "required": ["channel", "granted"], "properties": {
                     "channel": _CHANNEL, "granted": {"type": "boolean"},
                     "at": {"type": "string", "format": "date-time"}, "via": {"type": "string"},
                     "legal_basis": {"type": "string"}}}),
                 "responses": {"201": _json("The ledger after the change"),
                               "401": _error("Missing or wrong API key"), "404": _error("Unknown citizen"),
                               "413": _error("Body over 1 MiB"), "422": _error("Malformed body")}}},
    "/api/v1/dossiers/{code}/followers": {"post": {
        "summary": "Follow a dossier by its code and the applicant's last four phone digits",
        "parameters": [_CODE],
        "requestBody": _body({"type": "object", "required": ["verify"], "properties": {
            "verify": {"type": "string", "pattern": "^[0-9]{4}$"},
            "channel": {"type": "string", "enum": [s.channel.value for s in followable()]},
            **{s.address_field: {"type": "integer" if s.address_type is int else "string"} for s in followable()}}}),
        "responses": {"200": _json("Already following"), "201": _json("Now following"),
                      "404": _error("Unknown code or wrong digits"), "413": _error("Body over 1 MiB"),
                      "422": _error("Malformed body"), "429": _error("Too many wrong tries; see Retry-After")}}},
    "/unsubscribe/{token}": {
        "get": {"summary": "Asks to confirm (a GET from a mail scanner changes nothing)", "parameters": [_TOKEN],
                "responses": {"200": {"description": "Confirmation page", **_HTML},
                              "404": {"description": "Invalid link", **_HTML}}},
        "post": {"summary": "Withdraw email consent (the page's button, and RFC 8058 one-click)",
                 "parameters": [_TOKEN],
                 "responses": {"200": {"description": "Done", **_HTML},
                               "404": {"description": "Invalid link", **_HTML}}}},
    "/api/v1/broadcasts": {"post": {
        "summary": "Announce to many citizens (consent, quiet hours and rate limits apply)", "security": _AUTH,
        "requestBody": _body({"type": "object", "required": ["template", "recipients"], "properties": {
            "template": {"type": "string"}, "context": {"type": "object"}, "urgent": {"type": "boolean"},
            "recipients": {"type": "array", "items": {"type": "object"}}}}),
        "responses": {"202": _json("Queued; same content gives the same broadcast"),
                      "401": _error("Missing or wrong API key"), "409": _error("Cancelled before"),
                      "413": _error("Body over 1 MiB"),
                      "422": _error("Malformed body, or the template does not render with this context")}}},
    "/api/v1/broadcasts/{broadcast_id}": {"get": {
        "summary": "Progress of a broadcast", "security": _AUTH, "parameters": [_BROADCAST],
        "responses": {"200": _json("Progress"), "401": _error("Missing or wrong API key"),
                      "404": _error("Unknown broadcast")}}},
    "/api/v1/broadcasts/{broadcast_id}/cancel": {"post": {
        "summary": "Stop sending what has not gone yet", "security": _AUTH, "parameters": [_BROADCAST],
        "responses": {"200": _json("Progress after cancelling"), "401": _error("Missing or wrong API key"),
                      "404": _error("Unknown broadcast")}}},
}
