"""Behaviour of the parts built for scale: capped counts on long lists, exports that stream every row, the
forecast's cohorts per chemistry, and the search box's link to the traceability battery page."""

import csv
import io

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test import Client
from django.urls import reverse

from accounts.choices import JJJ_REGIONS
from dashboards import paging, selectors
from traceability.models import Binding, LifecycleEvent

pytestmark = pytest.mark.django_db


def _client(world):
    client = Client()
    client.force_login(world.users["reg_bj"])
    return client


def test_long_list_counts_up_to_the_cap_and_says_so(world, monkeypatch):
    monkeypatch.setattr(paging, "ROW_CAP", 5)
    client = _client(world)
    total = LifecycleEvent.objects.filter(region__in=JJJ_REGIONS).count()
    assert total > 5
    page = client.get(reverse("dashboards:events"), {"region": "JJJ"})
    assert page.context["page"].paginator.capped and page.context["page"].paginator.count == 5
    assert b'id="rows-capped"' in page.content
    # a narrower filter under the cap gets its exact count and no note
    few = client.get(reverse("dashboards:events"), {"region": "JJJ", "kind": "lost"})
    expected = LifecycleEvent.objects.filter(region__in=JJJ_REGIONS, kind="lost").count()
    assert 0 < expected <= 5
    assert not few.context["page"].paginator.capped and few.context["page"].paginator.count == expected
    assert b'id="rows-capped"' not in few.content
    # the export is not capped: every matching row, newest first
    response = client.get(reverse("dashboards:events"), {"region": "JJJ", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) - 1 == total


def test_events_list_is_newest_upload_first(world):
    page = _client(world).get(reverse("dashboards:events"), {"region": "JJJ"}).context["page"]
    ids = [e.pk for e in page]
    assert ids == sorted(ids, reverse=True) and ids[0] == LifecycleEvent.objects.order_by("-id")[0].pk


def test_exports_stream_inside_a_transaction(world):
    """Rows come from a server-side cursor opened in a transaction, so the first rows flow before the rest
    are computed; closing the download early ends the transaction cleanly."""

    outer = len(connection.savepoint_ids)  # the test's own transaction, if any
    rows = paging.streamed(LifecycleEvent.objects.order_by("id").values_list("id", flat=True), chunk_size=3)
    first = next(rows)
    assert len(connection.savepoint_ids) == outer + 1  # iterating inside its own (nested) transaction
    assert first == LifecycleEvent.objects.order_by("id")[0].pk
    rows.close()
    assert len(connection.savepoint_ids) == outer and not connection.needs_rollback


@pytest.mark.parametrize("chemistry", ["B", "E"])
def test_forecast_cohorts_per_chemistry_match_the_vehicles(world, chemistry):
    cohorts = selectors.platform_cohorts(JJJ_REGIONS, chemistry)
    first_packs = Binding.objects.filter(pack__chemistry=chemistry, vehicle__sold_at__isnull=False)
    direct = first_packs.aggregate(n=Count("vehicle", distinct=True), kg=Sum("pack__mass_kg"))
    assert sum(c.vehicles for c in cohorts) == direct["n"] > 0
    assert sum(c.vehicles * c.avg_pack_kg for c in cohorts) == pytest.approx(float(direct["kg"]))
    page = _client(world).get(reverse("dashboards:forecast"), {"region": "JJJ", "chemistry": chemistry})
    everything = _client(world).get(reverse("dashboards:forecast"), {"region": "JJJ"})
    assert page.context["chemistry"] == chemistry
    assert sum(page.context["data"]["platform"]) < sum(everything.context["data"]["platform"])


def test_forecast_ignores_an_unknown_chemistry(world):
    page = _client(world).get(reverse("dashboards:forecast"), {"region": "JJJ", "chemistry": "Q"})
    assert page.status_code == 200 and page.context["chemistry"] == ""


def test_search_links_the_traceability_battery_page(world):
    pack = world.packs[4]
    client = _client(world)
    expected = reverse("traceability:battery-detail", args=[pack.code])
    page = client.get(reverse("dashboards:search"), {"q": pack.code})
    assert page.context["trace_url"] == expected and expected.encode() in page.content
    go = client.get(reverse("dashboards:search"), {"q": world.vehicles[4].vin, "go": "1"})
    assert go.status_code == 302 and go["Location"] == expected
    assert client.get(reverse("dashboards:search"), {"q": "NOPE", "go": "1"}).status_code == 200
