"""The assistant engine over a Rasa server's HTTP API (rasa 3.6, `rasa run
--enable-api`): the service stays on its own Python, Rasa runs beside it
(assistant/rasa/manage.py, `make rasa`).

    engine = RasaEngine("http://127.0.0.1:5005")
    await engine.start()
    await engine.parse("lệ phí khai sinh bao nhiêu")  # POST /model/parse
    await engine.turn("telegram:42", "xin chào")     # POST /webhooks/rest/webhook
    await engine.close()

A Rasa server that cannot be reached, times out or answers 5xx raises
RetryableError; any other unexpected answer raises PermanentError.

Dossier look-ups stay in the service: the action server does not call the
API (every citizen would share its address as the guard's key) but answers
with a custom message {"lookup": {"code", "digits"}}, which `turn` replaces
by `lookup(code, digits, asker)`, the same guarded lookup as every channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Self
from urllib.parse import quote

import aiohttp

from assistant.port import FALLBACK_INTENT, Engine, Entity, Parse
from models.errors import PermanentError, RetryableError
from models.messages import Button, Reply

Lookup = Callable[[str, str, str | None], Awaitable[str]]
LOOKUP_UNAVAILABLE = (
    "Xin lỗi, hệ thống tra cứu hồ sơ đang tạm gián đoạn. Ông/Bà vui lòng thử lại sau ít phút "
    'hoặc nhắn "gặp cán bộ" để được hỗ trợ.'
)


class RasaEngine(Engine):
    name = "rasa"
    ready = True  # a Rasa server that is down fails the call; the inbox acknowledges instead

    def __init__(
        self,
        url: str,
        *,
        lookup: Lookup | None = None,
        timeout: float = 30.0,
        token: str | None = None,
        session: aiohttp.ClientSession | None = None,
        org: dict[str, str] | None = None,
    ):
        """`url`: the Rasa server, e.g. http://127.0.0.1:5005. `lookup(code,
        digits, asker)`: the text answering a dossier look-up the action asks
        for (without one, the look-up is said to be unavailable). `timeout`:
        seconds for one call (a turn includes Rasa's calls to the action
        server). `token`: Rasa's --auth-token, if it was started with one.
        `session`: a shared ClientSession (then close() leaves it open).
        `org`: the organisation's name, hotline and website (the settings),
        sent with every message as metadata for the actions to answer with."""
        self.url = url.rstrip("/")
        self._lookup = lookup
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.token = token
        self._session = session
        self._owns_session = session is None
        self.org = dict(org or {})

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._owns_session = True

    async def close(self) -> None:
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def status(self) -> dict:
        """Rasa's GET /status: the loaded model (model_file, fingerprint...)."""
        return await self._call("GET", "/status")

    async def parse(self, text: str) -> Parse:
        body = await self._call("POST", "/model/parse", {"text": text})
        return parse_from_rasa(text, body)

    async def turn(self, sender: str, text: str, *, asker: str | None = None) -> list[Reply]:
        message = {"sender": sender, "message": text, "metadata": {"org": self.org}}
        body = await self._call("POST", "/webhooks/rest/webhook", message)
        if not isinstance(body, list):
            raise PermanentError(f"Rasa REST webhook answered {type(body).__name__}, expected a list")
        replies = []
        for message in body:
            wanted = lookup_wanted(message)
            if wanted is None:
                replies.extend(replies_from_rasa([message]))
            elif self._lookup is None:
                replies.append(Reply(LOOKUP_UNAVAILABLE))
            else:
                replies.append(Reply(await self._lookup(*wanted, asker)))
        return replies

    async def in_form(self, sender: str) -> bool:
        """Whether Rasa is waiting for an answer to a form's question (the
        tracker's active loop): such an answer is not a misunderstanding."""
        body = await self._call("GET", f"/conversations/{quote(sender, safe='')}/tracker?include_events=NONE")
        loop = body.get("active_loop") if isinstance(body, dict) else None
        return bool(isinstance(loop, dict) and loop.get("name"))

    async def _call(self, method: str, path: str, payload: dict | None = None) -> Any:
        if self._session is None or self._session.closed:
            await self.start()
        session = self._session
        if session is None:  # start() has just opened one
            raise RuntimeError("Rasa: no HTTP session")
        params = {"token": self.token} if self.token else None
        try:
            async with session.request(
                method, self.url + path, json=payload, params=params, timeout=self.timeout
            ) as response:
                if response.status >= 500 or response.status == 429:
                    raise RetryableError(f"Rasa {path}: HTTP {response.status}")
                if response.status != 200:
                    detail = (await response.text())[:300]
                    raise PermanentError(f"Rasa {path}: HTTP {response.status}: {detail}")
                return await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            raise RetryableError(f"Rasa at {self.url} unreachable ({type(exc).__name__}: {exc})") from exc
        except aiohttp.ContentTypeError as exc:  # pragma: no cover - json(content_type=None) does not raise it
            raise PermanentError(f"Rasa {path}: not JSON") from exc
        except ValueError as exc:
            raise PermanentError(f"Rasa {path}: not JSON ({exc})") from exc


def parse_from_rasa(text: str, body: dict) -> Parse:
    """Parse from the /model/parse answer."""
    intent = body.get("intent") or {}
    name = intent.get("name") or FALLBACK_INTENT
    entities = tuple(
        Entity(
            entity=str(e.get("entity")),
            value=str(e.get("value")),
            start=int(e.get("start", 0)),
            end=int(e.get("end", 0)),
        )
        for e in body.get("entities") or []
        if e.get("entity") is not None
    )
    return Parse(
        text=body.get("text", text), intent=name, confidence=float(intent.get("confidence") or 0.0), entities=entities
    )


def lookup_wanted(message: Any) -> tuple[str, str] | None:
    """(code, digits) of the action server's custom look-up message, else None."""
    custom = message.get("custom") if isinstance(message, dict) else None
    wanted = custom.get("lookup") if isinstance(custom, dict) else None
    if not isinstance(wanted, dict):
        return None
    code, digits = wanted.get("code"), wanted.get("digits")
    # A malformed request is still a look-up: it fails, and counts, like any other.
    return (code, digits) if isinstance(code, str) and isinstance(digits, str) else ("", "")


def replies_from_rasa(messages: list) -> list[Reply]:
    """Replies from the REST channel's list of {"text", "buttons"...}; images
    and custom payloads, which our channels cannot show, are left out."""
    replies = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or []
            if isinstance(b, dict)
        )
        text = message.get("text") or ""
        if text or buttons:
            replies.append(Reply(text=text, buttons=buttons))
    return replies
