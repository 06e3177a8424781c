"""Quiet hours: when a phone must not buzz or ring (night, and holidays)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, tzinfo

from models.timeutil import VN_TZ
from notify.holidays import HolidayCalendar


def _parse_time(text: str) -> time:
    hours, sep, minutes = text.strip().partition(":")
    try:
        return time(int(hours), int(minutes) if sep else 0)
    except ValueError:
        raise ValueError(f"quiet hours: {text!r} is not HH:MM") from None


@dataclass(frozen=True)
class QuietHours:
    start: time = time(21)
    end: time = time(7)
    holidays: HolidayCalendar | None = None
    tz: tzinfo = field(default=VN_TZ)

    @classmethod
    def parse(cls, text: str, holidays: HolidayCalendar | None = None, tz: tzinfo = VN_TZ) -> QuietHours:
        """'21:00-07:00'; equal ends ('00:00-00:00') mean no nightly quiet."""
        start, sep, end = text.partition("-")
        if not sep:
            raise ValueError(f"quiet hours: {text!r} is not HH:MM-HH:MM")
        return cls(_parse_time(start), _parse_time(end), holidays, tz)

    def _quiet_at(self, local: datetime) -> bool:
        if self.start == self.end:
            return False
        now = local.time()
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def _holiday(self, day) -> bool:
        return self.holidays is not None and self.holidays.is_holiday(day)

    def next_allowed(self, now: datetime) -> datetime:
        """`now` itself when sending is allowed, else the first allowed moment:
        the end of the quiet window, on a day that is not a holiday."""
        if now.tzinfo is None:
            raise ValueError("quiet hours need an aware datetime")
        local = now.astimezone(self.tz)
        if not self._quiet_at(local) and not self._holiday(local.date()):
            return now
        # The next end of a quiet window (or the morning after a holiday).
        morning = self.end if self.start != self.end else time(0)
        candidate = datetime.combine(local.date(), morning, self.tz)
        if candidate <= local or self._holiday(candidate.date()):
            candidate += timedelta(days=1)
        while self._holiday(candidate.date()):
            candidate += timedelta(days=1)
        return candidate

    def hold_reason(self, now: datetime) -> str:
        """Why next_allowed(now) is later than now, as a notification reason:
        "holiday" when a holiday makes (or lengthens) the wait, else "quiet_hours"."""
        if self.holidays is None:
            return "quiet_hours"
        nightly = replace(self, holidays=None).next_allowed(now)
        return "holiday" if self.next_allowed(now) > nightly else "quiet_hours"
