"""The Battery Pass export of demo packs validates against the vendored schemas, for the public and the
authority class: the demo world of ``manage.py seed_demo`` up to cascade use, up to eight packs of every
lifecycle state (building all 3,000 passports takes longer than the suite can afford on a shared machine)."""

import importlib

import pytest
from django.db import connection

from core.demo import DemoWorld
from passport import battery_pass, selectors
from tests.passport.test_battery_pass import _check
from traceability.models import Battery

pytestmark = pytest.mark.django_db
PER_STATE = 8


def test_demo_packs_of_every_state_export_a_valid_battery_pass(make_regulator):
    world = DemoWorld()
    for app in ("accounts", "traceability", "recycling_network", "cascade_use"):
        importlib.import_module(f"{app}.demo").seed(world)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # the seed's bulk writes leave no planner statistics in a fresh test database
    packs = Battery.objects.filter(level="P")
    states = sorted(set(packs.values_list("state", flat=True)))
    assert len(states) >= 4
    sample = [
        code
        for state in states
        for code in packs.filter(state=state).order_by("code").values_list("code", flat=True)[:PER_STATE]
    ]
    regulator = make_regulator(region="HB")
    statuses = set()
    for code in sample:
        for user in (None, regulator):
            passport = selectors.passport_for(code=code, user=user)
            body = battery_pass.battery_pass(passport)
            _check(battery_pass.GPI, body[battery_pass.GPI], passport)
            _check(battery_pass.PERFORMANCE, body[battery_pass.PERFORMANCE], passport)
            statuses.add(body[battery_pass.GPI]["batteryStatus"])
    assert {"Original", "Repurposed"} <= statuses
