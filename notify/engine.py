"""The notification engine as one unit the composition root starts and stops:
planning from bus events, sending, receipts, the overdue scheduler and the
purge of sent texts past their retention."""

from __future__ import annotations

from hub.bus.port import Bus
from models.events import DeliveryReceiptReceived, DossierRegistered, DossierStatusChanged
from notify.overdue import OverdueScheduler
from notify.planner import Planner
from notify.receipts import Receipts
from notify.retention import SentTextPurge
from notify.sender import Sender


class Notifier:
    def __init__(
        self,
        planner: Planner,
        sender: Sender,
        receipts: Receipts,
        overdue: OverdueScheduler,
        retention: SentTextPurge | None = None,
    ):
        self.planner, self.sender, self.receipts, self.overdue = planner, sender, receipts, overdue
        self.retention = retention

    def subscribe(self, bus: Bus) -> None:
        # Names are stable: the bus records success under them.
        bus.subscribe_batch((DossierRegistered, DossierStatusChanged), "notify.plan", self.planner.handle)
        bus.subscribe_batch((DeliveryReceiptReceived,), "notify.receipts", self.receipts.handle)

    async def start(self, *, send: bool = True) -> None:
        """`send=False` when a sender process does the sending."""
        if send:
            await self.sender.start()
        await self.overdue.start()
        if self.retention is not None:
            await self.retention.start()

    async def stop(self) -> None:
        if self.retention is not None:
            await self.retention.stop()
        await self.overdue.stop()
        await self.sender.stop()
