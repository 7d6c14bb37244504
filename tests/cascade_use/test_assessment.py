"""Safety assessment before reuse (GB/T 34015.1 fields); a failed item can only go to regeneration."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from cascade_use import selectors
from cascade_use.services import CascadeError, assessment_record, waste_handover
from regeneration.services import pack_receive
from tests.cascade_use.factories import (
    ASSESSMENT,
    assess,
    authorise,
    battery_maker,
    cascade_enterprise,
    held_pack,
    licence,
    now,
    regeneration_enterprise,
    repurpose,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maker, enterprise, regen = battery_maker(), cascade_enterprise(), regeneration_enterprise()
    authorise(maker, enterprise)
    licence(regen)
    return {
        "maker": maker,
        "enterprise": enterprise,
        "regen": regen,
        "pack": held_pack(maker=maker, holder=enterprise),
    }


def test_soh_is_remaining_over_rated_capacity_and_an_event_is_written(world):
    a = assess(world["pack"], world["enterprise"])
    assert a.soh_pct == Decimal("75.00")  # 112.5 Ah of 150 Ah
    event = world["pack"].events.order_by("-id").first()
    assert event.kind == "assessed" and event.payload["verdict"] == "pass"


@pytest.mark.parametrize(
    ("measured", "field"),
    [
        ({"remaining_capacity_ah": Decimal("9999999")}, "remaining_capacity_ah"),  # an SOH of 6,666,666 %
        ({"soh_pct": Decimal("-5")}, "soh_pct"),
        ({"soh_pct": Decimal("999.99")}, "soh_pct"),
        ({"voltage_v": Decimal("-350")}, "voltage_v"),
        ({"insulation_mohm": Decimal("-1")}, "insulation_mohm"),
        ({"voltage_spread_mv": Decimal("NaN")}, "voltage_spread_mv"),
    ],
)
def test_a_measurement_no_battery_can_give_is_refused_naming_it(world, measured, field):
    """The page's form and the API both reach this service; before it checked, a computed SOH too large for its
    column was a database error."""
    with pytest.raises(CascadeError) as refused:
        assess(world["pack"], world["enterprise"], **measured)
    assert refused.value.field == field
    assert not world["pack"].events.filter(kind="assessed").exists()


def test_a_failed_step_cannot_be_given_a_pass(world):
    with pytest.raises(CascadeError, match=r"failed steps \(insulation\) require the verdict 'fail'"):
        assess(world["pack"], world["enterprise"], insulation_ok=False)


def test_pass_with_limits_needs_the_limits(world):
    with pytest.raises(CascadeError, match="state the limits"):
        assess(world["pack"], world["enterprise"], verdict="pass_limited", limits="")


def test_failed_item_cannot_be_repurposed_only_handed_to_regeneration(world):
    assess(world["pack"], world["enterprise"], verdict="fail", insulation_ok=False)
    with pytest.raises(CascadeError) as exc:
        repurpose(world["enterprise"], [world["pack"]], scenario="street_light", name="x", site="x",
                  operator="x", commissioned_at=now())  # fmt: skip
    assert exc.value.code == "assessment_failed"
    assert "can only be handed to a regeneration enterprise" in exc.value.message
    # it is outstanding waste with a deadline, and not in the repurpose queue
    waste = selectors.outstanding_waste(world["enterprise"])
    assert [w.battery.code for w in waste] == [world["pack"].code]
    assert waste[0].reason == "assessment_failed" and waste[0].days_left > 0
    assert world["pack"] not in selectors.queue_to_repurpose(world["enterprise"])
    # hand-over to a cascade-use enterprise is refused; to a licensed regeneration enterprise it goes
    with pytest.raises(CascadeError, match="is not a regeneration enterprise"):
        waste_handover(
            battery=world["pack"],
            to=cascade_enterprise(),
            occurred_at=now(),
            actor=platform_actor(world["enterprise"]),
        )
    waste_handover(
        battery=world["pack"],
        to=world["regen"],
        occurred_at=now(),
        actor=platform_actor(world["enterprise"]),
    )
    world["pack"].refresh_from_db()
    # released to the regenerator, which becomes the custodian when it books the pack in
    assert world["pack"].releases.get(status="open").receiver == world["regen"]
    assert world["pack"].custodian == world["enterprise"]
    pack_receive(
        battery=world["pack"],
        occurred_at=now(),
        actor=platform_actor(world["regen"]),
    )
    world["pack"].refresh_from_db()
    assert world["pack"].state == "at_regeneration" and world["pack"].custodian == world["regen"]
    assert selectors.outstanding_waste(world["enterprise"]) == []


def test_a_passed_item_is_not_waste(world):
    assess(world["pack"], world["enterprise"])
    with pytest.raises(CascadeError) as exc:
        waste_handover(
            battery=world["pack"],
            to=world["regen"],
            occurred_at=now(),
            actor=platform_actor(world["enterprise"]),
        )
    assert exc.value.code == "not_waste"


def test_handover_to_an_unlicensed_regenerator_is_refused(world):
    assess(world["pack"], world["enterprise"], verdict="fail", visual_ok=False)
    with pytest.raises(CascadeError, match="holds no hazardous-waste business licence"):
        waste_handover(
            battery=world["pack"],
            to=regeneration_enterprise(),
            occurred_at=now(),
            actor=platform_actor(world["enterprise"]),
        )


def test_overdue_waste_is_shown_as_overdue(world):
    assessment_record(
        battery=world["pack"],
        assessed_at=now() - timedelta(days=20),
        verdict="fail",
        **{**ASSESSMENT, "visual_ok": False},
        actor=platform_actor(world["enterprise"]),
    )
    (item,) = selectors.outstanding_waste(world["enterprise"], today=(now() + timedelta(days=200)).date())
    assert item.overdue


def test_other_apps_read_assessments_up_to_a_day_through_the_selector():
    maker, enterprise = battery_maker(), cascade_enterprise()
    pack = held_pack(maker=maker, holder=enterprise)
    assess(pack, enterprise, verdict="fail", soh_pct=Decimal("61.5"))
    day = timezone.localdate(now() - timedelta(days=10))
    [reading] = selectors.assessment_readings(battery=pack, on=day)
    assert (reading.day, reading.soh_pct, reading.passed) == (day, 61.5, False)
    assert selectors.assessment_readings(battery=pack, on=day - timedelta(days=1)) == []
