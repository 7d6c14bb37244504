"""What a scrap certificate (《报废汽车回收证明》) must show about the vehicle's pack, by the date it was issued
(R-SCRAP). Pure module: no Django imports; the dated rules are data (``data/scrap_rules.json``).

- From the pilot plan's start (``scrap.recycled_certificate_required``, 2018): a vehicle scrapped without its
  pack needs the battery-recycled certificate (电池回收证明), unless the pack's own trace shows it reached the
  recycling chain (a service point, a second life, regeneration) after it left this vehicle. The trace is the
  stronger evidence: the certificate only says where the owner handed the pack, the trace shows it got there.
- From 2026-04-01 (``scrap.vehicle_and_battery_together``, 车电一体报废): the certificate names the pack; a
  pack still in the vehicle is removed by the dismantler with the certificate, and a pack no longer in it must
  be accounted for, by its trace or by a battery-recycled certificate consistent with the trace.
- Before 2018 nothing is asked: packs of scrapped buses and taxis had been taken out by their owners.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from core.errors import ServiceError

RULES_FILE = Path(__file__).resolve().parent / "data" / "scrap_rules.json"

RECYCLED_CERTIFICATE_REQUIRED = "scrap.recycled_certificate_required"
TOGETHER = "scrap.vehicle_and_battery_together"


@dataclass(frozen=True)
class ScrapRules:
    """The dated rules of ``scrap_rules.json``: rule name -> first day it applies."""

    starts: dict[str, date]
    accounted_states: frozenset[str]
    certifies_vehicles_of: dict[str, frozenset[str]]

    def applies(self, rule: str, day: date) -> bool:
        start = self.starts.get(rule)
        return start is not None and day >= start


def rules_from(data: dict) -> ScrapRules:
    return ScrapRules(
        starts={r["rule"]: date.fromisoformat(r["from"]) for r in data["rules"]},
        accounted_states=frozenset(data["accounted_states"]),
        certifies_vehicles_of={k: frozenset(v) for k, v in data["certifies_vehicles_of"].items()},
    )


@lru_cache(maxsize=1)
def rules() -> ScrapRules:
    return rules_from(json.loads(RULES_FILE.read_text(encoding="utf-8")))


class ScrapRefusal(ServiceError):
    """A scrap certificate the rules refuse; ``code`` names the rule, ``field`` the input at fault."""

    http_status = 422

    def __init__(self, message: str, *, field: str, code: str, http_status: int | None = None):
        super().__init__(message, field=field, code=code)
        if http_status is not None:
            self.http_status = http_status


@dataclass(frozen=True)
class PackFacts:
    """What the trace says of the vehicle's pack when the certificate is recorded."""

    in_vehicle: str | None  # code of the pack bound to the vehicle now, if any
    named: str | None  # code the certificate names (``pack_code``), if any
    named_was_in_vehicle: bool  # the named pack was once bound to this vehicle
    last_out: str | None  # code of the pack that left the vehicle last, if none is in it
    accounted: frozenset[str]  # codes of packs whose trace shows them in the chain after leaving the vehicle
    recycled_certificate: bool  # a battery-recycled certificate comes with the scrap certificate
    recycled_consistent: bool  # ... and agrees with the trace


@dataclass(frozen=True)
class Decision:
    remove: str | None  # code of the pack the dismantler removes with the certificate
    without_pack: bool  # the vehicle is scrapped without its pack
    accounted_by_trace: bool


def may_certify(rules_: ScrapRules, *, dismantler_region: str, vehicle_region: str) -> bool:
    return vehicle_region in rules_.certifies_vehicles_of.get(dismantler_region, frozenset())


def decide(rules_: ScrapRules, *, issued_on: date, pack_present: bool, facts: PackFacts) -> Decision:
    """The decision for one certificate, or :class:`ScrapRefusal` naming the rule."""
    if facts.named is not None and facts.in_vehicle is not None and facts.named != facts.in_vehicle:
        raise ScrapRefusal(
            f"the trace has pack {facts.in_vehicle} in this vehicle, not {facts.named}",
            field="pack_code",
            code="scrap.named_pack_not_in_vehicle",
        )
    if rules_.applies(TOGETHER, issued_on):
        return _together(facts, pack_present)
    if facts.in_vehicle is not None and pack_present:
        remove = facts.in_vehicle if facts.named == facts.in_vehicle else None
        return Decision(remove=remove, without_pack=False, accounted_by_trace=False)
    if not rules_.applies(RECYCLED_CERTIFICATE_REQUIRED, issued_on):
        return Decision(remove=None, without_pack=True, accounted_by_trace=False)
    # Without its pack: the pack that left last is the one the certificate speaks for.
    pack = facts.named or facts.last_out
    by_trace = facts.in_vehicle is None and pack is not None and pack in facts.accounted
    if facts.named is not None and facts.in_vehicle is None and not facts.named_was_in_vehicle:
        by_trace = False
    if not by_trace and not facts.recycled_certificate:
        raise ScrapRefusal(
            "a vehicle scrapped without its pack needs the battery-recycled certificate (电池回收证明): the "
            "pack's trace does not show it at a service point or a recycling enterprise",
            field="recycled_certificate",
            code=RECYCLED_CERTIFICATE_REQUIRED,
        )
    return Decision(remove=None, without_pack=True, accounted_by_trace=by_trace)


def _together(facts: PackFacts, pack_present: bool) -> Decision:
    if facts.named is None:
        raise ScrapRefusal(
            "from 2026-04-01 vehicle and battery are scrapped together (车电一体报废): name the pack",
            field="pack_code",
            code=TOGETHER,
        )
    if facts.in_vehicle == facts.named:
        if not pack_present:
            raise ScrapRefusal(
                f"the trace has pack {facts.named} in this vehicle: it is removed with the certificate",
                field="pack_present",
                code=TOGETHER,
            )
        return Decision(remove=facts.named, without_pack=False, accounted_by_trace=False)
    accounted = facts.named_was_in_vehicle and (
        facts.named in facts.accounted or (facts.recycled_certificate and facts.recycled_consistent)
    )
    if not accounted:
        raise ScrapRefusal(
            f"pack {facts.named} is not in this vehicle and its trace does not account for it",
            field="pack_code",
            code="scrap.pack_not_accounted",
        )
    return Decision(remove=None, without_pack=True, accounted_by_trace=facts.named in facts.accounted)
