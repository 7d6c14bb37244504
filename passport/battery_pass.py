"""Exports of a passport: the EU Battery Pass data model (batterypass BatteryPassDataModel 1.2; our subset
of its schemas in ``passport/schemas/``) and the Chinese digital-ID view of the 2026 interim measures. Pure module: no Django.

Both take the passport *as the caller may see it*, so an export never shows more than the passport does; fields
the platform does not hold are left out, never invented.
"""

from __future__ import annotations

STATUS = {"original": "Original", "repurposed": "Repurposed", "waste": "Waste"}
GPI = "GeneralProductInformation"
PERFORMANCE = "PerformanceAndDurability"

# Attributes the published schemas require that the platform does not hold (README.md beside the schemas).
NOT_HELD = {
    GPI: {"manufacturerInformation", "manufacturingPlace", "operatorInformation", "warrentyPeriod"},
    PERFORMANCE: {
        "originalPowerCapability", "ratedMaximumPower", "powerCapabilityRatio", "expectedNumberOfCycles", "initialSelfDischarge", "roundtripEfficiency", "initialInternalResistance",
        "expectedLifetime", "nominalVoltage", "minimumVoltage", "maximumVoltage", "capacityThresholdForExhaustion",
        "lifetimeReferenceTest", "cRateLifeCycleTest", "temperatureRangeIdleState", "energyThroughput",
        "capacityThroughput", "stateOfCertifiedEnergy", "capacityFade", "remainingEnergy",
        "remainingCapacity", "temperatureInformation", "remainingPowerCapability", "powerFade",
        "roundTripEfficiencyFade", "evolutionOfSelfDischarge", "currentSelfDischargingRate",
        "internalResistanceIncrease", "roundTripEfficiencyat50PerCentCycleLife",
        "remainingRoundTripEnergyEfficiency", "stateOfCharge",
    },
}  # fmt: skip
# Attributes the platform holds, and the passport field each comes from: missing only when that field is unknown
# for this battery or not shown to the caller's class.
SOURCE = {
    "manufacturingDate": "production_date", "batteryMass": "mass_kg", "puttingIntoService": "put_into_service",
    "ratedEnergy": "rated_energy_kwh", "ratedCapacity": "rated_capacity_ah", "numberOfFullCycles": "cycle_count",
    "negativeEvents": "negative_events", "batteryCondition": "negative_events",
    "batteryTechicalProperties": "rated_capacity_ah",
}  # fmt: skip


def _timestamp(value: str) -> str:
    """An ISO date or date-time as the model's xsd:dateTime (UTC ``Z`` when no offset is given)."""
    if "T" not in value:
        return value + "T00:00:00Z"
    return value.replace("+00:00", "Z")


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def battery_pass(passport: dict) -> dict:
    """``{"GeneralProductInformation": {...}, "PerformanceAndDurability": {...}}`` from what ``passport`` shows."""
    general = _drop_none(
        {
            "productIdentifier": passport.get("code"),
            "batteryPassportIdentifier": passport.get("passport_id"),
            "batteryCategory": passport.get("battery_category"),
            "manufacturingDate": _timestamp(passport["production_date"])
            if passport.get("production_date")
            else None,
            "batteryStatus": STATUS.get(passport.get("status") or ""),
            "batteryMass": passport.get("mass_kg"),
            "puttingIntoService": _timestamp(passport["put_into_service"])
            if passport.get("put_into_service")
            else None,
        }
    )
    technical = _drop_none({"ratedEnergy": passport.get("rated_energy_kwh"),
                            "ratedCapacity": passport.get("rated_capacity_ah")})  # fmt: skip
    condition: dict = {}
    timeline = passport.get("timeline") or []
    counted = [t for t in timeline if t.get("cycle_count") is not None]
    if counted:
        condition["numberOfFullCycles"] = {"numberOfFullCyclesValue": counted[-1]["cycle_count"],
                                           "lastUpdate": _timestamp(counted[-1]["date"])}  # fmt: skip
    if "negative_events" in passport:
        condition["negativeEvents"] = [
            {"negativeEvent": e["reason"] or "negative assessment", "lastUpdate": _timestamp(e["date"])}
            for e in passport["negative_events"]
        ]
    performance = _drop_none(
        {"batteryTechicalProperties": technical or None, "batteryCondition": condition or None}
    )
    return {"access_class": passport["access_class"], GPI: general, PERFORMANCE: performance}


def digital_id(passport: dict, fields: dict) -> dict:
    """The digital ID of the 2026 measures: each named link with its events (as far as the caller's class shows
    them) and the firmness mark of the source that names it."""
    history = passport.get("custody_history")
    items = []
    for f in fields["fields"]:
        item = {"key": f["key"], "name_zh": f["name_zh"], "name_en": f["name_en"], "mark": f["mark"]}
        if f["key"] == "code":
            item["value"] = passport.get("code")
        elif history is None:
            item["value"] = None  # shown to the legitimate-interest and authority classes
            item["withheld"] = True
        else:
            item["value"] = [
                {
                    "event_id": e["event_id"],
                    "kind": e["kind"],
                    "occurred_at": e["occurred_at"],
                    "region": e["region"],
                }
                for e in history
                if e["kind"] in f["kinds"]
            ]
        items.append(item)
    return {"access_class": passport["access_class"], "version": fields["version"], "source": fields["source"],
            "marks": fields["marks"], "fields": items}  # fmt: skip
