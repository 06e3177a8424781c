"""How long what was sent is kept: the texts of attempts (and what recording
providers kept) older than the retention period are blanked, periodically,
in the service (not in a sender process). The attempt rows stay: status,
provider and masked address are the record that a notice went out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hub.store.port import NotificationStore
from notify.periodic import Periodic


class SentTextPurge(Periodic):
    name, done = "notify-retention", "sent texts past retention purged"

    def __init__(
        self, store: NotificationStore, *, keep: timedelta | None, interval: float, clock: Callable[[], float]
    ):
        self.store = store
        self.keep = keep  # None: kept for ever
        self.interval = interval
        self.clock = clock

    async def run_once(self) -> int:
        """How many texts it blanked or dropped."""
        if self.keep is None:
            return 0
        return await self.store.purge_sent_texts(datetime.fromtimestamp(self.clock(), UTC) - self.keep)

    async def start(self) -> None:
        if self.keep is not None:  # kept for ever: nothing to run
            await super().start()
