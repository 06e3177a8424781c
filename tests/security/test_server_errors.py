"""Issue 10, item 10: inputs that gave a 500 with a traceback, and aiohttp's
own 400s, which were plain text quoting the request's bytes. Each is sent as
the attacker sent it, over a raw socket where aiohttp's client would refuse,
to a real `tongdai serve`: the answer is a 4xx in the API's JSON error shape,
quoting nothing, and the server's log holds no traceback."""

from __future__ import annotations

import asyncio
import gzip
import json

import orjson
import pytest

from tests.support.raw_http import exchange, json_error, request
from tests.support.server import free_port, serve
from tests.support.sms_gateway import SECRET, config

# Sent inside each attack; must come back in no answer and no log line.
MARKER = "ECHO-ME-7c1f"


@pytest.fixture
async def server(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    gateway = {**config("http://127.0.0.1:9/sms"), "inbound_secret": SECRET}
    proc = await serve(
        data_dir,
        port,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="twilio-token",
        twilio_from="+15005550006",
        sms_gateways=json.dumps([gateway]),
    )
    log = data_dir / f"serve-{port}.log"
    yield port
    proc.terminate()
    await proc.wait()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and MARKER not in text, text[-3000:]


async def _refused(port: int, data: bytes, status: int) -> dict:
    got, headers, body = await exchange(port, data)
    assert got == status, (got, body[:300])
    assert headers["content-type"].startswith("application/json")
    assert MARKER.encode() not in body
    return json_error(body)


async def test_authorization_bytes_that_are_not_utf8(server):
    for path in ("/api/v1/notifications", "/api/v1/escalations"):
        header = [("Authorization", b"Bearer \xff\xfe" + MARKER.encode())]
        error = await _refused(server, request("GET", path, header), 401)
        assert error["error"] == "unauthorized"


async def test_a_channel_that_is_a_list(server):
    body = orjson.dumps({"sender": "web-1", "text": "xin chào", "channel": [1]})
    error = await _refused(
        server, request("POST", "/api/v1/assistant/messages", [("Content-Type", "application/json")], body), 422
    )
    assert error["field"] == "channel"


async def test_a_multipart_body_on_the_twilio_webhook_is_not_parsed_unsigned(server):
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="From"; filename="{MARKER}.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n{MARKER}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="Body"\r\n\r\nTRACUU\r\n--{boundary}--\r\n'
    ).encode()
    headers = [("Content-Type", f"multipart/form-data; boundary={boundary}"), ("X-Twilio-Signature", "c2lnbmF0dXJl")]
    await _refused(server, request("POST", "/webhooks/twilio/sms/inbound", headers, body), 415)


async def test_a_signature_header_that_is_not_ascii(server):
    body = orjson.dumps({"from": "0912345678", "text": "xin chào", "id": "mo-1"})
    for signature in (b"sha256=\xff\xfe" + MARKER.encode(), "sha256=chữký".encode()):
        headers = [("Content-Type", "application/json"), ("X-Signature", signature)]
        await _refused(server, request("POST", "/webhooks/sms/vnpt/inbound", headers, body), 403)


async def test_gzip_that_is_not_gzip(server):
    junk = b"\x1f\x8b" + MARKER.encode() * 4
    headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    await _refused(server, request("POST", "/api/v1/assistant/messages", headers, junk), 400)
    # Real gzip still works.
    good = gzip.compress(orjson.dumps({"sender": "web-2", "text": "xin chào"}))
    status, _, _ = await exchange(server, request("POST", "/api/v1/assistant/messages", headers, good))
    assert status == 200


async def test_bad_http_is_answered_in_json_without_echo(server):
    attacks = [
        f"GARBAGE\x01 /<script>{MARKER}</script> HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        f"GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header {MARKER}\r\n\r\n".encode(),
        f"GET /healthz HTTP/9.{MARKER}\r\nHost: x\r\n\r\n".encode(),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + MARKER.encode() * 2000 + b"\r\n\r\n",
        b"POST /api/v1/assistant/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
        + MARKER.encode(),
        # aiohttp's own answer to an Expect it does not know, before any middleware.
        f"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: {MARKER}\r\n\r\n".encode(),
        f"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: {MARKER}\r\n\r\n".encode(),
    ]
    for attack in attacks:
        got, headers, body = await exchange(server, attack)
        assert 400 <= got < 500 and headers["content-type"].startswith("application/json"), (attack[:40], body[:200])
        assert MARKER.encode() not in body
        assert json_error(body)["error"]


async def test_a_client_that_leaves_mid_body_is_no_server_error(server):
    for _ in range(3):
        reader, writer = await asyncio.open_connection("127.0.0.1", server)
        head = b"POST /api/v1/assistant/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        writer.write(head + b'Content-Length: 1000\r\n\r\n{"sender": "')
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()
    await asyncio.sleep(0.5)
    status, _, metrics = await exchange(server, request("GET", "/metrics"))
    assert status == 200
    lines = [line for line in metrics.decode().splitlines() if line.startswith("tongdai_http_requests_total")]
    assert any('route="/api/v1/assistant/messages"' in line and 'status="499"' in line for line in lines), lines
    assert not [line for line in lines if 'status="5' in line], lines
