"""Demo data for the residual-value assessment: every retired pack of the demo world gets a valuation.

Retired packs are read from the database (states removed, at_service_point, cascade_use), whatever earlier apps
created. About half of those without a capacity test first get one from the third-party assessment centre (an
``assessed`` event with the measured SOH), so the grades spread over the bands; the others are valued from the
degradation model. Each valuation is requested by a user of the pack's custodian (or the assessment centre).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from core.demo import DemoWorld
from traceability import selectors as trace
from traceability.lifecycle import EventKind
from traceability.services import TraceabilityError, event_record

from .services import ValuationError, valuation_assess

RETIRED = ["removed", "at_service_point", "cascade_use"]
PER_SCALE = 80


def seed(world: DemoWorld) -> None:
    rng = world.rng
    assessor_user = (
        world.users.get("assessor") or User.objects.filter(organisation__kinds__contains=["assessor"]).first()
    )
    packs = list(trace.packs(states=RETIRED).select_related("custodian").order_by("id"))
    packs = packs[: PER_SCALE * max(world.scale, 1)]
    tested = set(
        trace.events_of_kind(batteries=packs, kind=EventKind.ASSESSED)
        .exclude(payload__assessment="residual_value")
        .values_list("battery_id", flat=True)
    )
    users: dict[int, User | None] = {}
    now = timezone.now()
    for pack in packs:
        if pack.pk not in tested and assessor_user is not None and rng.random() < 0.5:
            soh = round(rng.uniform(0.45, 0.88), 3)
            payload = {"assessment": "capacity_test", "soh": soh, "standard": "GB/T 34015.1",
                       "safety_verdict": "fail" if rng.random() < 0.08 else "pass"}  # fmt: skip
            if pack.rated_capacity_ah:
                payload["remaining_capacity_ah"] = round(float(pack.rated_capacity_ah) * soh, 1)
            occurred = max(now - timedelta(days=rng.randint(1, 30)), pack.state_changed_at)
            with contextlib.suppress(TraceabilityError):  # a pack moving meanwhile simply keeps no test
                event_record(
                    battery=pack,
                    kind=EventKind.ASSESSED,
                    actor=assessor_user,
                    occurred_at=min(occurred, now),
                    payload=payload,
                )
        if pack.custodian_id not in users:
            users[pack.custodian_id] = (
                User.objects.filter(organisation_id=pack.custodian_id, role="manager").order_by("id").first()
                if pack.custodian_id
                else None
            )
        actor = users[pack.custodian_id] or assessor_user
        try:
            valuation_assess(battery=pack, actor=actor)
        except ValuationError:
            continue  # a pack without dates cannot be valued; the page says so when asked
