"""Signed links in messages: the unsubscribe link needs no login, so the token
itself proves which citizen and channel it is for."""

from __future__ import annotations

import base64
import hashlib
import hmac

from models.citizen import Channel


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Links:
    def __init__(self, base_url: str, secret: bytes):
        self.base_url = base_url.rstrip("/")
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, b"unsubscribe:" + payload, hashlib.sha256).digest()[:16]

    def unsubscribe_token(self, citizen_id: str, channel: Channel) -> str:
        payload = f"{citizen_id}:{channel.value}".encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def unsubscribe_url(self, citizen_id: str, channel: Channel) -> str:
        return f"{self.base_url}/unsubscribe/{self.unsubscribe_token(citizen_id, channel)}"

    def read_unsubscribe(self, token: str) -> tuple[str, Channel] | None:
        try:
            payload_text, signature_text = token.split(".", 1)
            payload, signature = _unb64(payload_text), _unb64(signature_text)
            if not hmac.compare_digest(signature, self._sign(payload)):
                return None
            citizen_id, channel = payload.decode().rsplit(":", 1)
            return citizen_id, Channel(channel)
        except (ValueError, UnicodeDecodeError):
            return None
