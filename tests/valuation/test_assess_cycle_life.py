"""The residual-value assessment uses the served cycle-life model and shows its flags (R-VALUE)."""

import csv

import pytest
from django.test import Client
from django.utils import timezone

from tests.valuation.factories import BatteryFactory, lab_tested_pack
from valuation import datafiles
from valuation.selectors import battery_inputs, valuation_reproduce
from valuation.services import valuation_assess

pytestmark = pytest.mark.django_db
STRONG = "abs_min_discharge_capacity_difference_cycles_2:100"


@pytest.fixture
def cells():
    return list(csv.DictReader(datafiles.CELLS_CSV.read_text().splitlines()))


def features(row):
    return {f: float(row[f]) for f in datafiles.cycle_life_model().features}


def test_cycle_life_sets_the_cycle_fade_and_shorter_life_means_shorter_rul(holder, make_org, cells):
    by_life = sorted(cells, key=lambda r: float(r["cycle_life"]))
    short = lab_tested_pack(holder, make_org, features(by_life[2]))
    long = lab_tested_pack(holder, make_org, features(by_life[-2]))
    plain = BatteryFactory(custodian=holder.organisation)
    short_v, long_v = (valuation_assess(battery=b, actor=holder) for b in (short, long))
    for v in (short_v, long_v):
        cl = v.result["cycle_life"]
        assert cl["applied"] and cl["model_version"] == datafiles.cycle_life_model().version
        assert any(r.startswith("cycle life ") for r in v.result["reasons"])
    assert (
        short_v.result["cycle_life"]["predicted_cycle_life"]
        < long_v.result["cycle_life"]["predicted_cycle_life"]
    )
    assert short_v.soh < long_v.soh
    assert battery_inputs(battery=plain, on=timezone.localdate()).cycle_life is None
    assert valuation_reproduce(valuation=short_v).to_dict() == short_v.result


def test_out_of_envelope_and_imputed_features_are_flagged_in_the_assessment_and_on_the_page(
    holder, make_org, cells
):
    early = {k: v for k, v in features(cells[0]).items() if k != "max_discharge_capacity_difference"}
    early[STRONG] = 3.0
    pack = lab_tested_pack(holder, make_org, early)
    valuation = valuation_assess(battery=pack, actor=holder)
    cl = valuation.result["cycle_life"]
    assert cl["out_of_distribution"] and STRONG in cl["out_of_distribution_features"]
    assert cl["imputed"] == ["max_discharge_capacity_difference"]
    assert 100 <= cl["interval"][0] < cl["predicted_cycle_life"] < cl["interval"][1] <= 5000
    assert any("outside the training envelope" in r for r in valuation.result["reasons"])
    client = Client()
    client.force_login(holder)
    page = client.get(f"/valuation/batteries/{pack.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="cycle-life-ood"' in page and STRONG in page
    assert 'id="cycle-life-imputed"' in page and "max_discharge_capacity_difference" in page
    api = client.get(f"/api/v1/valuation/valuations/{valuation.pk}/").json()
    assert api["cycle_life"]["out_of_distribution"] is True


def test_unusable_or_foreign_features_are_not_applied_and_say_why(holder, make_org, cells):
    broken = lab_tested_pack(holder, make_org, {**features(cells[0]), STRONG: "NaN"})
    ternary = lab_tested_pack(holder, make_org, features(cells[0]), chemistry="E")
    for pack in (broken, ternary):
        valuation = valuation_assess(battery=pack, actor=holder)
        assert valuation.result["cycle_life"]["applied"] is False
        assert any(r.startswith("early-cycle features not used") for r in valuation.result["reasons"])
    page_client = Client()
    page_client.force_login(holder)
    page = page_client.get(f"/valuation/batteries/{ternary.code}/").content.decode()
    assert 'id="cycle-life"' in page and 'id="cycle-life-ood"' not in page


def test_a_cell_limited_by_its_fade_line_says_so_in_the_reasons_and_on_the_page(holder, make_org, cells):
    model = datafiles.cycle_life_model()
    fastest = min(cells, key=lambda r: float(r["slope_discharge_capacity_cycle_number_91:100"]))
    pack = lab_tested_pack(holder, make_org, {f: float(fastest[f]) for f in model.inputs})
    valuation = valuation_assess(battery=pack, actor=holder)
    cl = valuation.result["cycle_life"]
    assert cl["applied"] and cl["limited_by_fade_bound"]
    assert cl["predicted_cycle_life"] == pytest.approx(cl["fade_bound"], abs=0.11)
    assert any(r.startswith("cycle life limited to ") for r in valuation.result["reasons"])
    client = Client()
    client.force_login(holder)
    english = client.get(f"/valuation/batteries/{pack.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="cycle-life-fade-bound"' in english and f"Limited to {cl['fade_bound']:.0f} cycles" in english
    chinese = client.get(
        f"/valuation/batteries/{pack.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert f"已限制为 {cl['fade_bound']:.0f} 次循环" in chinese and "循环寿命限制为" in chinese
