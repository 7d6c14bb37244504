import pytest

from accounts.actors import platform_actor
from tests.valuation.factories import BatteryFactory, VehicleFactory, bind, days_ago
from traceability.services import event_record


@pytest.fixture
def holder(make_user):
    """A service-point operator holding retired packs, and its user."""
    return make_user(kinds=("service_operator",), region="BJ")


@pytest.fixture
def retired_pack(holder, make_org):
    """An LFP taxi pack, retired and tested at 75 % with a passed safety check, in the holder's custody."""
    org = holder.organisation
    automaker = make_org(kinds=("automaker",))
    pack = BatteryFactory(custodian=org)
    from datetime import date

    bind(pack, VehicleFactory(automaker=automaker, use="taxi"), start=date(2018, 6, 1), end=date(2024, 6, 1))
    event_record(
        battery=pack, kind="assessed", actor=platform_actor(org), occurred_at=days_ago(10),
        payload={"soh": 75, "safety_verdict": "pass"},
    )  # fmt: skip
    return pack
