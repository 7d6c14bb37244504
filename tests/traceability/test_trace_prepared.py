"""The trace is read through a statement prepared once per database connection (R-LIFE): the same answer on
every read, two statements per read once prepared, and prepared again on a new connection."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from traceability import selectors
from traceability.models import Battery

from .factories import register_pack

pytestmark = pytest.mark.django_db(transaction=True)


def _read(pack) -> tuple[int, list[str], dict]:
    with CaptureQueriesContext(connection) as captured:
        trace = selectors.battery_trace(battery=Battery.objects.get(pk=pack.pk))
    return len(captured.captured_queries), [q["sql"][:20] for q in captured.captured_queries], trace


def test_trace_reads_the_same_through_the_prepared_statement_and_after_a_reconnection(make_org):
    maker = make_org(kinds=["battery_maker"])
    pack = register_pack(maker, modules=2, cells=2)
    other = register_pack(maker)
    connection.close()
    first_count, first_sql, first = _read(pack)
    assert any(sql.startswith("PREPARE") for sql in first_sql)  # a new connection prepares it
    second_count, second_sql, second = _read(pack)
    assert not any(sql.startswith("PREPARE") for sql in second_sql)
    assert second_count == first_count - 1
    assert second == first
    assert [c["code"] for c in second["children"]] and len(second["children"]) == 2
    assert [e["kind"] for e in second["events"]] == ["produced"]
    # Another battery on the same connection: its own history, not the first one's.
    _, _, alone = _read(other)
    assert alone["battery"]["code"] == other.code and alone["children"] == []
    connection.close()
    third_count, third_sql, third = _read(pack)
    assert any(sql.startswith("PREPARE") for sql in third_sql) and third_count == first_count
    assert third == first
