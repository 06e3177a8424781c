"""OpenAPI paths for the console's sign-in and its JSON (merged into the
app's document, which describes every route). The console authenticates by
its session cookie, never by an API key."""

from __future__ import annotations

from typing import Any

from hub.api.body import OPTIONAL_TEXT_PATTERN, TEXT_PATTERN
from hub.api.openapi import error, json_body, json_response

_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
_FORM = {
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}
        }
    }
}
_PASSWORD_FORM = {
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": {"password": {"type": "string"}}}
        }
    }
}
_SESSION: dict[str, Any] = {
    "401": error("No live console session (an API key is no session)"),
    "403": error("The agent's role is not enough"),
}
_PAGE: dict[str, Any] = {
    "303": {"description": "No live session: to /console/login"},
    "403": {"description": "The agent's role is not enough, or no CSRF token", **_HTML},
}

PATHS = {
    "/console/login": {
        "get": {"summary": "The console's sign-in page", "responses": {"200": {"description": "Form", **_HTML}}},
        "post": {
            "summary": "Sign in: a new session cookie, then to /console",
            "requestBody": _FORM,
            "responses": {
                "303": {"description": "Signed in"},
                "400": error("A form that cannot be read"),
                "401": {"description": "Wrong email or password", **_HTML},
                "413": error("Form too large"),
                "429": {"description": "Too many failures, or requests: Retry-After", **_HTML},
            },
        },
    },
    "/console/logout": {
        "post": {
            "summary": "Sign out: the session is revoked on the server (needs the CSRF token)",
            "responses": {"303": {"description": "Signed out, or no session: to /console/login"}, **_PAGE},
        }
    },
    "/console": {"get": {"summary": "The console", "responses": {"200": {"description": "Page", **_HTML}, **_PAGE}}},
    "/console/audit": {
        "get": {
            "summary": "The audit page (supervisor)",
            "responses": {"200": {"description": "Page", **_HTML}, **_PAGE},
        }
    },
    "/console/set-password/{token}": {
        "get": {
            "summary": "The one-time set-password page",
            "parameters": [_TOKEN],
            "responses": {
                "200": {"description": "Form", **_HTML},
                "410": {"description": "Link used, expired or unknown", **_HTML},
            },
        },
        "post": {
            "summary": "Set the password (at least 12 characters); the link is then used up",
            "parameters": [_TOKEN],
            "requestBody": _PASSWORD_FORM,
            "responses": {
                "200": {"description": "Set", **_HTML},
                "400": error("A form that cannot be read"),
                "410": {"description": "Link used, expired or unknown", **_HTML},
                "413": error("Form too large"),
                "422": {"description": "Password too short", **_HTML},
                "429": {"description": "Too many wrong links from this address: Retry-After", **_HTML},
            },
        },
    },
    "/console/api/me": {
        "get": {
            "summary": "The signed-in agent and the session's CSRF token",
            "responses": {"200": json_response("The agent"), **_SESSION},
        }
    },
    "/console/api/audit": {
        "get": {
            "summary": "The audit log, latest rows oldest first (supervisor)",
            "parameters": [
                {"name": "agent", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "object_type", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "object_id", "in": "query", "required": False, "schema": {"type": "string"}},
                {
                    "name": "since",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "format": "date-time"},
                },
                {
                    "name": "format",
                    "in": "query",
                    "required": False,
                    "description": "csv: the same rows as a download (itself an audited export)",
                    "schema": {"type": "string", "enum": ["json", "csv"]},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                },
            ],
            "responses": {
                "200": {
                    **json_response("Entries"),
                    "content": {
                        **json_response("Entries")["content"],
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "422": error("limit or since not understood"),
                **_SESSION,
            },
        }
    },
}

# The queue and conversations (contact_center/console_queue.py) and the rest
# of the console's JSON (contact_center/console_admin.py). Every write needs
# the session's X-CSRF-Token header (403 without it).
_CID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}}
_REASON = {"name": "reason", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200}}
_WRITE: dict[str, Any] = {
    "401": error("No live console session"),
    "403": error("The role is not enough, the conversation is not this agent's, or no CSRF token"),
    "404": error("No such conversation"),
    "413": error("Body too large"),
    "422": error("A field is wrong (named in 'field')"),
}
_READ: dict[str, Any] = {**_SESSION, "403": error("The role is not enough, or the conversation is not this agent's")}
_TEXT = {"type": "string", "pattern": TEXT_PATTERN, "maxLength": 4000}
_OPT = {"type": "string", "pattern": OPTIONAL_TEXT_PATTERN, "maxLength": 100}


