"""An automaker answers for the uploads of the service points that serve it (R-COMPLY; domain.md §3, 第十、十一条):
late uploads and unregistered codes received at its points count in its compliance, not only the uploader's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from dashboards import selectors
from dashboards.services import materialised_views_refresh
from tests.factories import OrganisationFactory
from tests.recycling_network.factories import make_point
from traceability.models import Battery, LifecycleEvent


def _pack(code: str, *, registered: bool) -> Battery:
    return Battery.objects.create(
        code=code, level="P", chemistry="B", mass_kg=Decimal(300), registered=registered
    )


def _received(pack, *, actor, place_ref: str, late: bool):
    occurred = timezone.now() - timedelta(days=40)
    return LifecycleEvent.objects.create(
        battery=pack, kind="received", state_after="at_service_point", actor=actor, custodian_after=actor,
        place_ref=place_ref, region="BJ", occurred_at=occurred, reported_at=occurred + timedelta(days=35),
        deadline=(occurred + timedelta(days=30)).date(), on_time=not late,
    )  # fmt: skip


@pytest.fixture
def network(db):
    served = OrganisationFactory(kinds=["automaker"], region="BJ")
    bystander = OrganisationFactory(kinds=["automaker"], region="BJ")
    operator = OrganisationFactory(kinds=["service_operator"], region="BJ")
    point = make_point(operator=operator, automakers=[served], region="BJ")
    _received(_pack("ZZZPB01UNKNOWND110000001", registered=False), actor=operator, place_ref=point.place_ref,
              late=True)  # fmt: skip
    _received(_pack("ZZZPB01UNKNOWND110000002", registered=True), actor=operator, place_ref=point.place_ref,
              late=False)  # fmt: skip
    # The same operator's receipt elsewhere (not at a point serving anyone) stays with the operator alone.
    _received(_pack("ZZZPB01UNKNOWND110000003", registered=False), actor=operator, place_ref="", late=True)
    materialised_views_refresh(concurrently=False)
    return served, bystander, operator


def test_points_uploads_count_against_the_served_automaker(network):
    served, bystander, operator = network
    timely = selectors.timeliness_by_actor(JJJ_REGIONS, None)
    assert (timely[served.pk]["on_time"], timely[served.pk]["late"]) == (1, 1)
    assert (timely[operator.pk]["on_time"], timely[operator.pk]["late"]) == (1, 2)
    assert bystander.pk not in timely
    unregistered = selectors.unregistered_by_actor(JJJ_REGIONS, None)
    assert (
        unregistered[served.pk] == 1 and unregistered[operator.pk] == 2 and bystander.pk not in unregistered
    )


def test_compliance_score_of_the_served_automaker_shows_them(network):
    served, bystander, _ = network
    scores = {s.org.pk: s for s in selectors.compliance_scores(regions=JJJ_REGIONS, year=None)}
    assert scores[served.pk].unregistered == 1 and scores[served.pk].late == 1
    assert scores[bystander.pk].unregistered == 0 and scores[bystander.pk].late == 0


def test_region_totals_count_each_upload_once(network):
    rows = selectors.timeliness_by_kind_month(None, JJJ_REGIONS, None)
    assert sum(r["on_time"] + r["late"] for r in rows) == 3
