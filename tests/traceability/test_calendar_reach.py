"""How far the holiday calendar reaches (R-TIME; domain.md §3): past its last loaded year a deadline is counted
Monday to Friday and marked provisional, regulators are warned 60 days ahead, and a new year is a data file plus
a migration (``traceability.calendars.load_calendar_year``)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from traceability import deadlines
from traceability.calendars import DATA, load_calendar_year
from traceability.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    deadlines.reset_cache()
    yield
    deadlines.reset_cache()


def test_calendar_ends_with_the_last_loaded_year():
    last = max(CalendarYear.objects.values_list("year", flat=True))
    assert deadlines.calendar_end() == date(last, 12, 31)
    assert CalendarDay.objects.filter(date__year=last).exists()


def test_deadline_past_the_calendar_is_provisional_and_inside_it_is_not():
    end = deadlines.calendar_end()
    assert deadlines.deadline_is_provisional(end + timedelta(days=1)) is True
    assert deadlines.deadline_is_provisional(end) is False
    assert deadlines.deadline_is_provisional(None) is False


def test_warning_sixty_days_before_the_end_and_after_it():
    end = deadlines.calendar_end()
    assert deadlines.calendar_warning(today=end - timedelta(days=61)) is None
    assert deadlines.calendar_warning(today=end - timedelta(days=30)) == {"end": end, "days_left": 30}
    assert deadlines.calendar_warning(today=end + timedelta(days=5)) == {"end": end, "days_left": 0}


def test_a_new_year_loads_from_its_file_and_marks_earlier_deadlines(tmp_path):
    end = deadlines.calendar_end()
    year = end.year + 1
    path = tmp_path / f"holidays-cn-{year}.csv"
    path.write_text(
        f"first,last,is_working_day,name\n{year}-01-01,{year}-01-01,0,元旦\n{year}-02-07,{year}-02-07,1,春节调休\n",
        encoding="utf-8",
    )
    reported_before = timezone.now() - timedelta(days=1)
    loaded = timezone.now()
    load_calendar_year(CalendarDay, CalendarYear, path=path, year=year, source="test notice", now=loaded)
    deadlines.reset_cache()
    assert deadlines.calendar_end() == date(year, 12, 31)
    assert CalendarDay.objects.get(date=date(year, 1, 1)).is_working_day is False
    assert CalendarDay.objects.get(date=date(year, 2, 7)).is_working_day is True
    # Counted before the year was loaded: still provisional (the event keeps the deadline it was given).
    assert deadlines.deadline_is_provisional(date(year, 3, 1), reported_before) is True
    assert deadlines.deadline_is_provisional(date(year, 3, 1), loaded + timedelta(seconds=1)) is False
    # The new holiday now counts: 31 Dec + 1 working day skips 1 January.
    assert deadlines.deadline_after(date(year - 1, 12, 31), 1) == date(
        year, 1, 4 if date(year, 1, 2).weekday() >= 5 else 2
    )


def test_a_file_without_the_year_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("first,last,is_working_day,name\n2019-01-01,2019-01-01,0,元旦\n", encoding="utf-8")
    with pytest.raises(ValueError, match="2031"):
        load_calendar_year(CalendarDay, CalendarYear, path=path, year=2031, source="x")


def test_the_shipped_calendar_file_is_the_one_loaded():
    assert (DATA / "holidays-cn.csv").exists()
    years = set(CalendarYear.objects.values_list("year", flat=True))
    assert {2018, 2026} <= years


def test_regulator_pages_show_the_warning(client, make_regulator, monkeypatch):
    end = deadlines.calendar_end()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: end - timedelta(days=10))
    client.force_login(make_regulator(region="BJ"))
    body = client.get("/dashboards/").content.decode()
    assert 'id="calendar-warning"' in body and end.isoformat() in body
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: end - timedelta(days=200))
    assert 'id="calendar-warning"' not in client.get("/dashboards/").content.decode()
