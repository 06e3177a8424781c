"""A generic HTTP SMS gateway, the provider that sends: one configured JSON
API (channels/sms_gateway_config.py says how it is described) per Vietnamese
brandname provider. What the gateway posts back is channels/sms_gateway_webhooks.py."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import orjson

from channels.port import Limit, Outgoing, Provider, Sent
from channels.sms import e164
from channels.sms_gateway_config import check_gateway, parse_gateways, render
from channels.sms_status import http_outcome, retry_after
from models.citizen import Channel
from models.errors import PermanentError, RetryableError
from models.notifications import DeliveryStatus
from models.privacy import mask_text
from models.smstext import unaccent


def dig(document, path: str):
    """'data.items.0.id' in a decoded JSON document; None when absent."""
    for part in path.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


class GatewaySmsProvider(Provider):
    channel = Channel.SMS

    def __init__(self, config: dict):
        self.config = check_gateway(config)
        self.name: str = self.config["name"]
        c = self.config
        self._limits = [Limit(f"sms:{self.name}:{c['sender']}", c["rate"], c["burst"])] if c["rate"] else []
        self._headers = dict(c["headers"])
        auth = c["auth"]
        if auth["type"] == "bearer":
            self._headers["Authorization"] = "Bearer " + auth["token"]
        elif auth["type"] == "basic":
            pair = f"{auth['username']}:{auth['password']}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings) -> list[GatewaySmsProvider]:
        return [cls(config) for config in parse_gateways(settings.sms_gateways)]

    async def start(self) -> None:
        self._connect()

    def _connect(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config["timeout"]))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def limits(self, message: Outgoing) -> list:
        return self._limits

    def text_for(self, message: Outgoing) -> str:
        return unaccent(message.text) if self.config["unaccented"] else message.text

    def body_for(self, message: Outgoing) -> dict:
        to = e164(message.address)
        national = to[3:]
        values = {
            "to": to,
            "to_84": "84" + national,
            "to_0": "0" + national,
            "text": self.text_for(message),
            "sender": self.config["sender"],
            "ref": message.attempt_id,
        }
        return render(self.config["body"], values)

    async def send(self, message: Outgoing) -> Sent:
        c = self.config
        body = self.body_for(message)
        payload: dict[str, Any] = {"json": body} if c["encoding"] == "json" else {"data": body}
        try:
            async with self._connect().request(c["method"], c["url"], headers=self._headers, **payload) as response:
                status, raw = response.status, await response.read()
                wait = retry_after(response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RetryableError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        try:
            answer = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            answer = None
        snippet = mask_text(raw[:200].decode("utf-8", "replace"))
        if not 200 <= status < 300:
            raise http_outcome(status).error(
                f"{self.name}: HTTP {status}: {snippet}", provider=self.name, retry_after=wait
            )
        if c["success_field"]:
            outcome = dig(answer, c["success_field"])
            if str(outcome) not in c["success_values"]:
                kind = RetryableError if str(outcome) in c["retry_values"] else PermanentError
                raise kind(f"{self.name}: {c['success_field']}={outcome}: {snippet}")
        ref = dig(answer, c["id_field"]) if c["id_field"] else None
        # Without receipts nothing more will ever be heard: waiting for one would
        # only make the notifier fall back and send the citizen the same news twice.
        return Sent(
            provider_ref=str(ref) if ref not in (None, "") else message.attempt_id,
            status=DeliveryStatus.SENT if c["receipts"] else DeliveryStatus.DELIVERED,
        )
