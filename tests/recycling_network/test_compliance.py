"""Compliance signals in selectors (R-COMPLY): point coverage, late uploads, stale custody, unregistered intake."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recycling_network import selectors
from recycling_network.models import NetworkParameter
from recycling_network.services import intake_record
from tests.factories import OrganisationFactory, UserFactory

from .factories import make_pack, make_point


@pytest.mark.django_db
def test_co_built_points_count_for_every_automaker_they_serve():
    a = OrganisationFactory(kinds=["automaker"], region="BJ")
    b = OrganisationFactory(kinds=["automaker"], region="HB")
    make_point(automakers=[a], region="BJ")
    make_point(automakers=[a, b], region="TJ")
    make_point(automakers=[b, a], region="HB", kind="mobile")
    make_point(automakers=[b], region="HB", status="suspended")
    rows = {r["automaker_id"]: r for r in selectors.compliance_point_coverage(automakers=[a, b])}
    assert rows[a.pk]["points"] == 3 and rows[a.pk]["compliant"] is True
    assert rows[a.pk]["by_region"] == {"BJ": 1, "TJ": 1, "HB": 1} and rows[a.pk]["co_built"] == 2
    assert rows[b.pk]["points"] == 2 and rows[b.pk]["compliant"] is False and rows[b.pk]["minimum"] == 3


@pytest.mark.django_db
def test_minimum_is_data():
    a = OrganisationFactory(kinds=["automaker"])
    make_point(automakers=[a])
    NetworkParameter.objects.filter(key="min_points_per_automaker").update(value=1)
    assert selectors.compliance_point_coverage(automakers=[a])[0]["compliant"] is True


@pytest.mark.django_db
def test_stale_custody_and_unregistered_intake(point, operator_user):
    old, fresh = make_pack(), make_pack()
    intake_record(point=point, actor=operator_user, code=old.code, source_kind="owner",
                  received_at=timezone.now() - timedelta(days=120))  # fmt: skip
    intake_record(point=point, actor=operator_user, code=fresh.code, source_kind="owner")
    intake_record(point=point, actor=operator_user, code="ZZZPE01UNKNOWND110000001", source_kind="owner")
    stale = list(selectors.compliance_stale_custody())
    assert [b.code for b in stale] == [old.code] and stale[0].point_id == point.pk
    assert selectors.compliance_stale_custody(days=200).count() == 0
    rows = selectors.compliance_unregistered_intakes()
    assert rows == [{**rows[0], "point_id": point.pk, "count": 1}]
    assert selectors.compliance_unregistered_intakes(region="TJ") == []


@pytest.mark.django_db
def test_late_uploads_count_events_at_the_automakers_points(point, operator_user, automaker):
    late_pack = make_pack()
    # Received 200 days ago and reported now: past any deadline in the table.
    intake_record(point=point, actor=operator_user, code=late_pack.code, source_kind="owner",
                  received_at=timezone.now() - timedelta(days=200))  # fmt: skip
    row = selectors.compliance_late_uploads(automakers=[automaker])[0]
    other = OrganisationFactory(kinds=["automaker"])
    other_row = selectors.compliance_late_uploads(automakers=[other])[0]
    assert other_row["late"] == 0
    # The deadline table gives service-point receipts 30 working days (第十一条).
    assert row["late"] >= 1 and row["late_share"] > 0


@pytest.mark.django_db
def test_summary_and_regulator_api(client_for, make_regulator, point, operator_user):
    intake_record(point=point, actor=operator_user, code="ZZZPE01UNKNOWND110000002", source_kind="owner")
    rows = client_for(make_regulator()).get("/api/v1/network-compliance/").json()["results"]
    mine = next(r for r in rows if r["automaker_id"] == point.automakers.first().pk)
    assert mine["unregistered_intakes"] == 1 and mine["points"] == 1
    enterprise = client_for(UserFactory(organisation=OrganisationFactory()))
    assert enterprise.get("/api/v1/network-compliance/").status_code == 403
    alerts = client_for(make_regulator(region="HB")).get("/api/v1/network-alerts/").json()
    assert alerts["count"] == 1
    assert (
        client_for(UserFactory(organisation=OrganisationFactory()))
        .get("/api/v1/network-alerts/")
        .json()["count"]
        == 0
    )
