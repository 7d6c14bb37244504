"""The Battery Pass export of every pack of the demo world, as ``manage.py seed_demo`` builds it, validates
against the vendored schemas for the public, the legitimate-interest and the authority class; the many-pack
export answers what the one-pack export answers."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Organisation
from passport import battery_pass, selectors
from tests.factories import UserFactory
from tests.passport.test_battery_pass import _check
from traceability.models import Battery

pytestmark = pytest.mark.django_db
SAME_PER_STATE = 3  # packs of every lifecycle state whose export is also built one by one


@pytest.fixture
def demo_world():
    call_command("seed_demo", stdout=io.StringIO())
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # the seed's bulk writes leave no planner statistics in a fresh test database


def _callers(make_regulator):
    holder = Battery.objects.filter(level="P", custodian__isnull=False).values_list(
        "custodian_id", flat=True
    )[0]
    return {
        "anonymous": None,
        "enterprise": UserFactory(organisation=Organisation.objects.get(pk=holder)),
        "regulator": make_regulator(region="HB"),
    }


def test_every_demo_pack_exports_a_valid_battery_pass(demo_world, make_regulator):
    codes = list(Battery.objects.filter(level="P").order_by("code").values_list("code", flat=True))
    assert len(codes) >= 1000
    statuses, classes = set(), set()
    callers = _callers(make_regulator)
    for user in callers.values():
        passports = selectors.passports_for_export(codes=codes, user=user)
        exports = {code: battery_pass.battery_pass(p) for code, p in passports.items()}
        assert sorted(exports) == codes
        for code, body in exports.items():
            general = body[battery_pass.GPI]
            assert general["productIdentifier"] == code
            _check(battery_pass.GPI, general, passports[code])
            _check(battery_pass.PERFORMANCE, body[battery_pass.PERFORMANCE], passports[code])
            statuses.add(general["batteryStatus"])
            classes.add(body["access_class"])
    assert {"Original", "Repurposed", "Waste"} <= statuses
    assert classes == {"public", "legitimate_interest", "authority"}

    # the many-pack export answers what the one-pack export answers (one demo world: seeding it is the cost)
    packs = Battery.objects.filter(level="P")
    states = sorted(set(packs.values_list("state", flat=True)))
    assert len(states) >= 4
    sample = [
        code
        for state in states
        for code in packs.filter(state=state).order_by("code").values_list("code", flat=True)[:SAME_PER_STATE]
    ]
    for user in callers.values():
        many = selectors.battery_passes_for(codes=sample, user=user)
        assert len(many) == len(sample)
        for code in sample:
            assert many[code] == selectors.battery_pass_for(code=code, user=user), code
