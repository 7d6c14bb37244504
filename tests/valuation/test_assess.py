"""Assessment of batteries from their history: API, tenancy, prices in force, reproducibility."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from tests.valuation.factories import BatteryFactory, days_ago
from traceability.models import LifecycleEvent
from traceability.services import event_record
from valuation.models import Valuation
from valuation.selectors import battery_inputs, valuation_reproduce
from valuation.services import ValuationError, price_set_publish, valuation_assess

URL = "/api/v1/valuation/assess/"
pytestmark = pytest.mark.django_db


def test_history_gives_the_inputs(retired_pack):
    inputs = battery_inputs(battery=retired_pack, on=timezone.localdate())
    assert inputs.vehicle_use == "taxi"
    assert inputs.in_vehicle_from == "2018-06-01" and inputs.in_vehicle_until == "2024-06-01"
    assert inputs.capacity_test_soh == 0.75  # reported as a percentage
    assert inputs.safety_passed is True


def test_assess_by_code_returns_soh_rul_grade_scenarios_value_and_reasons(holder, retired_pack, client_for):
    response = client_for(holder).post(URL, {"items": [retired_pack.code]}, format="json")
    assert response.status_code == 200, response.content
    item = response.json()["results"][0]
    assert item["status"] == "created"
    assert float(item["soh"]) == pytest.approx(0.75, abs=0.01)
    assert item["grade"] == "B" and item["scenarios"] == ["telecom_backup", "grid_storage"]
    assert float(item["value_cny"]) > 0
    assert item["rul"]["years"] > 0 and item["rul"]["eol_soh"] == 0.5
    assert item["reasons"]
    # the grade goes into the battery's trace, but is never read back as a capacity test
    event = LifecycleEvent.objects.filter(battery=retired_pack, kind="assessed").last()
    assert event.payload["assessment"] == "residual_value" and event.payload["grade"] == "B"
    again = battery_inputs(battery=retired_pack, on=timezone.localdate())
    assert again.capacity_test_soh == 0.75


def test_other_tenants_battery_is_a_per_item_error(holder, make_user, client_for):
    stranger = BatteryFactory(custodian=make_user(kinds=("service_operator",)).organisation)
    response = client_for(holder).post(URL, {"items": [{"code": stranger.code}, {"code": ""}]}, format="json")
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["error", "error"]
    assert "code" in results[0]["errors"] and "code" in results[1]["errors"]
    assert not Valuation.objects.exists()


def test_regulators_and_viewers_cannot_request_assessments(
    make_regulator, make_user, client_for, retired_pack
):
    assert client_for(make_regulator()).post(URL, {"items": ["X"]}, format="json").status_code == 403
    viewer = make_user(retired_pack.custodian, role="viewer")
    assert client_for(viewer).post(URL, {"items": [retired_pack.code]}, format="json").status_code == 403


def test_the_price_set_in_force_on_the_valuation_date_is_used(holder, retired_pack):
    today = timezone.localdate()
    price_set_publish(
        effective_date=today, prices={"per_kwh": {"B": {"B": 500}}}, source="alliance guidance", actor=holder
    )
    now = valuation_assess(battery=retired_pack, actor=holder, record_event=False)
    before = valuation_assess(battery=retired_pack, actor=holder, valuation_date=today - timedelta(days=1))
    assert now.prices["per_kwh"]["B"]["B"] == 500 and now.price_set.source == "alliance guidance"
    assert before.prices["per_kwh"]["B"]["B"] == 380
    assert now.value_cny > before.value_cny
    # a partial update keeps the rest of the set in force
    assert now.prices["metals_cny_per_kg"] == before.prices["metals_cny_per_kg"]


def test_price_updates_are_checked(holder):
    with pytest.raises(ValuationError):
        price_set_publish(
            effective_date=date(2026, 1, 1), prices={"per_kwh": {"B": 3}}, source="x", actor=holder
        )
    with pytest.raises(ValuationError):
        price_set_publish(effective_date=date(2026, 1, 1), prices={"metals_cny_per_kg": {"Li": -1}}, source="x",
                          actor=holder)  # fmt: skip
    with pytest.raises(ValuationError):
        price_set_publish(effective_date=date(2026, 1, 1), prices={}, source=" ", actor=holder)


def test_a_stored_valuation_is_reproducible_from_its_stored_inputs(holder, retired_pack):
    valuation = valuation_assess(battery=retired_pack, actor=holder)
    # later price and history changes must not change what the stored valuation recomputes to
    price_set_publish(effective_date=valuation.valuation_date, prices={"per_kwh": {"B": {"B": 999}}}, source="later",
                      actor=holder)  # fmt: skip
    stored = Valuation.objects.get(pk=valuation.pk)
    assert valuation_reproduce(valuation=stored).to_dict() == stored.result


def test_a_battery_without_dates_is_refused_with_the_field(holder):
    pack = BatteryFactory(custodian=holder.organisation, production_date=None)
    with pytest.raises(ValuationError) as err:
        valuation_assess(battery=pack, actor=holder)
    assert err.value.field == "production_date"


def test_cascade_use_safety_assessment_payloads_are_read(holder):
    pack = BatteryFactory(custodian=holder.organisation)
    event_record(battery=pack, kind="assessed", actor=platform_actor(holder.organisation), occurred_at=days_ago(3),
                 payload={"assessment": "safety", "verdict": "fail", "soh_pct": "82.50"})  # fmt: skip
    inputs = battery_inputs(battery=pack, on=timezone.localdate())
    assert inputs.capacity_test_soh == 0.825 and inputs.safety_passed is False
    assert valuation_assess(battery=pack, actor=holder).grade == "R"
