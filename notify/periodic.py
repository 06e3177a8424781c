"""A job the service runs every so often (the overdue scan, the purge of
sent texts): started and stopped with the notifier, never stopped by its
own failure, since the rows it works on are still there next time."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class Periodic:
    name = "periodic"  # the task's name, and what the log lines say
    done = "done"  # logged with the count when a run did something
    interval: float = 60.0

    _task: asyncio.Task | None = None

    async def run_once(self) -> int:
        """How many things it did."""
        raise NotImplementedError

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                count = await self.run_once()
                if count:
                    log.info(self.done, extra={"job": self.name, "count": count})
            except asyncio.CancelledError:
                raise
            except Exception:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from None
                log.exception("%s failed", self.name)
            await asyncio.sleep(self.interval)
