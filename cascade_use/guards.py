"""Cascade-use rules as guards of the traceability core (R-CASCADE; seed 四(一)2): every ``cascade_received`` and
``cascade_repurposed`` event, on any path, needs a valid authorisation of the battery's original maker; a
repurposing also needs a latest safety assessment that passed (GB/T 34015.1)."""

from __future__ import annotations

from django.utils import timezone

from core.errors import Invalid
from traceability.lifecycle import EventKind

from .models import Verdict
from .services import CascadeError, authorisation_for, latest_assessment

KINDS = (EventKind.CASCADE_RECEIVED, EventKind.CASCADE_REPURPOSED)


class CascadeGuardRefusal(Invalid):
    http_status = 422
    default_code = "cascade_use.refused"


def cascade_guard(proposal) -> None:
    battery, actor = proposal.battery, proposal.actor
    if actor is None:
        raise CascadeGuardRefusal(
            "a cascade-use step needs the enterprise that answers for it", field="actor"
        )
    if battery.is_cascade_product and battery.maker_id == actor.pk:
        return  # the enterprise's own product under its new code
    on = timezone.localdate(proposal.occurred_at)
    try:
        authorisation_for(enterprise=actor, battery=battery, on=on)
    except CascadeError as exc:
        raise CascadeGuardRefusal(exc.message, field="battery_code", code=f"cascade_use.{exc.code}") from exc
    if proposal.kind != EventKind.CASCADE_REPURPOSED:
        return
    assessment = latest_assessment(battery)
    if assessment is None:
        raise CascadeGuardRefusal(f"{battery.code} has no safety assessment: assess it before reuse",
                                  field="battery_code", code="cascade_use.assessment_missing")  # fmt: skip
    if assessment.verdict == Verdict.FAIL:
        raise CascadeGuardRefusal(f"{battery.code} failed its safety assessment: it can only go to regeneration",
                                  field="battery_code", code="cascade_use.assessment_failed")  # fmt: skip
