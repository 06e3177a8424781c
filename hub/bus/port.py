"""What every bus backend offers: durable publish, named subscriptions, and
at-least-once delivery with each (message, handler) success recorded once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from models.events import Message

Handler = Callable[[Message], Awaitable[None]]
BatchHandler = Callable[[list[Message]], Awaitable[None]]


class Bus(Protocol):
    def subscribe(self, message_type: type[Message], name: str, handler: Handler) -> None:
        """`name` is stable across releases: success is recorded under it."""

    def subscribe_batch(self, message_types: tuple[type[Message], ...], name: str, handler: BatchHandler) -> None:
        """Many messages per call, in publish order, for handlers that gain from
        doing their work in bulk; a failure retries every message of the call."""

    async def publish(self, *messages: Message) -> None:
        """Durable on return. State-changing writes publish through the store
        instead, in the same transaction as the change."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def wait_idle(self, within: float = 10.0) -> None:
        """Until nothing is pending that is due now (for tests and CLI tools)."""
