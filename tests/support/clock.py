"""A clock that moves only when the test says so: pass it where code takes
`clock: Callable[[], float]`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class FakeClock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds
