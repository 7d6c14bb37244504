"""Pure market rules: qualification routes, guidance selection, outliers, shares."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from alliance import rules

LOT = rules.LotFacts(
    items_by_maker={1: frozenset({("B", "P")})},
    maker_names={1: "CATL"},
    mass_t=Decimal("0.3"),
    categories=frozenset({"LIB-LFP"}),
)
ON = date(2026, 5, 1)


def lic(**kw):
    base = {
        "number": "L1",
        "categories": frozenset({"LIB-LFP"}),
        "annual_scale_t": Decimal(10),
        "used_t": Decimal(0),
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
    }
    return rules.Licence(**{**base, **kw})


def test_either_route_qualifies_a_dual_enterprise():
    q = rules.qualify(
        buyer_kinds=["cascade_use", "regeneration"], is_member=True, lot=LOT, on=ON, licences=[lic()]
    )
    assert q.ok and q.reasons == []


def test_authorisation_must_cover_chemistry_and_level():
    auth = rules.Authorisation(maker_id=1, chemistries=frozenset({"E"}))
    q = rules.qualify(buyer_kinds=["cascade_use"], is_member=True, lot=LOT, on=ON, authorisations=[auth])
    assert not q.ok and "does not cover chemistry B level P" in q.reasons[0]


def test_scale_left_must_hold_the_lot():
    q = rules.qualify(
        buyer_kinds=["regeneration"], is_member=True, lot=LOT, on=ON, licences=[lic(used_t=Decimal("9.8"))]
    )
    assert not q.ok and "annual scale exhausted" in q.reasons[0]
    assert rules.qualify(
        buyer_kinds=["regeneration"], is_member=True, lot=LOT, on=ON, licences=[lic(used_t=Decimal("9.7"))]
    ).ok


def test_non_member_is_refused_first():
    q = rules.qualify(buyer_kinds=["cascade_use"], is_member=False, lot=LOT, on=ON)
    assert q.reasons == ["the buyer is not an approved alliance member"]


@given(
    st.lists(
        st.tuples(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.floats(0, 1e9)), min_size=1, max_size=20
    ),
    st.dates(date(2020, 1, 1), date(2030, 1, 1)),
)
def test_in_force_is_latest_not_after(issues, on):
    objs = [rules.Issue(id=i, effective_from=d, published_at_key=k) for i, (d, k) in enumerate(issues)]
    chosen = rules.in_force(objs, on)
    eligible = [o for o in objs if o.effective_from <= on]
    if not eligible:
        assert chosen is None
    else:
        assert chosen.effective_from == max(o.effective_from for o in eligible)


def test_outlier_threshold():
    assert rules.deviation(Decimal(130), Decimal(100)) == Decimal("0.3000")
    assert not rules.is_outlier(Decimal("0.30"), Decimal("0.30"))
    assert rules.is_outlier(Decimal("-0.31"), Decimal("0.30"))
    assert rules.deviation(Decimal(1), None) is None


def test_shares_must_each_sum_to_one():
    assert rules.shares_valid([(Decimal("0.5"), Decimal("1")), (Decimal("0.5"), Decimal("0"))]) == []
    assert rules.shares_valid([(Decimal("0.5"), Decimal("0.5"))]) == [
        "cost shares must add up to 1",
        "mass shares must add up to 1",
    ]
