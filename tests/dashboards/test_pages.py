"""Access to the dashboard pages, exports with the page's filters, and the findings workflow."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditLog
from dashboards import services
from dashboards.models import CohortRow, Finding
from traceability.models import Battery

pytestmark = pytest.mark.django_db

PAGES = ["overview", "flows", "compliance", "findings", "lost", "forecast", "search", "batteries", "events"]


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


def all_urls(world):
    return [reverse(f"dashboards:{p}") for p in PAGES] + [
        reverse("dashboards:enterprise", args=[world.orgs["auto_tj"].pk])
    ]


def test_anonymous_is_sent_to_login(world):
    for url in all_urls(world):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_enterprise_user_gets_403_everywhere(world):
    client = browser_for(world.users["auto_tj"])
    for url in all_urls(world):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("dashboards:publish"), {"region": "TJ"}).status_code == 403


@pytest.mark.parametrize("region", ["BJ", "TJ", "HB", "JJJ"])
def test_regulator_opens_every_page_in_every_region(world, region):
    client = browser_for(world.users["reg_bj"])
    for url in all_urls(world):
        response = client.get(url, {"region": region})
        assert response.status_code == 200, url
        assert response.context["rv"].editable is (region == "BJ")


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_battery_export_has_the_filtered_rows_in_csv_and_xlsx(world):
    client = browser_for(world.users["reg_bj"])
    params = {"region": "JJJ", "state": "at_service_point"}
    expected = set(Battery.objects.filter(state="at_service_point").values_list("code", flat=True))
    assert expected
    rows = _csv_rows(client.get(reverse("dashboards:batteries"), {**params, "export": "csv"}))
    assert {r[0] for r in rows[1:]} == expected
    response = client.get(reverse("dashboards:batteries"), {**params, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == expected


def test_every_table_exports(world):
    client = browser_for(world.users["reg_bj"])
    for name in ["flows", "compliance", "findings", "lost", "forecast", "batteries", "events"]:
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse(f"dashboards:{name}"), {"region": "JJJ", "export": fmt})
            assert response.status_code == 200, (name, fmt)
            assert response["Content-Disposition"].endswith(f'.{fmt}"'), name


def test_flow_table_links_open_the_packs(world):
    client = browser_for(world.users["reg_bj"])
    response = client.get(reverse("dashboards:flows"), {"region": "JJJ", "date_from": "2000-01-01"})
    rows = response.context["rows"]
    assert rows
    for row in rows:
        listed = client.get(row["link"]).context["page"].paginator.count
        assert listed == row["packs"]


def _propose(world, actor):
    return services.finding_propose(
        actor=actor, enterprise=world.orgs["auto_tj"], rule_code="unregistered_codes", period="2026"
    )


def test_only_the_enterprises_regulator_writes_its_findings(world):
    bj, tj = world.users["reg_bj"], world.users["reg_tj"]
    url = reverse("dashboards:enterprise", args=[world.orgs["auto_tj"].pk])
    # Beijing reads the Tianjin automaker's page but gets no write controls, and a forged post is refused.
    page = browser_for(bj).get(url, {"region": "TJ"})
    assert page.status_code == 200 and not page.context["can_write"]
    assert b'id="propose-form"' not in page.content
    forged = browser_for(bj).post(url, {"action": "propose", "rule": "unregistered_codes", "period": "2026"})
    assert forged.status_code == 403
    assert not Finding.objects.exists()
    # Tianjin records and confirms it.
    response = browser_for(tj).post(
        url, {"action": "propose", "rule": "unregistered_codes", "period": "2026"}
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.region == "TJ" and finding.status == "proposed" and finding.evidence["unregistered"] == 1
    assert browser_for(bj).post(url, {"action": "confirm", "finding": finding.pk}).status_code == 403
    browser_for(tj).post(url, {"action": "confirm", "finding": finding.pk})
    finding.refresh_from_db()
    assert finding.status == "confirmed" and finding.decided_by == tj
    assert AuditLog.objects.filter(action__in=["finding.propose", "finding.confirmed"]).count() == 2


def test_a_rule_that_is_met_cannot_be_found(world):
    with pytest.raises(services.DashboardError, match="rule is met"):
        services.finding_propose(
            actor=world.users["reg_bj"],
            enterprise=world.orgs["auto_bj"],
            rule_code="unregistered_codes",
            period="2026",
        )


def test_publication_makes_confirmed_findings_public(world):
    tj = world.users["reg_tj"]
    finding = services.finding_decide(actor=tj, finding=_propose(world, tj), confirm=True)
    assert (
        browser_for(world.users["reg_bj"]).post(reverse("dashboards:publish"), {"region": "TJ"}).status_code
        == 403
    )
    assert Client().get(reverse("dashboards:violations")).context["page"].paginator.count == 0
    browser_for(tj).post(reverse("dashboards:publish"), {"region": "TJ"})
    finding.refresh_from_db()
    assert finding.status == "published" and finding.publication.published_by == tj
    public = Client().get(reverse("dashboards:violations"))
    assert public.status_code == 200 and public.context["page"].paginator.count == 1
    assert AuditLog.objects.filter(action="violations.publish").exists()
    with pytest.raises(services.DashboardError):
        services.violations_publish(actor=tj, region="TJ")  # nothing left to publish


def test_cohort_import_checks_rows_and_region(world):
    url = reverse("dashboards:forecast")
    good = b"region,year,vehicles,avg_pack_kg,use\nBJ,2019,1200,330,private\n"
    bad = b"region,year,vehicles,avg_pack_kg,use\nBJ,20x9,1200,330,private\n"
    other = b"region,year,vehicles,avg_pack_kg,use\nTJ,2019,1200,330,private\n"
    client = browser_for(world.users["reg_bj"])
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", bad)})
    assert response.status_code == 200 and "row 2" in response.context["form_error"]
    assert client.post(url, {"file": SimpleUploadedFile("c.csv", other)}).status_code == 403
    assert client.post(url, {"file": SimpleUploadedFile("c.csv", good)}).status_code == 302
    page = client.get(url, {"region": "BJ"})
    assert page.context["cohorts"].paginator.count == 1
    assert page.context["data"]["imported"][page.context["data"]["years"].index(2020)] > 0


@pytest.mark.parametrize(
    "row",
    [b"BJ,2019,99999999999999999999,330,private", b"BJ,2019,-1,330,private", b"BJ,2019,12,nan,private",
     b"BJ,2019,12,1e999,private", b"BJ,1899,12,330,private"],
)  # fmt: skip
def test_a_cohort_row_out_of_range_refuses_the_file_naming_the_row(world, row):
    client = browser_for(world.users["reg_bj"])
    upload = SimpleUploadedFile("c.csv", b"region,year,vehicles,avg_pack_kg,use\n" + row + b"\n")
    response = client.post(reverse("dashboards:forecast"), {"file": upload})
    assert response.status_code == 200 and "row 2: " in response.context["form_error"]
    assert not CohortRow.objects.filter(region="BJ", year__in=(1899, 2019)).exists()


def test_search_finds_by_vin_and_code(world):
    client = browser_for(world.users["reg_bj"])
    response = client.get(reverse("dashboards:search"), {"q": world.vehicles[1].vin})
    assert response.context["battery"] == world.packs[1]
    response = client.get(reverse("dashboards:search"), {"q": "NOTHING"})
    assert response.context["battery"] is None and response.status_code == 200


def test_findings_api_follows_tenancy(world, client_for):
    tj = world.users["reg_tj"]
    services.finding_decide(actor=tj, finding=_propose(world, tj), confirm=True)
    assert (
        client_for(world.users["reg_bj"]).get("/api/v1/dashboards/findings/?region=TJ").json()["count"] == 1
    )
    assert client_for(world.users["auto_tj"]).get("/api/v1/dashboards/findings/").json()["count"] == 0
    services.violations_publish(actor=tj, region="TJ")
    assert client_for(world.users["auto_tj"]).get("/api/v1/dashboards/findings/").json()["count"] == 1


@pytest.mark.parametrize(("language", "expected"), [("en", "Maker A Ltd"), ("zh-hans", "甲电池")])
def test_the_overview_names_makers_in_the_active_language(world, language, expected):
    maker = world.orgs["maker_a"]
    maker.name_zh, maker.name_en = "甲电池", "Maker A Ltd"
    maker.save(update_fields=["name_zh", "name_en"])
    client = browser_for(world.users["reg_bj"])
    client.cookies["django_language"] = language
    response = client.get(reverse("dashboards:overview"), {"region": "JJJ"})
    makers = response.context["charts"]["maker"]["yAxis"]["data"]
    assert expected in makers, makers
