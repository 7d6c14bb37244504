"""Second-life grades and scenario matching (R-VALUE, R-CASCADE).

Grades come from the SOH band and the safety verdict, as in domain.md §6 (a default, configurable): the
thresholds and scenario lists are data (``valuation/data/grading-v1.json``). Band lower bounds are inclusive:
SOH exactly 0.80 stays in vehicles, 0.7999 goes to the 70–80 % band. Any failed safety assessment sends a pack to
regeneration whatever its SOH.
"""

from __future__ import annotations

from dataclasses import dataclass

# SOH is compared after rounding to this many decimals, so 0.8 computed as 1 - 0.2 lands in the 80 % band.
SOH_DECIMALS = 6


@dataclass(frozen=True)
class Grade:
    code: str
    min_soh: float
    label: str
    route: str  # vehicle | cascade | regeneration
    scenarios: tuple[str, ...]


@dataclass(frozen=True)
class GradeTable:
    version: str
    grades: tuple[Grade, ...]  # sorted by min_soh, highest first
    failed_safety_grade: str

    @classmethod
    def from_dict(cls, data: dict) -> GradeTable:
        grades = tuple(
            sorted(
                (
                    Grade(
                        code=g["code"],
                        min_soh=float(g["min_soh"]),
                        label=g.get("label", g["code"]),
                        route=g["route"],
                        scenarios=tuple(g.get("scenarios", ())),
                    )
                    for g in data["grades"]
                ),
                key=lambda g: g.min_soh,
                reverse=True,
            )
        )
        if not grades or grades[-1].min_soh > 0:
            raise ValueError("the grade table must cover SOH down to 0")
        codes = {g.code for g in grades}
        if data["failed_safety_grade"] not in codes:
            raise ValueError("failed_safety_grade must name a grade of the table")
        return cls(
            version=str(data["version"]), grades=grades, failed_safety_grade=data["failed_safety_grade"]
        )

    def by_code(self, code: str) -> Grade:
        return next(g for g in self.grades if g.code == code)


@dataclass(frozen=True)
class GradeResult:
    grade: Grade
    reason: str


def grade_for(table: GradeTable, soh: float, *, safety_passed: bool | None) -> GradeResult:
    """The grade for a pack; ``safety_passed`` None means no safety assessment is on record."""
    if not 0.0 <= soh <= 1.5:
        raise ValueError(f"SOH {soh!r} is outside 0–1.5")
    if safety_passed is False:
        grade = table.by_code(table.failed_safety_grade)
        return GradeResult(grade, "failed safety assessment: regeneration whatever the SOH")
    value = round(soh, SOH_DECIMALS)
    for grade in table.grades:
        if value >= grade.min_soh:
            reason = f"SOH {value:.1%} ≥ {grade.min_soh:.0%}: {grade.label}"
            if safety_passed is None and grade.route == "cascade":
                reason += " (subject to a safety assessment before cascade use)"
            return GradeResult(grade, reason)
    raise AssertionError("unreachable: the table covers 0")  # pragma: no cover
