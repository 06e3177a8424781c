"""Every public endpoint is rate-limited: a route that answers without an API
key must have a rate-limit scope, or be one of the few operators' probes.
A new public route that nobody added to hub/app.py's PUBLIC_SCOPES fails here."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from hub.app import PUBLIC_SCOPES, create_app
from hub.settings import Settings

# Probes a load balancer and Prometheus call often, answering from memory.
PROBES = {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}


def _concrete(path: str) -> str:
    return path.replace("{code}", "BD-261130-0001").replace("{token}", "x").replace("{", "").replace("}", "")


async def test_every_route_without_a_key_has_a_rate_limit(tmp_path):
    app = await create_app(Settings(data_dir=tmp_path / "data"))
    async with TestClient(TestServer(app)) as client:
        unlimited = []
        for route in app.router.routes():
            resource = route.resource
            if route.method == "HEAD" or resource is None:
                continue
            path = resource.canonical
            if path in PROBES or path.startswith("/webhooks/") or (route.method, path) in PUBLIC_SCOPES:
                continue
            # No key: an API-key route answers 401 before reading anything else;
            # a console page without a session sends the browser to sign in.
            response = await client.request(route.method, _concrete(path), data=b"{}", allow_redirects=False)
            to_sign_in = response.status == 303 and response.headers.get("Location") == "/console/login"
            if response.status != 401 and not (path.startswith("/console") and to_sign_in):
                unlimited.append((route.method, path, response.status))
        assert unlimited == [], f"public routes without a rate limit: {unlimited}"
        assert ("POST", "/api/v1/assistant/messages") in PUBLIC_SCOPES
