"""One residual-value assessment from a battery's history (R-VALUE): SOH, RUL, grade, scenarios and value.

:func:`assess` is a pure function of three pieces of data — the battery's history (:class:`AssessmentInput`), the
model parameters and grade table, and the price set — so a stored valuation can be recomputed from what it
stored and must give the same answer (reproducibility).

SOH comes from the latest measurement when there is one: a capacity test (remaining capacity / rated capacity,
GB/T 34015.1 residual-capacity testing) or the vehicle's GB/T 32960 telemetry (capacity from charging segments,
``telemetry.health``), whichever is more recent; otherwise from the calendar + cycle ageing model of :mod:`.degradation`, driven by the
battery's age and its use: reported cycle counts first, then reported mileage, then the typical annual mileage of
its vehicle use.

Cycle life from early-cycle features (:mod:`.cycle_life`, the same artefact as the API) sets the cycle-fade
coefficient of an LFP battery when its history carries them: the fade reaches 1 − the vehicle end-of-life SOH at
the predicted cycle life (Severson et al.'s cycle life is cycles to 80 % of nominal capacity), and the RUL band
is at least as wide as the cycle-life interval. The flags of that prediction (out of distribution, imputed) go
into the result and the reasons.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date

from . import degradation as deg
from .grading import GradeTable, grade_for
from .value import PriceMissing, cascade_value, price_per_kwh, regeneration_value

DAYS_PER_YEAR = 365.25


class AssessmentError(ValueError):
    def __init__(self, message: str, *, field: str = "non_field_errors"):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class AssessmentInput:
    """Everything the history gives; dates as ISO strings so the input round-trips through JSON unchanged."""

    valuation_date: str
    chemistry: str = ""
    rated_capacity_ah: float | None = None
    rated_energy_kwh: float | None = None
    mass_kg: float | None = None
    production_date: str | None = None
    vehicle_use: str | None = None
    in_vehicle_from: str | None = None
    in_vehicle_until: str | None = None
    second_life_from: str | None = None
    reported_efc: float | None = None
    mileage_km: float | None = None
    capacity_test_date: str | None = None
    capacity_test_soh: float | None = None
    safety_passed: bool | None = None
    cycle_life: dict | None = None  # the cycle-life answer for the battery's early-cycle features, as served
    telemetry: dict | None = None  # the pack's telemetry health (telemetry.selectors.health_for_assessment)

    @classmethod
    def from_dict(cls, data: dict) -> AssessmentInput:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class AssessmentResult:
    soh: float
    soh_source: str
    soh_model: float
    age_years: float
    efc: float
    grade: str
    grade_label: str
    route: str
    scenarios: list[str]
    rul_years: float | None
    rul_low_years: float | None
    rul_high_years: float | None
    rul_efc: float | None
    eol_soh: float
    value_cny: float | None
    value_route: str
    value_detail: dict
    reasons: list[str] = field(default_factory=list)
    curve: list[dict] = field(default_factory=list)
    cycle_life: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


CYCLE_LIFE_CHEMISTRY = "B"  # the early-cycle model was trained on LFP/graphite cells only


def _with_cycle_life(inp: AssessmentInput, model, params: dict, reasons: list[str]):
    """The degradation parameters with the cycle fade set by the predicted cycle life; the extra relative
    uncertainty it brings; and what the result shows about it (None when there is no prediction)."""
    answer = inp.cycle_life
    if not answer:
        return model, 0.0, None
    if answer.get("errors"):
        fields = "; ".join(f"{k}: {v[0]}" for k, v in answer["errors"].items())
        reasons.append(f"early-cycle features not used: {fields}")
        return model, 0.0, {**answer, "applied": False}
    if (inp.chemistry or "") != CYCLE_LIFE_CHEMISTRY:
        reasons.append("early-cycle features not used: the cycle-life model knows LFP cells only")
        return model, 0.0, {**answer, "applied": False}
    life = float(answer["predicted_cycle_life"])
    low, high = (float(v) for v in answer["interval"])
    fade = 1.0 - float(params["eol"]["vehicle"])
    z = model.z_cyc
    cycled = replace(model, b_cyc=fade / (life / 1000.0) ** z)
    spread = max((life / low) ** z - 1.0, 1.0 - (life / high) ** z)
    reasons.append(
        f"cycle life {life:.0f} cycles ({low:.0f}–{high:.0f}, {answer.get('interval_level', 0.8):.0%}) from "
        f"early-cycle features, model {answer.get('model_version', '?')}; cycle fade reaches {fade:.0%} there"
    )
    if answer.get("out_of_distribution"):
        reasons.append(
            "early-cycle features outside the training envelope ("
            + ", ".join(answer.get("out_of_distribution_features", []))
            + "): cycle life from the non-extrapolating part, interval widened"
        )
    if answer.get("limited_by_fade_bound"):
        reasons.append(
            f"cycle life limited to {float(answer['fade_bound']):.0f} cycles: the fade of cycles 91–100 continued "
            "in a straight line reaches 80% of nominal capacity there"
        )
    if answer.get("imputed"):
        reasons.append(
            "early-cycle features imputed from the training data ("
            + ", ".join(answer["imputed"])
            + "): interval widened"
        )
    return cycled, spread, {**answer, "applied": True}


TELEMETRY_COVERS_DAYS = 31  # telemetry from this soon after the pack entered service counts its whole use


def _measurement(inp: AssessmentInput, reasons: list[str]):
    """The SOH measurement to anchor on: the capacity test or the telemetry estimate, whichever is more recent
    (a test on the same day wins). Telemetry that covers the pack's service from its start also gives the
    cycle count, when none is reported. Returns the input (cycles filled in), the SOH, its day and its kind."""
    soh, day, kind = inp.capacity_test_soh, _d(inp.capacity_test_date), "capacity test"
    tele = inp.telemetry or {}
    tele_day = _d(tele.get("date"))
    if tele.get("soh") is None or tele_day is None:
        return inp, soh, day, kind
    events = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in (tele.get("events") or {}).items() if n)
    if events:
        reasons.append(f"negative events in vehicle telemetry: {events}")
    if soh is not None and (day is None or day >= tele_day):
        reasons.append(
            f"telemetry SOH {tele['soh']:.1%} up to {tele_day.isoformat()} predates the capacity test"
        )
        return inp, soh, day, kind
    low, high = tele.get("soh_low"), tele.get("soh_high")
    band = f" (95 % {low:.1%}–{high:.1%})" if low is not None and high is not None else ""
    reasons.append(
        f"telemetry: SOH {tele['soh']:.1%}{band} from {tele.get('segments', 0)} charging segments up to "
        f"{tele_day.isoformat()}"
    )
    first, start = _d(tele.get("first_sample")), _d(inp.in_vehicle_from)
    efc = tele.get("equivalent_full_cycles")
    covers = first is not None and start is not None and (first - start).days <= TELEMETRY_COVERS_DAYS
    if inp.reported_efc is None and efc is not None and covers:
        inp = replace(inp, reported_efc=float(efc))
        reasons.append(f"cycles from telemetry charge throughput since {first}")
    return inp, float(tele["soh"]), tele_day, "vehicle telemetry"


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _years(a: date, b: date) -> float:
    return max((b - a).days, 0) / DAYS_PER_YEAR


def _by_chemistry(table: dict, chemistry: str) -> dict:
    return table.get(chemistry) or table["*"]


class _Usage:
    """Cycle count as a function of date, from the history (reported EFC, mileage or the use profile)."""

    def __init__(self, inp: AssessmentInput, params: dict, reasons: list[str]):
        self.start = _d(inp.in_vehicle_from)
        self.until = _d(inp.in_vehicle_until)
        self.second_from = _d(inp.second_life_from)
        self.today = date.fromisoformat(inp.valuation_date)  # assess() refused an empty one
        pack_kwh = inp.rated_energy_kwh or params["default_pack_kwh"]
        use = inp.vehicle_use if inp.vehicle_use in params["usage"] else "other"
        profile = params["usage"][use]
        self.profile_rate = deg.efc_per_year(
            annual_km=profile["annual_km"], kwh_per_km=profile["kwh_per_km"], pack_kwh=pack_kwh
        )
        self.second_rate = float(params["second_life_efc_per_year"])
        self.vehicle_rate = self.profile_rate
        in_vehicle_years = self._vehicle_years(self.today)
        if inp.reported_efc is not None:
            self.vehicle_efc_total = float(inp.reported_efc)
            reasons.append(f"cycles: {inp.reported_efc:.0f} equivalent full cycles reported")
        elif inp.mileage_km is not None:
            self.vehicle_efc_total = inp.mileage_km * profile["kwh_per_km"] / pack_kwh
            reasons.append(
                f"cycles: {self.vehicle_efc_total:.0f} EFC from {inp.mileage_km:.0f} km reported "
                f"at {profile['kwh_per_km']} kWh/km ({use} use)"
            )
        else:
            self.vehicle_efc_total = self.profile_rate * in_vehicle_years
            reasons.append(
                f"cycles: {self.vehicle_efc_total:.0f} EFC estimated from {in_vehicle_years:.1f} years of "
                f"{use} use ({profile['annual_km']:.0f} km/year)"
            )
        if in_vehicle_years > 0 and (inp.reported_efc is not None or inp.mileage_km is not None):
            self.vehicle_rate = self.vehicle_efc_total / in_vehicle_years

    def _vehicle_years(self, on: date) -> float:
        if self.start is None:
            return 0.0
        end = min(self.until or on, on)
        if self.second_from is not None:
            end = min(end, self.second_from)
        return _years(self.start, end)

    def efc_at(self, on: date) -> float:
        efc = self.vehicle_rate * self._vehicle_years(on)
        if self.second_from is not None and on > self.second_from:
            efc += self.second_rate * _years(self.second_from, on)
        return efc

    @property
    def in_second_life(self) -> bool:
        return self.second_from is not None and self.second_from <= self.today


def assess(inp: AssessmentInput, *, params: dict, grades: GradeTable, prices: dict) -> AssessmentResult:
    """Assess one battery. Raises :class:`AssessmentError` when the history is too thin to say anything."""
    reasons: list[str] = []
    today = _d(inp.valuation_date)
    born = _d(inp.production_date) or _d(inp.in_vehicle_from)
    if today is None:
        raise AssessmentError("a valuation date is required", field="valuation_date")
    if born is None:
        raise AssessmentError(
            "neither a production date nor a date of sale is known", field="production_date"
        )
    if born > today:
        raise AssessmentError("the battery was produced after the valuation date", field="production_date")
    inp, measured_soh, test_day, measured_by = _measurement(inp, reasons)
    chemistry = inp.chemistry or "*"
    model = deg.DegradationParams.from_dict(_by_chemistry(params["degradation"], chemistry))
    model, cycle_life_spread, cycle_life = _with_cycle_life(inp, model, params, reasons)
    usage = _Usage(inp, params, reasons)
    age = _years(born, today)
    efc = usage.efc_at(today)
    if inp.reported_efc is not None and not usage.in_second_life:
        efc = float(inp.reported_efc)
    soh_modelled = deg.soh_model(model, age, efc)

    scale, uncertainty = 1.0, float(params["uncertainty"]["model"])
    if measured_soh is not None:
        measured = float(measured_soh)
        if not 0 < measured <= 1.2:
            field_name = "telemetry" if measured_by == "vehicle telemetry" else "capacity_test_soh"
            raise AssessmentError(f"{measured_by} SOH {measured} is outside (0, 1.2]", field=field_name)
        test_day = test_day or today
        t_age, t_efc = _years(born, test_day), usage.efc_at(test_day)
        bounds = tuple(params["anchor_bounds"])
        scale = deg.anchor_scale(model, t_age, t_efc, measured, bounds=bounds)
        raw = (
            (1 - measured) / deg.capacity_fade(model, t_age, t_efc)
            if deg.capacity_fade(model, t_age, t_efc)
            else 1
        )
        if scale != raw:
            reasons.append(
                f"capacity test far from the model (fade ×{raw:.2f}); projection clipped to ×{scale:.2f}"
            )
        uncertainty = float(params["uncertainty"]["measured"])
        soh = measured if test_day >= today else deg.soh_model(model, age, efc, scale=scale)
        source = f"{measured_by} on {test_day.isoformat()}"
        reasons.append(
            f"SOH {measured:.1%} measured on {test_day.isoformat()}; model alone gives {soh_modelled:.1%}"
        )
    else:
        soh, source = soh_modelled, "degradation model"
        uncertainty = max(uncertainty, cycle_life_spread)
        reasons.append(
            f"SOH {soh:.1%} from the {chemistry} calendar + cycle ageing model at {age:.1f} years, {efc:.0f} EFC"
        )
    soh = round(soh, 4)

    graded = grade_for(grades, soh, safety_passed=inp.safety_passed)
    reasons.append(f"grade {graded.grade.code}: {graded.reason}")
    if inp.safety_passed is True:
        reasons.append("safety assessment passed")

    in_vehicle_grade = soh >= params["eol"]["vehicle"]
    eol = float(params["eol"]["vehicle" if in_vehicle_grade else "second_life"])
    rate = usage.vehicle_rate if in_vehicle_grade and not usage.in_second_life else usage.second_rate
    rul = deg.remaining_life(
        model, age_years=age, efc=efc, efc_per_year=rate, scale=scale, eol_soh=eol,
        relative_uncertainty=uncertainty,
    )  # fmt: skip
    if rul.reached:
        reasons.append(f"already at or below the end-of-life threshold {eol:.0%}")
    elif rul.years is None:
        reasons.append(f"end-of-life threshold {eol:.0%} not reached within 50 years at {rate:.0f} EFC/year")
    else:
        reasons.append(
            f"RUL {rul.years:.1f} years ({rul.years_low or 0:.1f}–{rul.years_high or 0:.1f}) to SOH {eol:.0%} "
            f"at {rate:.0f} EFC/year"
        )

    value, value_route, detail = _value(inp, chemistry, soh, graded.grade, params, prices, reasons)
    curve = deg.curve(
        model,
        history=_history(usage, born, today),
        future_efc_per_year=rate,
        scale=scale,
        relative_uncertainty=uncertainty,
        until_years=min(age + (rul.years_high or rul.years or 10.0) + 1.0, age + 30.0),
    )
    return AssessmentResult(
        soh=soh,
        soh_source=source,
        soh_model=round(soh_modelled, 4),
        age_years=round(age, 3),
        efc=round(efc, 1),
        grade=graded.grade.code,
        grade_label=graded.grade.label,
        route=graded.grade.route,
        scenarios=list(graded.grade.scenarios),
        rul_years=_r(rul.years, 2),
        rul_low_years=_r(rul.years_low, 2),
        rul_high_years=_r(rul.years_high, 2),
        rul_efc=_r(rul.efc, 0),
        eol_soh=eol,
        value_cny=_r(value, 2),
        value_route=value_route,
        value_detail=detail,
        reasons=reasons,
        curve=curve,
        cycle_life=cycle_life,
    )


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _history(usage: _Usage, born: date, today: date) -> list[tuple[float, float]]:
    points = [(0.0, 0.0)]
    for day in (usage.start, usage.until, usage.second_from, today):
        if day is not None and born <= day <= today:
            points.append((_years(born, day), usage.efc_at(day)))
    return sorted(set(points))


def _value(inp, chemistry, soh, grade, params, prices, reasons) -> tuple[float | None, str, dict]:
    materials = params["materials"]
    mass = inp.mass_kg
    if mass is None and inp.rated_energy_kwh:
        mass = inp.rated_energy_kwh / float(
            _by_chemistry_value(materials["specific_energy_kwh_per_kg"], chemistry)
        )
    regen = None
    if mass:
        try:
            regen = regeneration_value(
                mass_kg=mass, chemistry=chemistry, composition=materials["composition"],
                recovery=materials["recovery"], prices=prices,
            )  # fmt: skip
        except PriceMissing as exc:
            reasons.append(f"regeneration value unknown: {exc}")
    detail: dict = {"mass_kg": _r(mass, 1)}
    if regen is not None:
        detail["regeneration"] = {
            "value": round(regen.value, 2), "metals": regen.metals, "processing_cost": round(regen.processing_cost, 2)
        }  # fmt: skip
    if grade.route == "regeneration":
        if regen is None:
            reasons.append("value unknown: pack mass and rated energy are both missing")
            return None, "regeneration", detail
        reasons.append(f"value: recoverable metals less processing, {regen.value:,.0f} CNY for {mass:.0f} kg")
        return regen.value, "regeneration", detail
    if not inp.rated_energy_kwh:
        reasons.append("value unknown: rated energy is missing")
        return None, grade.route, detail
    try:
        unit = price_per_kwh(prices, grade.code, chemistry)
    except PriceMissing as exc:
        reasons.append(f"value unknown: {exc}")
        return None, grade.route, detail
    usable = inp.rated_energy_kwh * soh
    value = cascade_value(rated_energy_kwh=inp.rated_energy_kwh, soh=soh, unit_price=unit)
    detail.update({"usable_kwh": round(usable, 2), "price_per_kwh": unit})
    reasons.append(
        f"value: {usable:.1f} kWh usable × {unit:.0f} CNY/kWh (grade {grade.code}) = {value:,.0f} CNY"
    )
    if regen is not None and regen.value > value:
        reasons.append(f"note: regeneration would yield more ({regen.value:,.0f} CNY)")
    return value, grade.route, detail


def _by_chemistry_value(table: dict, chemistry: str):
    return table.get(chemistry, table.get("*"))
