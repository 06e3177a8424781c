"""The OpenAPI 3 document: the helpers every package describes its paths
with, the core's own paths (dossiers, operations), and `build_spec`, which the
composition root calls with each feature package's paths. A test checks the
result against the router."""

from __future__ import annotations

from hub.api.body import OPTIONAL_TEXT_PATTERN, TEXT_PATTERN
from models.citizen import Channel
from models.dossier import NATIONAL_PORTAL_CODES, DossierStatus

AUTH: list[dict[str, list[str]]] = [{"apiKey": []}]
CHANNEL = {"type": "string", "enum": [c.value for c in Channel]}


_NOTIFY = {
    "type": "boolean",
    "default": True,
    "description": "false: record without a notice (migrating history). An event older than "
    "TONGDAI_NOTIFY_MAX_EVENT_AGE_HOURS (24) when it arrives is recorded without one too.",
}

_NOTIFIED = {
    "type": "boolean",
    "description": "Whether this request's event is to be notified; false: recorded in the "
    "timeline without a notice (notify: false, or older than the age limit)",
}


def error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def json_response(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
    "description": "Dossier code as the one-stop-shop issues it, e.g. 000.00.21.H12-241105-0012",
}
_STATUS = {
    "oneOf": [
        {"type": "string", "enum": [s.value for s in DossierStatus]},
        {
            "type": "integer",
            "enum": sorted(NATIONAL_PORTAL_CODES),
            "description": "National public-service portal code (1 Mới đăng ký … 10 Đã trả kết quả)",
        },
    ]
}
_TIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601; without an offset it is read as Asia/Ho_Chi_Minh",
}

_TEXT = {"type": "string", "minLength": 1, "maxLength": 500, "pattern": TEXT_PATTERN}  # stripped, then required


def _links(*operations: str) -> dict:
    """OpenAPI links from a stored dossier to what may follow it, with its
    code: schemathesis' stateful phase chains PUT, events and the lookup
    through them (tests/test_openapi_fuzz.py). Only PUT links onward: an
    operation with links becomes a starting point, and events with a random
    code would start every sequence with a 404."""
    return {
        op[0].upper() + op[1:]: {"operationId": op, "parameters": {"code": "$request.path.code"}} for op in operations
    }


_AFTER_PUT = _links("putDossier", "recordDossierEvent", "lookupDossier")


