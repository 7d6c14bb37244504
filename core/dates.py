"""Days and dates, one way everywhere: the local day of a moment (the platform's time zone, Asia/Shanghai) and
an ISO date typed by a person (``YYYY-MM-DD``), leniently for a page's filter or strictly, naming the field."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from .errors import Invalid


class DateInvalid(Invalid):
    """A date that is not ``YYYY-MM-DD`` (400, naming the field)."""

    http_status = 400


def local_day(moment: datetime | date | None) -> date | None:
    """The local calendar day of ``moment``: an aware moment in the platform's time zone, a naive one as given,
    a date as it is."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return moment


def parse_date(value: str | None) -> date | None:
    """``YYYY-MM-DD`` as a date; ``None`` when blank or not a date (a page's filter ignores a bad one)."""
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def require_date(value: str | None, *, field: str) -> date | None:
    """``YYYY-MM-DD`` as a date, ``None`` when blank; anything else is refused naming ``field``."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DateInvalid(f"{value!r} is not YYYY-MM-DD", field=field) from exc
