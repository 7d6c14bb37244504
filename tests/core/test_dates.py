"""The one parser of a reported time: a date or an ISO time, never in the future, refused naming the field."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.dates import DateInvalid, parse_when
from core.errors import Invalid


def test_a_date_is_the_start_of_that_local_day():
    when = parse_when("2025-03-04", field="occurred_at")
    local = timezone.localtime(when)
    assert (local.date().isoformat(), local.hour, local.minute) == ("2025-03-04", 0, 0)


def test_an_iso_time_keeps_its_offset():
    when = parse_when("2025-03-04T08:30:00Z", field="occurred_at")
    assert timezone.is_aware(when) and when.utcoffset() == timedelta(0) and when.hour == 8


@pytest.mark.parametrize(("value", "code"), [("", "required"), (None, "required"), ("4 March", "invalid")])
def test_a_missing_or_malformed_time_is_refused_naming_the_field(value, code):
    with pytest.raises(DateInvalid) as refused:
        parse_when(value, field="sold_at")
    assert refused.value.field == "sold_at" and refused.value.code == code


def test_a_future_time_is_refused_as_the_callers_class():
    class Mine(Invalid):
        pass

    future = (timezone.now() + timedelta(days=2)).isoformat()
    with pytest.raises(Mine) as refused:
        parse_when(future, field="replaced_at", refusal=Mine)
    assert refused.value.field == "replaced_at" and "future" in refused.value.message
