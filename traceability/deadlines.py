"""Reporting deadlines in working days (溯源管理暂行规定 2018, domain.md §3) and the Chinese public-holiday calendar.

Both are data: :class:`~traceability.models.DeadlineRule` and :class:`~traceability.models.CalendarDay`, loaded by
data migrations from the versioned files in ``traceability/data/`` and correctable by a regulator in the admin.
A day is a working day when the calendar says so (holidays, and make-up working weekends, 调休), otherwise
when it is Monday to Friday. The count starts the day after the event: an event on day D with a deadline of N
working days must be reported by the end of the N-th working day after D.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

from .models import CalendarDay, CalendarYear, DeadlineRule
from .workdays import add_working_days

_CACHE_SECONDS = 60.0
_cache: dict = {"loaded": 0.0, "rules": {}, "calendar": {}}


def reset_cache() -> None:
    _cache["loaded"] = 0.0


def _load() -> None:
    rules: dict[str, list] = {}
    for rule in DeadlineRule.objects.all().order_by("valid_from"):
        rules.setdefault(rule.event_kind, []).append(
            (rule.actor_kind, rule.valid_from or date.min, rule.working_days)
        )
    _cache["rules"] = rules
    _cache["calendar"] = dict(CalendarDay.objects.values_list("date", "is_working_day"))
    _cache["years"] = dict(CalendarYear.objects.values_list("year", "loaded_at"))
    _cache["loaded"] = time.monotonic()


def _fresh() -> None:
    if time.monotonic() - _cache["loaded"] > _CACHE_SECONDS:
        _load()


def working_days_for(kind: str, actor_kinds: Iterable[str], on: date) -> int | None:
    """Deadline in working days for ``kind`` done by an actor of ``actor_kinds``; a rule for one of the
    actor's kinds wins over a rule for any actor; the latest rule in force on ``on`` applies."""
    _fresh()
    kinds = set(actor_kinds)
    best: tuple[int, date, int] | None = None
    for actor_kind, valid_from, days in _cache["rules"].get(kind, []):
        if valid_from > on or (actor_kind and actor_kind not in kinds):
            continue
        rank = (1 if actor_kind else 0, valid_from)
        if best is None or rank >= best[:2]:
            best = (*rank, days)
    return best[2] if best else None


def deadline_after(day: date, working_days: int) -> date:
    _fresh()
    return add_working_days(day, working_days, _cache["calendar"])


def _local_date(value: datetime) -> date:
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def evaluate(*, kind: str, actor_kinds, occurred_at: datetime, reported_at: datetime):
    """(deadline, reported on time?) for one event, or (None, None) when no rule covers it."""
    day = _local_date(occurred_at)
    days = working_days_for(kind, actor_kinds or (), day)
    if days is None:
        return None, None
    deadline = deadline_after(day, days)
    return deadline, _local_date(reported_at) <= deadline


def evaluate_cached(*, kind: str, actor_kinds: tuple, occurred_at: datetime, reported_at: datetime):
    """:func:`evaluate` with the deadline memoised per (kind, actor kinds, day): bulk writes share days."""
    _fresh()
    day = _local_date(occurred_at)
    key = (kind, actor_kinds, day)
    memo = _cache.setdefault("memo", {})
    if _cache.get("memo_loaded") != _cache["loaded"]:
        memo.clear()
        _cache["memo_loaded"] = _cache["loaded"]
    if key not in memo:
        days = working_days_for(kind, actor_kinds, day)
        memo[key] = None if days is None else deadline_after(day, days)
    deadline = memo[key]
    if deadline is None:
        return None, None
    return deadline, _local_date(reported_at) <= deadline


# --- how far the calendar reaches -------------------------------------------------------------------------

CALENDAR_WARNING_DAYS = 60


def calendar_end() -> date | None:
    """The last day the loaded holiday calendar covers (31 December of its last year), or None with no calendar."""
    _fresh()
    years = _cache.get("years") or {}
    return date(max(years), 12, 31) if years else None


def deadline_is_provisional(deadline: date | None, reported_at: datetime | None = None) -> bool:
    """True when ``deadline`` was (or would now be) counted without that year's holidays: the year is not loaded,
    or was loaded after the event was reported (the event table is append-only, so its deadline stays as counted)."""
    if deadline is None:
        return False
    _fresh()
    years = _cache.get("years") or {}
    if deadline.year not in years:
        return True
    loaded_at = years[deadline.year]
    return bool(loaded_at and reported_at and reported_at < loaded_at)


def calendar_warning(today: date | None = None) -> dict | None:
    """For the regulators' pages: the calendar's end and the days left when it runs out within
    :data:`CALENDAR_WARNING_DAYS` days (or has run out), else None."""
    end = calendar_end()
    today = today or timezone.localdate()
    if end is None:
        return {"end": None, "days_left": 0}
    left = (end - today).days
    return {"end": end, "days_left": max(left, 0)} if left <= CALENDAR_WARNING_DAYS else None