def build_spec(*parts: dict) -> dict:
    """The whole document: the core's paths and each feature package's."""
    paths: dict = {}
    for part in parts:
        paths.update(part)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Tổng đài API",
            "version": "1.0.0",
            "description": "Dossier tracking and citizen contact for a provincial e-government.",
        },
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Key from `tongdai apikey create --name NAME`",
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                    },
                },
                "Applicant": {
                    "type": "object",
                    "required": ["full_name"],
                    "properties": {
                        "full_name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": TEXT_PATTERN},
                        "phone": {
                            "type": "string",
                            "pattern": "^(0|\\+84)[1-9][0-9]{8}$",
                            "description": "0xxxxxxxxx or +84xxxxxxxxx",
                        },
                        "email": {"type": "string", "format": "email"},
                        "id_number": {
                            "type": "string",
                            "pattern": "^([0-9]{9}|[0-9]{12})$",
                            "description": "CCCD, 12 digits",
                        },
                        "telegram_chat_id": {"type": "integer"},
                        "preferred_channels": {"type": "array", "items": CHANNEL},
                        "consents": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["channel", "granted"],
                                "properties": {
                                    "channel": CHANNEL,
                                    "granted": {"type": "boolean"},
                                    "at": _TIME,
                                    "via": {"type": "string"},
                                    "legal_basis": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "DossierIn": {
                    "type": "object",
                    "required": ["procedure", "agency", "received_at", "applicant"],
                    "properties": {
                        "procedure": _TEXT,
                        "agency": _TEXT,
                        "received_at": _TIME,
                        "due_at": _TIME,
                        "status": _STATUS,
                        "applicant": {"$ref": "#/components/schemas/Applicant"},
                        "notify": _NOTIFY,
                    },
                },
                "StatusEventIn": {
                    "type": "object",
                    "required": ["event_id", "status", "at", "actor"],
                    "properties": {
                        "event_id": {**_TEXT, "maxLength": 200},
                        "status": _STATUS,
                        "at": _TIME,
                        "actor": {**_TEXT, "maxLength": 200},
                        "note": {"type": "string", "maxLength": 4000, "pattern": OPTIONAL_TEXT_PATTERN},
                        "due_at": _TIME,
                        "result": {
                            "type": "object",
                            "description": "How the result is handed over: method "
                            "counter|post, place, hours, tracking_code, "
                            "address",
                            "properties": {"method": {"type": "string", "enum": ["counter", "post"]}},
                        },
                        "notify": _NOTIFY,
                    },
                },
                "StatusEventOut": {
                    "type": "object",
                    "properties": {
                        "event_id": {"type": "string"},
                        "code": {"type": "string"},
                        "previous_status": {"type": "string"},
                        "status": {"type": "string"},
                        "status_label": {"type": "string"},
                        "at": _TIME,
                        "recorded_at": _TIME,
                        "notified": _NOTIFIED,
                    },
                },
                "Dossier": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "procedure": _TEXT,
                        "agency": _TEXT,
                        "status": {"type": "string"},
                        "status_label": {"type": "string"},
                        "overdue": {"type": "boolean"},
                        "display_status": {"type": "string"},
                        "received_at": _TIME,
                        "due_at": _TIME,
                        "received_at_display": {"type": "string", "description": "dd/mm/yyyy HH:MM"},
                        "due_at_display": {"type": "string"},
                        "applicant": {"type": "string", "description": "masked name (public view)"},
                        "applicant_id": {"type": "string", "description": "full view only"},
                        "timeline": {"type": "array", "items": {"type": "object"}},
                        "notified": {**_NOTIFIED, "description": "PUT only: " + _NOTIFIED["description"]},
                    },
                },
            },
        },
        "paths": {
            "/api/v1/dossiers/{code}": {
                "put": {
                    "operationId": "putDossier",
                    "summary": "Create or update a dossier and its applicant (one-stop-shop)",
                    "security": AUTH,
                    "parameters": [_CODE],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DossierIn"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "Updated",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dossier"}}},
                            "links": _AFTER_PUT,
                        },
                        "201": {
                            "description": "Created",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dossier"}}},
                            "links": _AFTER_PUT,
                        },
                        "401": error("Missing or wrong API key"),
                        "409": error("Status differs from the stored one, or the phone/ID belongs to another citizen"),
                        "413": error("Body over 1 MiB"),
                        "422": error("Malformed body; `field` names the culprit"),
                    },
                },
                "get": {
                    "operationId": "lookupDossier",
                    "summary": "Public, masked view of a dossier (kiosk, phone, chat)",
                    "parameters": [
                        _CODE,
                        {
                            "name": "verify",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9]{4}$"},
                            "description": "Last four digits of the applicant's phone",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The dossier",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dossier"}}},
                        },
                        "404": error("Unknown code or wrong digits (the same answer for both)"),
                        "422": error("verify is not 4 ASCII digits, or the code is malformed (`field` says which)"),
                        "429": error(
                            "Too many failures from this address (5) or on this code (10) in 15 min; Retry-After"
                        ),
                    },
                },
            },
            "/api/v1/dossiers/{code}/events": {
                "post": {
                    "operationId": "recordDossierEvent",
                    "summary": "Record a status change; idempotent on event_id",
                    "security": AUTH,
                    "parameters": [_CODE],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StatusEventIn"}}},
                    },
                    "responses": {
                        "201": {
                            "description": "Recorded (a repeat answers the same, with Idempotent-Replayed)",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/StatusEventOut"}}
                            },
                        },
                        "401": error("Missing or wrong API key"),
                        "404": error("Unknown dossier"),
                        "409": error("Illegal transition (allowed_next lists the legal ones) or event_id reused"),
                        "413": error("Body over 1 MiB"),
                        "422": error("Unknown status or malformed body; `field` names the culprit"),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "This description", "responses": {"200": {"description": "OpenAPI 3 document"}}}
            },
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "Alive"}}}},
            "/readyz": {
                "get": {
                    "summary": "Store reachable, migrations applied and a write kept; `channels`: each "
                    "notifying channel's provider and mode (real, recording, unavailable); "
                    "`degraded` lists channels down",
                    "responses": {"200": {"description": "Ready"}, "503": {"description": "Not ready"}},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {
                            "description": "Prometheus text format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            **paths,
        },
    }
