"""The one list page: columns, the query string it hands to links, exports through the escaping writer, formats
it refuses, and ``can_write`` for a page of rows in one query."""

import csv
import io
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import tenancy
from core.audit import audit_log
from core.list_views import Column
from core.views import AuditLogList
from recycling_network.models import ServicePoint
from tests.factories import UserFactory
from tests.recycling_network.factories import make_point


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_column_reads_an_attribute_path_and_an_empty_link_as_none():
    row = SimpleNamespace(code="X1", battery=SimpleNamespace(code="B1"), point=None)
    assert Column("code")(row) == "X1"
    assert Column("battery", "battery.code")(row) == "B1"
    assert Column("point", "point.code")(row) is None
    assert Column("twice", lambda r: r.code * 2)(row) == "X1X1"
    assert Column("key", "a.b")({"a": {"b": 3}}) == 3


def test_column_of_a_missing_attribute_fails_loudly():
    with pytest.raises(AttributeError):
        Column("nope")(SimpleNamespace(code="X"))


@pytest.mark.django_db
def test_audit_export_escapes_formula_text_and_keeps_the_filters(client):
    user = UserFactory()
    audit_log(actor=user, action="probe", obj=user, changes={"note": "x"})
    audit_log(actor=user, action='=HYPERLINK("http://evil")', obj=user, changes={})
    client.force_login(user)
    rows = _csv(client.get("/audit/", {"export": "csv", "action": '=HYPERLINK("http://evil")'}))
    assert rows[0][:4] == ["created_at", "actor", "organisation", "action"]
    assert len(rows) == 2  # the filter applies to the export: only the one matching row
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'
    assert rows[1][1] == user.username


@pytest.mark.django_db
def test_an_unknown_export_format_renders_the_page_and_links_drop_page_and_export(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get("/audit/", {"export": "pdf", "page": "2", "action": "probe"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert response.context["query"] == "action=probe"


@pytest.mark.django_db
def test_a_page_without_export_never_answers_a_file(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get("/network/alerts/", {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_another_tenants_rows_stay_out_of_the_export(client):
    mine, theirs = make_point(), make_point()
    user = UserFactory(organisation=mine.operator)
    client.force_login(user)
    codes = [r[0] for r in _csv(client.get("/network/points/", {"export": "csv"}))[1:]]
    assert mine.code in codes and theirs.code not in codes


@pytest.mark.django_db
def test_writable_pks_answers_can_write_for_every_row_in_one_query():
    mine, theirs = make_point(), make_point()
    user = UserFactory(organisation=mine.operator)
    rows = list(ServicePoint.objects.filter(pk__in=[mine.pk, theirs.pk]))
    with CaptureQueriesContext(connection) as queries:
        writable = tenancy.writable_pks(user, rows)
    assert len(queries) <= 2  # the scope's organisation, then one query for the lot
    assert writable == {p.pk for p in rows if tenancy.can_write(user, p)} == {mine.pk}
    assert tenancy.writable_pks(user, []) == set()


@pytest.mark.django_db
def test_points_page_asks_the_same_number_of_queries_for_more_rows(client, make_regulator):
    regulator = make_regulator(region="BJ")
    client.force_login(regulator)
    make_point(status="submitted")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/network/points/").status_code == 200
    for _ in range(6):
        make_point(status="submitted")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/network/points/")
    assert page.status_code == 200 and page.content.count(b'value="publish"') == 7
    assert len(many) == len(few)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_past_its_limit_is_refused_naming_the_limit_not_cut_short(client, monkeypatch, fmt):
    monkeypatch.setattr(AuditLogList, "export_limit", 2)
    user = UserFactory()
    for n in range(3):
        audit_log(actor=user, action="probe", obj=user, changes={"n": n})
    audit_log(actor=user, action="single", obj=user, changes={})
    client.force_login(user)
    response = client.get("/audit/", {"export": fmt, "action": "probe"})
    assert response.status_code == 400
    assert "more than 2 rows for one export; narrow the filters" in response.content.decode()
    # Within the limit the file comes whole.
    rows = _csv(client.get("/audit/", {"export": "csv", "action": "single"}))
    assert [r[3] for r in rows[1:]] == ["single"]


@pytest.mark.django_db
def test_an_xlsx_past_its_row_limit_is_refused_and_a_csv_of_the_same_rows_streams(client, settings):
    settings.XLSX_EXPORT_MAX_ROWS = 2
    user = UserFactory()
    for n in range(3):
        audit_log(actor=user, action="probe", obj=user, changes={"n": n})
    client.force_login(user)
    refused = client.get("/audit/", {"export": "xlsx", "action": "probe"})
    assert refused.status_code == 400
    assert "more than 2 rows for an XLSX file; narrow the filters, or export CSV" in refused.content.decode()
    assert len(_csv(client.get("/audit/", {"export": "csv", "action": "probe"}))) == 4
