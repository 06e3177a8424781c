"""A test plugin (TONGDAI_PLUGINS=tests.support.recorder:register): a slow
handler that appends each status event it handles to a file, so that a test
can see from outside the process what ran and how often."""

from __future__ import annotations

import asyncio

from hub.keys import BUS, SETTINGS
from models.events import DossierStatusChanged

LOG_NAME = "recorder.log"


def register(app) -> None:
    path = app[SETTINGS].data_dir / LOG_NAME

    def append(line: str) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()

    async def record(event: DossierStatusChanged) -> None:
        await asyncio.sleep(0.02)  # long enough that a SIGKILL lands mid-way
        await asyncio.to_thread(append, event.event_id + "\n")

    app[BUS].subscribe(DossierStatusChanged, "test.recorder", record)