def _q(name: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"}}


def _action(summary: str, body: dict | None = None, ok: str = "200") -> dict:
    operation: dict = {"summary": summary, "parameters": [_CID], "responses": {ok: json_response("Done"), **_WRITE}}
    if body is not None:
        operation["requestBody"] = json_body({"type": "object", "properties": body})
    return {"post": operation}


_CONV = "/console/api/conversations/{conversation_id}"
_QUEUE_PATHS: dict[str, Any] = {
    "/console/api/queue": {
        "get": {
            "summary": "A page of the queue as this agent may see it, and the count of each view",
            "parameters": [
                _q("view", {"type": "string", "enum": ["mine", "unassigned", "team", "all"]}),
                _q("status", {"type": "string", "enum": ["open", "pending", "snoozed", "resolved", "any"]}),
                _q("channel"),
                _q("priority", {"type": "integer", "minimum": 0, "maximum": 2}),
                _q("label"),
                _q("dossier"),
                _q("q"),
                _q("before"),
                _q("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            ],
            "responses": {
                "200": json_response("{items, next, counts}"),
                "422": error("A filter is wrong"),
                **_READ,
                "403": error("'all' is for supervisors"),
            },
        }
    },
    _CONV: {
        "get": {
            "summary": "The conversation, its messages and notes, why it escalated (an audited view)",
            "parameters": [_CID, _REASON],
            "responses": {"200": json_response("{item, messages}"), "404": error("No such conversation"), **_READ},
        }
    },
    _CONV + "/citizen": {
        "get": {
            "summary": "The citizen beside the conversation: history, dossiers, notices (each shown record audited)",
            "parameters": [_CID, _REASON],
            "responses": {"200": json_response("Citizen view"), "404": error("No such conversation"), **_READ},
        }
    },
    _CONV + "/claim": _action("Take an unassigned conversation (409: another agent has it)"),
    _CONV + "/assign": _action(
        "Transfer to an agent or a team, with a note (the assignee, or a supervisor)",
        {"agent_id": _OPT, "team": _OPT, "note": {**_TEXT, "pattern": OPTIONAL_TEXT_PATTERN}},
    ),
    _CONV + "/reply": _action(
        "Answer the citizen on their channel (the assignee, or a supervisor)", {"text": _TEXT}, "201"
    ),
    _CONV + "/notes": _action("A private note; @mentions alert the agents named", {"text": _TEXT}, "201"),
    _CONV + "/status": _action(
        "open, pending, snoozed (until snooze_until) or resolved (the assignee, or a supervisor)",
        {
            "status": {"type": "string", "enum": ["open", "pending", "snoozed", "resolved"]},
            "snooze_until": {"type": "string", "format": "date-time"},
        },
    ),
    _CONV + "/handback": _action("Back to the assistant (the assignee, or a supervisor)"),
    _CONV + "/labels": _action(
        "The conversation's labels", {"labels": {"type": "array", "maxItems": 20, "items": {"type": "string"}}}
    ),
    _CONV + "/priority": _action(
        "0 normal, 1 high, 2 urgent", {"priority": {"type": "integer", "minimum": 0, "maximum": 2}}
    ),
    "/console/api/sms-preview": {
        "get": {
            "summary": "Encoding, segments and characters of a text as an SMS",
            "parameters": [_q("text")],
            "responses": {"200": json_response("Preview"), "422": error("Text too long"), **_SESSION},
        }
    },
    "/console/api/live": {
        "get": {
            "summary": "Websocket of live console events; ?since=SEQ replays what was missed (exactly once by seq)",
            "parameters": [_q("since", {"type": "integer", "minimum": 0})],
            "responses": {
                "101": {"description": "Switching to the websocket"},
                "400": error("Not a websocket upgrade"),
                **_SESSION,
            },
        }
    },
    "/console/api/canned": {
        "get": {
            "summary": "Canned responses of the agent's team and of every team",
            "parameters": [_q("q")],
            "responses": {"200": json_response("{items}"), "422": error("q is wrong"), **_SESSION},
        },
        "post": {
            "summary": "A new canned response (supervisor)",
            "requestBody": json_body(
                {
                    "type": "object",
                    "properties": {"shortcut": _OPT, "title": _OPT, "body": _TEXT, "team": _OPT},
                    "required": ["shortcut", "title", "body"],
                }
            ),
            "responses": {"201": json_response("Created"), "409": error("Shortcut taken"), **_WRITE},
        },
    },
    "/console/api/canned/{canned_id}": {
        "delete": {
            "summary": "Delete a canned response (supervisor)",
            "parameters": [{"name": "canned_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": json_response("Deleted"), **_WRITE},
        }
    },
    "/console/api/canned/{canned_id}/render": {
        "post": {
            "summary": "The canned body with the conversation's citizen and dossier filled in (audited)",
            "parameters": [{"name": "canned_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": json_body({"type": "object", "properties": {"conversation_id": _OPT}}),
            "responses": {"200": json_response("{text}"), **_WRITE},
        }
    },
    "/console/api/presence": {
        "post": {
            "summary": "The agent's presence: online, away or offline",
            "requestBody": json_body(
                {
                    "type": "object",
                    "properties": {"presence": {"type": "string", "enum": ["online", "away", "offline"]}},
                }
            ),
            "responses": {"200": json_response("Set"), **_WRITE},
        }
    },
    "/console/api/agents": {
        "get": {
            "summary": "Agents with team, presence and workload; supervisors also get emails and disabled accounts",
            "responses": {"200": json_response("{agents}"), **_SESSION},
        }
    },
    "/console/api/citizens/merge": {
        "post": {
            "summary": "Merge two citizen records of one person (supervisor; audited, reversible)",
            "requestBody": json_body(
                {
                    "type": "object",
                    "properties": {"keep": _OPT, "merge": _OPT, "reason": _OPT},
                    "required": ["keep", "merge", "reason"],
                }
            ),
            "responses": {"201": json_response("Merged"), "409": error("Already merged away"), **_WRITE},
        }
    },
    "/console/api/citizens/merges/{merge_id}/undo": {
        "post": {
            "summary": "Undo a merge (supervisor; audited)",
            "parameters": [{"name": "merge_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": json_body({"type": "object", "properties": {"reason": _OPT}, "required": ["reason"]}),
            "responses": {"200": json_response("Undone"), "409": error("Already undone, or blocked"), **_WRITE},
        }
    },
}
PATHS.update(_QUEUE_PATHS)
PATHS["/static"] = {
    "get": {
        "summary": "The console's own script and style sheet, and vendored front-end files (/static/…): no CDN",
        "responses": {"200": {"description": "The file"}, "404": {"description": "No such file"}},
    }
}
