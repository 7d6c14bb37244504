from datetime import date

import pytest

from traceability import deadlines
from traceability.workdays import add_working_days

pytestmark = pytest.mark.django_db


def test_holidays_and_make_up_days_are_data():
    deadlines.reset_cache()
    # National Day 2024: 1-7 October off; Saturday 12 October a make-up working day.
    assert deadlines.deadline_after(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert deadlines.deadline_after(date(2024, 10, 11), 1) == date(2024, 10, 12)


def test_rule_for_the_actor_kind_wins():
    deadlines.reset_cache()
    assert deadlines.working_days_for("bound", ["automaker"], date(2024, 1, 1)) == 15
    assert deadlines.working_days_for("replaced_out", ["after_sales"], date(2024, 1, 1)) == 30
    assert deadlines.working_days_for("bound", ["automaker"], date(2017, 1, 1)) is None
    assert deadlines.working_days_for("transported", ["logistics"], date(2024, 1, 1)) is None


def test_weekdays_without_calendar():
    assert add_working_days(date(2024, 5, 10), 1, {}) == date(2024, 5, 13)
