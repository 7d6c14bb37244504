"""What a value may be before it reaches the database: the column's range, a real UTC offset, a year of the
platform's calendar. Input outside these is the sender's error (400 naming the field), never a server error."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection
from django.db.models import Field, Model
from django.utils.translation import gettext_lazy as _

# Civil time zones run from UTC-12:00 to UTC+14:00; PostgreSQL refuses displacements beyond ±15:59.
MAX_UTC_OFFSET = timedelta(hours=14)
# No battery, vehicle or record of the platform is dated outside these years; converting a moment near
# year 1 or 9999 to UTC would overflow Python's calendar.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2999
# PostgreSQL's double precision holds up to about 1.8e308; a filter value beyond this cannot be compared.
FLOAT_LIMIT = 1e300
# No pack, module, cell or batch the platform records reaches a million of its unit (kg, kWh, Ah): the columns
# hold more, but a value past this is a typing error, and refused as one.
MAX_QUANTITY = 10**6


def is_quantity(value: Decimal | float | int, *, zero: bool = False) -> bool:
    """Whether ``value`` is a quantity the platform records (kg, kWh, Ah): finite, below ``MAX_QUANTITY`` and
    above 0, or 0 too where ``zero``."""
    number = Decimal(value)
    if not number.is_finite():
        return False  # before comparing: a NaN Decimal refuses to be ordered
    return (number >= 0 if zero else number > 0) and number < MAX_QUANTITY


def validate_moment(value: date | datetime | None) -> None:
    """A date or datetime the platform can store and compare: a year of its calendar, a real UTC offset."""
    if value is None:
        return
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(_("Enter a UTC offset between -14:00 and +14:00."), code="offset_range")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            _("Enter a year between %(earliest)d and %(latest)d."),
            code="year_range",
            params={"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
        )


def year_validators() -> list:
    return [MinValueValidator(EARLIEST_YEAR), MaxValueValidator(LATEST_YEAR)]


def integer_range(internal_type: str) -> tuple[int | None, int | None]:
    """The database's range of an integer column type (``IntegerField``, ``PositiveBigIntegerField``...)."""
    return connection.ops.integer_field_range(internal_type)


def column_bounds(model: type[Model], name: str) -> dict:
    """``min_value``/``max_value`` of a model field, for a serializer or form field that feeds that column::

    capacity_kg = serializers.IntegerField(required=False, **column_bounds(ServicePoint, "capacity_kg"))
    """
    bounds: dict = {}
    # A named column is a concrete field; relations and generic keys have no validators to read.
    for validator in cast(Field, model._meta.get_field(name)).validators:
        if isinstance(validator, MinValueValidator):
            limit = validator.limit_value
            bounds["min_value"] = max(limit, bounds.get("min_value", limit))
        elif isinstance(validator, MaxValueValidator):
            limit = validator.limit_value
            bounds["max_value"] = min(limit, bounds.get("max_value", limit))
    return bounds


def year_param(raw: str | None, *, default: int, field: str = "year") -> int:
    """A year from a query parameter: ``default`` when absent; a ValidationError naming ``field`` when it is
    not a year of the platform's calendar (the API answers 400; a page falls back to ``default``)."""
    if not raw:
        return default
    try:
        year = int(raw)
    except (TypeError, ValueError):
        year = None
    if year is None or not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValidationError(
            {
                field: [
                    _("Enter a year between %(earliest)d and %(latest)d.")
                    % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
                ]
            },
            code="year_range",
        )
    return year


def year_or_default(raw: str | None, *, default: int) -> int:
    """For pages: the year asked for, or ``default`` when the value is not a year."""
    try:
        return year_param(raw, default=default)
    except ValidationError:
        return default
