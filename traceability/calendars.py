"""Loading a year's holiday calendar from its data file in ``traceability/data/`` (used by data migrations).

A new year is one CSV file (``first,last,is_working_day,name`` per holiday or make-up working day, from the State
Council's notice) and a migration that calls :func:`load_calendar_year`. Plain module: the migration passes its
historical models in.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def calendar_rows(path: Path) -> dict[date, tuple[bool, str]]:
    """date -> (is working day, name) for every day of the file's ranges."""
    days: dict[date, tuple[bool, str]] = {}
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            first, last = date.fromisoformat(row["first"]), date.fromisoformat(row["last"])
            while first <= last:
                days[first] = (row["is_working_day"] == "1", row["name"])
                first += timedelta(days=1)
    return days


def load_calendar_year(
    calendar_day: Any, calendar_year: Any, *, path: Path, year: int, source: str, now: datetime | None = None
) -> None:
    """Store ``year``'s days from ``path`` and record the year as loaded (``now``: when; None for the first load)."""
    days = {d: v for d, v in calendar_rows(path).items() if d.year == year}
    if not days:
        raise ValueError(f"{path.name} has no day in {year}")
    calendar_day.objects.bulk_create(
        [calendar_day(date=d, is_working_day=w, name=n) for d, (w, n) in days.items()],
        update_conflicts=True,
        unique_fields=["date"],
        update_fields=["is_working_day", "name"],
    )
    calendar_year.objects.update_or_create(year=year, defaults={"source": source, "loaded_at": now})
