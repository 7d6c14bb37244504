"""The assessment's stored reasons are shown in the reader's language."""

import json

from django.utils import translation

from traceability.models import VehicleUse
from valuation import datafiles
from valuation.core.assess import AssessmentInput, assess
from valuation.templatetags.valuation_tags import (
    reason_display,
    route_label,
    scenario_labels,
    soh_source_label,
)


def test_common_reasons_are_shown_in_chinese():
    with translation.override("zh-hans"):
        assert reason_display("safety assessment passed") == "安全评估合格"
        line = reason_display("cycles: 732 EFC estimated from 4.9 years of taxi use (90000 km/year)")
        assert "732" in line and "出租车" in line and "cycles" not in line
        grade = reason_display("grade B: SOH 74.6% ≥ 70%: telecom backup and grid storage")
        assert grade.startswith("等级 B") and "74.6%" in grade and "telecom" not in grade
        assert soh_source_label("capacity test on 2026-11-05") == "2026-11-05 容量测试"
        assert route_label("cascade") == "梯次利用"
        assert scenario_labels(["home_storage", "mobile_charging"]) == "家庭储能, 移动充电"


def test_unknown_reasons_and_english_pass_through():
    with translation.override("zh-hans"):
        assert reason_display("something new") == "something new"
    with translation.override("en"):
        text = "RUL 2.6 years (1.9–3.7) to SOH 50% at 250 EFC/year"
        assert reason_display(text) == text


def test_the_cycle_life_reasons_of_a_flagged_assessment_are_shown_in_chinese():

    model = datafiles.cycle_life_model()
    values = {f: model.envelope[f]["median"] for f in model.features[1:]}
    values[model.features[-1]] = model.envelope[model.features[-1]]["max"] + 10
    inp = AssessmentInput(
        valuation_date="2026-11-01", chemistry="B", rated_energy_kwh=50, production_date="2021-01-01",
        in_vehicle_from="2021-03-01", vehicle_use="taxi", cycle_life=model.predict(values).to_dict(),
    )  # fmt: skip
    prices = json.loads(datafiles.INITIAL_PRICES_FILE.read_text())["prices"]
    result = assess(inp, params=datafiles.parameters(), grades=datafiles.grade_table(), prices=prices)
    lines = [r for r in result.reasons if r.startswith(("cycle life", "early-cycle"))]
    assert len(lines) == 3  # the prediction, outside the envelope, imputed
    with translation.override("zh-hans"):
        shown = [reason_display(r) for r in lines]
    assert all(s != r and "循环" in s for s, r in zip(shown, lines, strict=True))


def test_the_vehicle_use_is_named_as_the_trace_names_it():
    with translation.override("zh-hans"):
        line = reason_display("cycles: 120 EFC estimated from 2.0 years of bus use (50000 km/year)")
        assert str(VehicleUse.BUS.label) in line and "bus" not in line
        unknown = reason_display("cycles: 120 EFC estimated from 2.0 years of tram use (50000 km/year)")
        assert "tram" in unknown
