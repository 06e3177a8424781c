"""How long what was sent is kept: the texts of attempts (and what recording
providers kept) older than the retention period are blanked, periodically,
in the service (not in a sender process). The attempt rows stay: status,
provider and masked address are the record that a notice went out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hub.store.port import NotificationStore

log = logging.getLogger(__name__)


class SentTextPurge:
    def __init__(
        self, store: NotificationStore, *, keep: timedelta | None, interval: float, clock: Callable[[], float]
    ):
        self.store = store
        self.keep = keep  # None: kept for ever
        self.interval = interval
        self.clock = clock
        self._task: asyncio.Task | None = None

    async def run_once(self) -> int:
        """How many texts it blanked or dropped."""
        if self.keep is None:
            return 0
        return await self.store.purge_sent_texts(datetime.fromtimestamp(self.clock(), UTC) - self.keep)

    async def start(self) -> None:
        if self.keep is not None:
            self._task = asyncio.create_task(self._run(), name="notify-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                purged = await self.run_once()
                if purged:
                    log.info("sent texts past retention purged", extra={"count": purged})
            except asyncio.CancelledError:
                raise
            except Exception:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from None
                log.exception("sent text purge failed")
            await asyncio.sleep(self.interval)
