"""Requests from distinct client addresses without trusting X-Forwarded-For:
Linux routes all of 127.0.0.0/8 to the loopback, so a client socket bound to
127.0.0.N reaches the test server as client address 127.0.0.N."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp.test_utils import TestClient


class From:
    def __init__(self, client: TestClient, session: aiohttp.ClientSession):
        self.client, self.session = client, session

    def post(self, path: str, **kwargs):
        return self.session.post(self.client.make_url(path), **kwargs)

    def get(self, path: str, **kwargs):
        return self.session.get(self.client.make_url(path), **kwargs)


@contextlib.asynccontextmanager
async def from_address(client: TestClient, ip: str) -> AsyncIterator[From]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(ip, 0))) as session:
        yield From(client, session)
