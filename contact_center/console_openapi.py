"""OpenAPI paths for the console's sign-in and its JSON (merged into the
app's document, which describes every route). The console authenticates by
its session cookie, never by an API key."""

from __future__ import annotations

from hub.api.openapi import error, json_response

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
_SESSION = {
    "401": error("No live console session (an API key is no session)"),
    "403": error("The agent's role is not enough"),
}
_PAGE = {
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
    "/console/api/agents": {
        "get": {
            "summary": "The console's accounts (supervisor)",
            "responses": {"200": json_response("Agents"), **_SESSION},
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
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                },
            ],
            "responses": {"200": json_response("Entries"), "422": error("limit out of range"), **_SESSION},
        }
    },
}
