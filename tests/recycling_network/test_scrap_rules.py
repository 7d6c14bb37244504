"""The dated scrap rules (R-SCRAP) as data: ``recycling_network.scrapping`` decides from the file's dates, so a
corrected date changes the decision without a code change."""

import json
from datetime import date

import pytest

from recycling_network import scrapping


def facts(**kw):
    base = {
        "in_vehicle": None,
        "named": None,
        "named_was_in_vehicle": False,
        "last_out": "P1",
        "accounted": frozenset(),
        "recycled_certificate": False,
        "recycled_consistent": False,
    }
    return scrapping.PackFacts(**{**base, **kw})


def shipped():
    return json.loads(scrapping.RULES_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_dates_the_two_rules():
    rules = scrapping.rules()
    assert rules.starts[scrapping.RECYCLED_CERTIFICATE_REQUIRED] == date(2018, 1, 1)
    assert rules.starts[scrapping.TOGETHER] == date(2026, 4, 1)
    assert "at_service_point" in rules.accounted_states and "in_vehicle" not in rules.accounted_states


@pytest.mark.parametrize(
    ("day", "rule"),
    [(date(2026, 3, 31), scrapping.RECYCLED_CERTIFICATE_REQUIRED), (date(2026, 4, 1), scrapping.TOGETHER)],
)
def test_the_rule_changes_on_its_day(day, rule):
    with pytest.raises(scrapping.ScrapRefusal) as refused:
        scrapping.decide(scrapping.rules(), issued_on=day, pack_present=False, facts=facts())
    assert refused.value.code == rule


def test_a_moved_date_moves_the_decision():
    data = shipped()
    for r in data["rules"]:
        if r["rule"] == scrapping.TOGETHER:
            r["from"] = "2027-01-01"
    rules = scrapping.rules_from(data)
    with pytest.raises(scrapping.ScrapRefusal) as refused:
        scrapping.decide(rules, issued_on=date(2026, 6, 1), pack_present=False, facts=facts())
    assert refused.value.code == scrapping.RECYCLED_CERTIFICATE_REQUIRED
    decision = scrapping.decide(rules, issued_on=date(2026, 6, 1), pack_present=True,
                                facts=facts(in_vehicle="P1", last_out=None))  # fmt: skip
    assert decision.remove is None and not decision.without_pack


def test_the_trace_accounts_only_for_the_pack_that_left_last():
    rules = scrapping.rules()
    day = date(2025, 1, 1)
    ok = scrapping.decide(rules, issued_on=day, pack_present=False, facts=facts(accounted=frozenset({"P1"})))
    assert ok.without_pack and ok.accounted_by_trace
    with pytest.raises(scrapping.ScrapRefusal):
        scrapping.decide(rules, issued_on=day, pack_present=False, facts=facts(accounted=frozenset({"P0"})))
    # A named pack that was never in the vehicle does not account for it.
    with pytest.raises(scrapping.ScrapRefusal):
        scrapping.decide(rules, issued_on=day, pack_present=False,
                         facts=facts(named="P9", accounted=frozenset({"P9"})))  # fmt: skip


def test_together_a_consistent_recycled_certificate_accounts_for_the_pack():
    rules = scrapping.rules()
    day = date(2026, 5, 1)
    base = {"named": "P1", "named_was_in_vehicle": True, "recycled_certificate": True}
    decision = scrapping.decide(rules, issued_on=day, pack_present=False,
                                facts=facts(**base, recycled_consistent=True))  # fmt: skip
    assert decision.without_pack and decision.remove is None
    with pytest.raises(scrapping.ScrapRefusal) as refused:
        scrapping.decide(rules, issued_on=day, pack_present=False, facts=facts(**base))
    assert refused.value.code == "scrap.pack_not_accounted" and refused.value.field == "pack_code"


def test_regions_a_dismantler_certifies_are_data():
    rules = scrapping.rules()
    assert scrapping.may_certify(rules, dismantler_region="HB", vehicle_region="HB")
    assert not scrapping.may_certify(rules, dismantler_region="HB", vehicle_region="BJ")
    assert not scrapping.may_certify(rules, dismantler_region="OUT", vehicle_region="OUT")
    data = shipped()
    data["certifies_vehicles_of"]["HB"] = ["HB", "BJ"]
    assert scrapping.may_certify(scrapping.rules_from(data), dismantler_region="HB", vehicle_region="BJ")
