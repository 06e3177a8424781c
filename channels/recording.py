"""Recording providers: they keep what would have been sent instead of sending
it. The embedded default uses them, and tests use them to see exactly what a
citizen would receive (address unmasked, html included). Once any real adapter
is configured they serve no channel (channels/configured.py). What every
provider sent, recording or real, is on the attempts (`tongdai outbox tail`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from channels.port import Outgoing, Provider, Sent
from hub.store.port import RecordedMessages
from models.citizen import Channel
from models.errors import PermanentError, ProviderRefused, RetryableError
from models.notifications import DeliveryStatus
from models.timeutil import utcnow


@dataclass
class MemorySink:
    """In-memory: the list of what was sent, one entry per attempt id."""

    messages: list[Outgoing] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    async def record(self, message: Outgoing, provider: str) -> None:
        await self.record_many([message], provider)

    async def record_many(self, messages: list[Outgoing], provider: str) -> None:
        for message in messages:
            if message.attempt_id not in self._seen:
                self._seen.add(message.attempt_id)
                self.messages.append(message)


class StoreSink:
    """Into the store's recorded_messages table, many messages per commit."""

    def __init__(self, store: RecordedMessages):
        self.store = store
        self._pending: list[tuple[list[tuple], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task | None = None

    async def record(self, message: Outgoing, provider: str) -> None:
        await self.record_many([message], provider)

    async def record_many(self, messages: list[Outgoing], provider: str) -> None:
        stamp = utcnow().isoformat(timespec="milliseconds")
        rows = [
            (m.attempt_id, provider, m.channel.value, m.address, m.subject, m.text, m.html, stamp) for m in messages
        ]
        future = asyncio.get_running_loop().create_future()
        self._pending.append((rows, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        # Everything that arrived while the last commit ran goes in the next one.
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self.store.record_messages([row for rows, _ in batch for row in rows])
            except Exception as exc:
                for _, future in batch:
                    future.set_exception(RetryableError(f"recording failed: {exc!r}"))
                continue
            for _, future in batch:
                future.set_result(None)


FAILURES = {"temporary": RetryableError, "permanent": PermanentError, "refused": ProviderRefused}


def parse_failures(text: str) -> dict[Channel, str]:
    """'telegram=permanent,sms=temporary,email=refused': make a recording channel fail, to
    see fallback and retries without a real outage."""
    found = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, mode = part.partition("=")
        try:
            channel = Channel(name.strip())
        except ValueError:
            raise ValueError(f"recording failure {part!r}: unknown channel") from None
        if mode.strip() not in FAILURES:
            raise ValueError(f"recording failure {part!r}: expected temporary, permanent or refused")
        found[channel] = mode.strip()
    return found


class RecordingProvider(Provider):
    records = True

    def __init__(
        self, channel: Channel, sink, *, receipts: bool = True, fail: str | None = None, limits: list | None = None
    ):
        self.channel = channel
        self.name = f"recording-{channel.value}"
        self.sink = sink
        self._status = DeliveryStatus.DELIVERED if receipts else DeliveryStatus.SENT
        self._fail = fail
        self._limits = limits or []

    def limits(self, message: Outgoing) -> list:
        return self._limits

    async def send(self, message: Outgoing) -> Sent:
        [result] = await self.send_many([message])
        if isinstance(result, BaseException):
            raise result
        return result

    async def send_many(self, messages: list[Outgoing]) -> list[Sent | BaseException]:
        if self._fail:
            return [FAILURES[self._fail](f"{self.name}: configured to fail ({self._fail})") for _ in messages]
        try:
            await self.sink.record_many(messages, self.name)
        except RetryableError as exc:
            return [exc for _ in messages]
        return [Sent(provider_ref=m.attempt_id, status=self._status) for m in messages]
