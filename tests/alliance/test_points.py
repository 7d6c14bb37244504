"""Co-built service points: compliance credit for each automaker served, shares and monthly statements."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from alliance import selectors, services
from recycling_network.selectors import compliance_point_coverage
from recycling_network.services import service_point_register, service_point_review
from traceability.services import event_record

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def point_world(make_regulator):
    op, op_user = f.member(kinds=("service_operator",))
    a1, a1_user = f.member(kinds=("automaker",))
    a2, _ = f.member(kinds=("automaker",))
    point = service_point_register(
        actor=a1_user,
        name_zh="共建网点",
        district="110115",
        address="Daxing",
        lat=39.7,
        lon=116.3,
        operator=op,
    )
    service_point_review(point=point, actor=a1_user, action="submit")
    service_point_review(point=point, actor=make_regulator("BJ"), action="publish")
    return {"op": op, "op_user": op_user, "a1": a1, "a2": a2, "point": point}


def shares(w):
    return [
        services.ShareInput(member=w["a1"], cost_share=Decimal("0.4"), mass_share=Decimal("0.5")),
        services.ShareInput(member=w["a2"], cost_share=Decimal("0.4"), mass_share=Decimal("0.5")),
        services.ShareInput(member=w["op"], cost_share=Decimal("0.2"), mass_share=Decimal("0")),
    ]


def register_shares(w, shares, monthly_cost_cny=Decimal("10000")):
    """The operator registers the co-built point with these shares, open from 1 January 2026."""
    return services.shared_point_register(
        actor=w["op_user"],
        service_point=w["point"],
        monthly_cost_cny=monthly_cost_cny,
        opened_on=date(2026, 1, 1),
        shares=shares,
    )


def test_a_co_built_point_counts_in_the_network_for_each_automaker_it_serves(point_world):
    w = point_world
    register_shares(w, shares(w))
    coverage = {r["automaker_id"]: r for r in compliance_point_coverage(automakers=[w["a1"], w["a2"]])}
    assert coverage[w["a1"].pk]["points"] == 1 and coverage[w["a1"].pk]["co_built"] == 1
    assert coverage[w["a2"].pk]["points"] == 1 and coverage[w["a2"].pk]["co_built"] == 1


def test_shares_must_add_up(point_world):
    w = point_world
    bad = shares(w)[:2]
    with pytest.raises(services.AllianceError, match="cost shares must add up to 1"):
        register_shares(w, bad, monthly_cost_cny=Decimal(1))


def test_non_members_cannot_hold_shares(point_world, make_org):
    w = point_world
    outsider = make_org(kinds=("automaker",))
    s = shares(w)
    s[1] = services.ShareInput(member=outsider, cost_share=Decimal("0.4"), mass_share=Decimal("0.5"))
    with pytest.raises(services.AllianceError, match="not approved alliance members"):
        register_shares(w, s, monthly_cost_cny=Decimal(1))


def test_monthly_statement_per_member(point_world, client_for):
    w = point_world
    register_shares(w, shares(w))
    tz = timezone.get_current_timezone()
    for mass, day in (("300", 3), ("200", 20), ("999", 1)):
        b = f.battery(custodian=w["op"], maker=None, mass=mass, state="removed")
        month = 3 if day != 1 else 4
        event_record(
            battery=b,
            kind="received",
            actor=platform_actor(w["op"]),
            occurred_at=datetime(2026, month, day, 10, tzinfo=tz),
            place_ref=w["point"].place_ref,
        )
    st = selectors.member_statement(member=w["a1"], year=2026, month=3)
    assert st.total_kg == Decimal("250.00") and st.total_cost_cny == Decimal("4000.00")
    body = client_for(w["op_user"]).get("/api/v1/alliance/statements/", {"month": "2026-03"}).json()
    assert body["total_kg"] == "0.00" and body["total_cost_cny"] == "2000.00"
    # A member cannot read another member's statement.
    other = client_for(w["op_user"]).get(
        "/api/v1/alliance/statements/", {"month": "2026-03", "member": w["a1"].uscc}
    )
    assert other.status_code == 404


def test_shared_points_visible_to_share_holders_only(point_world, client_for, make_user):
    w = point_world
    register_shares(w, shares(w), monthly_cost_cny=Decimal("1"))
    assert client_for(w["op_user"]).get("/api/v1/alliance/shared-points/").json()["count"] == 1
    assert (
        client_for(make_user(kinds=("automaker",))).get("/api/v1/alliance/shared-points/").json()["count"]
        == 0
    )
