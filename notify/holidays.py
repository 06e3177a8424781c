"""The holiday calendar: days on which no SMS or call goes out. A data file
that operators edit; the shipped one holds Vietnam's public holidays."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    days: dict[date, str]

    def is_holiday(self, day: date) -> bool:
        return day in self.days

    def name(self, day: date) -> str | None:
        return self.days.get(day)


def parse_holidays(text: str, source: str = "holidays") -> HolidayCalendar:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from None
    days = {}
    for index, entry in enumerate(data.get("holidays", []), start=1):
        day = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(day, date):
            raise ValueError(f"{source}: holiday #{index} needs date = YYYY-MM-DD (got {entry!r})")
        days[day] = str(entry.get("name", ""))
    return HolidayCalendar(days)


def load_holidays(path: Path | None = None) -> HolidayCalendar:
    """Read at start-up only (a few KB), so a plain read is fine here."""
    if path is None:
        return parse_holidays(
            resources.files(__package__).joinpath("holidays_vn.toml").read_text("utf-8"), "holidays_vn.toml"
        )
    return parse_holidays(Path(path).read_text("utf-8"), str(path))
