"""The overdue scheduler: a dossier past its due date and not done gets the
apology the law requires, once. A dossier whose due date passed longer ago
than the notice age limit when the scan first sees it is back-filled history
(loaded late, or `tongdai demo`): it gets none, as its old events get none.
The scan runs every minute, so a live dossier is seen within a minute of its
due date; only a service stopped for longer than the limit would miss one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hub.store.port import NotificationStore
from notify.periodic import Periodic
from notify.planner import Planner


class OverdueScheduler(Periodic):
    name, done = "notify-overdue", "overdue apologies queued"

    def __init__(
        self,
        store: NotificationStore,
        planner: Planner,
        *,
        interval: float,
        clock: Callable[[], float],
        max_age: timedelta | None = None,
    ):
        self.store = store
        self.max_age = max_age  # None: every overdue dossier, however long ago
        self.planner = planner
        self.interval = interval
        self.clock = clock

    async def run_once(self) -> int:
        """How many apologies it queued."""
        queued = 0
        while True:
            now = datetime.fromtimestamp(self.clock(), UTC)
            since = None if self.max_age is None else now - self.max_age
            codes = await self.store.overdue_without_apology(now, 200, since=since)
            if not codes:
                return queued
            added = await self.planner.apologise_for(codes)
            queued += added
            if not added:  # e.g. dossiers whose applicant cannot be found: do not spin
                return queued
