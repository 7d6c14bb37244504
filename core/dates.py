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


def parse_when(value, *, field: str, refusal: type[Invalid] = DateInvalid) -> datetime:
    """A date (the start of that day, local time) or an ISO time a party reports: never in the future. A missing,
    malformed or future one is refused as ``refusal`` (the calling app's class), naming ``field``."""
    if isinstance(value, datetime):
        when = value
    else:
        text = str(value or "").strip()
        if not text:
            raise refusal("this field is required", field=field, code="required")
        try:
            if len(text) == 10:
                d = date.fromisoformat(text)
                when = datetime(d.year, d.month, d.day)
            else:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise refusal(f"not a date or ISO time: {text!r}", field=field) from exc
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > timezone.now():
        raise refusal("this is in the future", field=field)
    return when


def require_date(value: str | None, *, field: str) -> date | None:
    """``YYYY-MM-DD`` as a date, ``None`` when blank; anything else is refused naming ``field``."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DateInvalid(f"{value!r} is not YYYY-MM-DD", field=field) from exc
