"""Bulk assessment jobs with progress, the battery page and the lists, with tenancy."""

import pytest
from django.test import Client

from accounts.actors import platform_actor
from tests.valuation.factories import BatteryFactory, days_ago
from traceability.services import event_record
from valuation.models import Valuation, ValuationJob
from valuation.services import valuation_assess

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/valuation/jobs/"


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_job_assesses_its_codes_and_reports_failures(
    holder, retired_pack, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(holder).post(JOBS, {"codes": [retired_pack.code, "NOPE"]}, format="json")
    assert response.status_code == 201, response.content
    job = ValuationJob.objects.get(pk=response.json()["id"])  # eager worker: run on commit
    assert (job.status, job.total, job.done, job.failed) == ("done", 2, 1, 1)
    assert job.progress_pct == 100 and job.errors[0]["code"] == "NOPE"
    detail = client_for(holder).get(f"{JOBS}{job.pk}/").json()
    assert detail["done"] == 1 and detail["progress_pct"] == 100


def test_a_service_points_stock_is_assessed(holder, client_for, django_capture_on_commit_callbacks):
    org = holder.organisation
    packs = [BatteryFactory(custodian=org, state="removed") for _ in range(3)]
    for pack in packs[:2]:
        event_record(
            battery=pack,
            kind="received",
            actor=platform_actor(org),
            occurred_at=days_ago(5),
            place_ref="sp:7",
        )
    event_record(
        battery=packs[2],
        kind="received",
        actor=platform_actor(org),
        occurred_at=days_ago(5),
        place_ref="sp:8",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(holder).post(JOBS, {"service_point": "sp:7"}, format="json")
    job = ValuationJob.objects.get(pk=response.json()["id"])
    assert sorted(job.codes) == sorted(p.code for p in packs[:2]) and job.done == 2


def test_job_input_is_checked_and_jobs_are_private(holder, make_user, client_for):
    assert client_for(holder).post(JOBS, {}, format="json").status_code == 400
    assert client_for(holder).post(JOBS, {"codes": []}, format="json").status_code == 400
    response = client_for(holder).post(JOBS, {"codes": ["A"]}, format="json")
    other = make_user(kinds=("service_operator",))
    assert client_for(other).get(f"{JOBS}{response.json()['id']}/").status_code == 404
    assert web(other).get(f"/valuation/jobs/{response.json()['id']}/").status_code == 404


def test_battery_page_shows_the_assessment_and_curve(holder, retired_pack):
    valuation_assess(battery=retired_pack, actor=holder)
    page = web(holder).get(f"/valuation/batteries/{retired_pack.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="curve"' in html and "curve-data" in html and "echarts.min.js" in html
    assert 'id="grade">B<' in html


def test_battery_page_assess_button_and_other_tenant(holder, retired_pack, make_user):
    response = web(holder).post(f"/valuation/batteries/{retired_pack.code}/assess/", {"valuation_date": ""})
    assert response.status_code == 302 and Valuation.objects.filter(battery=retired_pack).count() == 1
    stranger = make_user(kinds=("service_operator",))
    assert web(stranger).get(f"/valuation/batteries/{retired_pack.code}/").status_code == 404
    assert web(stranger).post(f"/valuation/batteries/{retired_pack.code}/assess/").status_code == 404


def test_lists_filter_export_and_hide_other_tenants(
    holder, retired_pack, make_user, client_for, make_regulator
):
    valuation_assess(battery=retired_pack, actor=holder)
    assert retired_pack.code in web(holder).get("/valuation/?grade=B").content.decode()
    assert retired_pack.code not in web(holder).get("/valuation/?grade=C").content.decode()
    export = web(holder).get("/valuation/?export=csv")
    assert retired_pack.code in b"".join(export.streaming_content).decode()
    stranger = make_user(kinds=("service_operator",))
    assert client_for(stranger).get("/api/v1/valuation/valuations/").json()["count"] == 0
    assert client_for(make_regulator()).get("/api/v1/valuation/valuations/").json()["count"] == 1
    assert web(holder).get("/valuation/jobs/").status_code == 200
    assert web(holder).get("/valuation/prices/").status_code == 200


def test_sorter_endpoint(holder, client_for):
    items = [{"id": "a", "soh": 0.8, "internal_resistance": 10}, {"id": "b", "soh": 0.81, "internal_resistance": 10.2},
             {"id": "c", "soh": 0.6, "internal_resistance": 10}]  # fmt: skip
    body = client_for(holder).post("/api/v1/valuation/sort/", {"items": items}, format="json").json()
    assert body == {"groups": [["a", "b"]], "unmatched": ["c"]}
    bad = client_for(holder).post(
        "/api/v1/valuation/sort/", {"items": [{"id": "x", "soh": 2}]}, format="json"
    )
    assert bad.status_code == 400 and "items" in bad.json()["error"]["fields"]
