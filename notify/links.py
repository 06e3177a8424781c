"""Signed links and codes in messages. The unsubscribe link needs no login, so
the token itself proves which citizen and channel it is for; a follow
confirmation's link and one-time code prove that whoever uses them reads that
address. Each kind signs under its own domain, so that no token of one kind
passes for another."""

from __future__ import annotations

import base64
import hashlib
import hmac

from models.citizen import Channel

_UNSUBSCRIBE = b"unsubscribe:"
_FOLLOW_LINK = b"follow-confirm:"
_FOLLOW_CODE = b"follow-code:"
CODE_DIGITS = 6


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Links:
    def __init__(self, base_url: str, secret: bytes):
        self.base_url = base_url.rstrip("/")
        self._secret = secret

    def _sign(self, payload: bytes, domain: bytes = _UNSUBSCRIBE) -> bytes:
        return hmac.new(self._secret, domain + payload, hashlib.sha256).digest()[:16]

    def _token(self, payload: bytes, domain: bytes) -> str:
        return f"{_b64(payload)}.{_b64(self._sign(payload, domain))}"

    def _read(self, token: str, domain: bytes) -> str | None:
        try:
            payload_text, signature_text = token.split(".", 1)
            payload, signature = _unb64(payload_text), _unb64(signature_text)
            if not hmac.compare_digest(signature, self._sign(payload, domain)):
                return None
            return payload.decode()
        except (ValueError, UnicodeDecodeError):
            return None

    def unsubscribe_token(self, citizen_id: str, channel: Channel) -> str:
        return self._token(f"{citizen_id}:{channel.value}".encode(), _UNSUBSCRIBE)

    def unsubscribe_url(self, citizen_id: str, channel: Channel) -> str:
        return f"{self.base_url}/unsubscribe/{self.unsubscribe_token(citizen_id, channel)}"

    def read_unsubscribe(self, token: str) -> tuple[str, Channel] | None:
        payload = self._read(token, _UNSUBSCRIBE)
        if payload is None:
            return None
        try:
            citizen_id, channel = payload.rsplit(":", 1)
            return citizen_id, Channel(channel)
        except ValueError:
            return None

    # follow confirmations: the request's id is random, the token and code are derived from it

    def follow_token(self, request_id: str) -> str:
        return self._token(request_id.encode(), _FOLLOW_LINK)

    def follow_url(self, request_id: str) -> str:
        return f"{self.base_url}/follow/{self.follow_token(request_id)}"

    def read_follow(self, token: str) -> str | None:
        """The follow request a confirmation link is for, or None if forged."""
        return self._read(token, _FOLLOW_LINK)

    def follow_code(self, request_id: str) -> str:
        """The one-time code sent for a follow request: derived, never stored,
        so that neither the request's row nor the queued message holds it."""
        digest = hmac.new(self._secret, _FOLLOW_CODE + request_id.encode(), hashlib.sha256).digest()
        return str(int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)

    def follow_code_matches(self, request_id: str, given: str) -> bool:
        return hmac.compare_digest(self.follow_code(request_id).encode(), given.encode())
