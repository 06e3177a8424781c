"""A small aiohttp server standing in for a Vietnamese brandname SMS
gateway (none has a public emulator), and a provider configuration for it."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from channels.sms_gateway import GatewaySmsProvider

SECRET = "gateway-inbound-secret"


class Gateway:
    """What a brandname gateway's send API looks like: bearer token, JSON in,
    an id nested in the JSON answer."""

    def __init__(self):
        self.requests: list[tuple[dict, dict]] = []
        self.answers: list[web.StreamResponse] = []

    async def send(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != "Bearer tok-123":
            return web.json_response({"code": "401", "message": "unauthorized"}, status=401)
        self.requests.append((dict(request.headers), await request.json()))
        if self.answers:
            return self.answers.pop(0)
        return web.json_response({"code": "00", "data": {"messageId": f"vnpt-{len(self.requests)}"}})


@pytest.fixture
async def gateway():
    stub = Gateway()
    app = web.Application()
    app.router.add_post("/api/v1/sms", stub.send)
    async with TestServer(app) as server:
        stub.url = str(server.make_url("/api/v1/sms"))
        yield stub


def config(url: str, **extra) -> dict:
    return {
        "name": "vnpt",
        "url": url,
        "auth": {"type": "bearer", "token": "tok-123"},
        "headers": {"X-Partner": "ubnd"},
        "body": {
            "msisdn": "{to_84}",
            "content": "{text}",
            "brandname": "{sender}",
            "requestId": "{ref}",
            "meta": {"channel": "sms", "tags": ["{sender}"]},
        },
        "sender": "UBND-TINH",
        "id_field": "data.messageId",
        "success_field": "code",
        "success_values": ["00"],
        "retry_values": ["99"],
        "rate": 5,
        "inbound_secret": SECRET,
        **extra,
    }


@pytest.fixture
async def gateway_provider(gateway):
    provider = GatewaySmsProvider(config(gateway.url, timeout=1))
    await provider.start()
    yield provider
    await provider.close()
