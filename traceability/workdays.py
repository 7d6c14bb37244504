"""Working-day arithmetic over a holiday calendar. Pure module: no Django imports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta


def is_working_day(day: date, calendar: Mapping[date, bool]) -> bool:
    """The calendar's word where it has one (holiday, or 调休 make-up working day), else Monday to Friday."""
    override = calendar.get(day)
    return override if override is not None else day.weekday() < 5


def add_working_days(day: date, n: int, calendar: Mapping[date, bool]) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself does not count)."""
    current, left = day, n
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current, calendar):
            left -= 1
    return current
