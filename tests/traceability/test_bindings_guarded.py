"""The bindings fast path asks the sibling apps' guards of ``bound`` per pack, like every other path (R-BIND,
R-LIFE): a guard's refusal is that item's error with the guard's rule, the pack stays where it was, and the other
items of the upload are bound."""

import pytest

from accounts.actors import platform_actor
from core import hooks
from core.errors import Conflict
from traceability import services
from traceability.models import Battery

from .factories import make_code, make_vin

pytestmark = pytest.mark.django_db


@pytest.fixture
def refuse_one():
    refused: set[str] = set()

    def guard(proposal):
        if proposal.battery.code in refused:
            raise Conflict(f"{proposal.battery.code} is held back", field="pack_code", code="test.held_back")

    hooks.guard(("bound",), guard)
    yield refused
    hooks._guards["bound"].remove(guard)


def test_a_guard_of_bound_refuses_one_item_and_the_others_are_bound(make_org, refuse_one):
    maker, automaker = make_org(kinds=["battery_maker"]), make_org(kinds=["automaker"])
    codes = [make_code("P") for _ in range(3)]
    registered = services.batteries_upload(
        items=[{"code": c, "rated_energy_kwh": "60", "customer_uscc": automaker.uscc} for c in codes],
        actor=platform_actor(maker),
    )
    assert [r["status"] for r in registered] == ["created"] * 3
    refuse_one.add(codes[1])
    before = Battery.objects.get(code=codes[1])

    results = services.bindings_upload(
        items=[{"vin": make_vin(), "pack_code": c, "sold_at": "2024-05-06"} for c in codes],
        actor=platform_actor(automaker),
    )

    assert [r["status"] for r in results] == ["created", "error", "created"]
    assert results[1]["rule"] == "test.held_back"
    assert "held back" in results[1]["errors"]["pack_code"][0]
    after = Battery.objects.get(code=codes[1])
    assert (after.state, after.custodian_id) == (before.state, before.custodian_id)
    assert Battery.objects.get(code=codes[0]).state == "in_vehicle"


def test_without_a_guard_of_bound_nothing_is_refused(make_org):
    assert not hooks.guarded("bound")
    maker, automaker = make_org(kinds=["battery_maker"]), make_org(kinds=["automaker"])
    code = make_code("P")
    services.batteries_upload(
        items=[{"code": code, "rated_energy_kwh": "60", "customer_uscc": automaker.uscc}],
        actor=platform_actor(maker),
    )
    results = services.bindings_upload(
        items=[{"vin": make_vin(), "pack_code": code, "sold_at": "2024-05-06"}],
        actor=platform_actor(automaker),
    )
    assert results[0]["status"] == "created"
