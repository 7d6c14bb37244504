"""Writes of the dashboards: findings and their publication (R-COMPLY), cohort imports (R-FORECAST), the
refresh of the materialised views. Every write is audited; findings are written only by the regulator of the
enterprise's region."""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from accounts.models import Organisation, User
from core.audit import audit_log
from core.errors import Invalid
from core.tabular import TabularError
from core.tenancy import require_regulator
from traceability.choices import VehicleUse

from . import selectors
from .models import (
    CohortRow,
    ComplianceRule,
    Finding,
    ForecastCalibration,
    MaterialisedViewRefresh,
    ViolationPublication,
    WeibullParameter,
)
from .views_sql import ALL_VIEWS


class DashboardError(Invalid):
    """A refused finding or publication (422); ``field`` names the input at fault."""

    default_code = "refused"


def finding_region(*, enterprise: Organisation, actor: User) -> str:
    """The enterprise's home region; an enterprise from outside JJJ answers to the region that finds it."""
    if enterprise.region in JJJ_REGIONS:
        return enterprise.region
    return actor.organisation.region if actor.organisation_id else ""


@transaction.atomic
def finding_propose(
    *, actor: User, enterprise: Organisation, rule_code: str, period: str, note: str = ""
) -> Finding:
    """Record a finding from the rule's current measure, with that measure and the threshold as evidence."""
    region = finding_region(enterprise=enterprise, actor=actor)
    require_regulator(actor, region=region, write=True)
    rule = ComplianceRule.objects.filter(code=rule_code, is_active=True).first()
    if rule is None:
        raise DashboardError(f"unknown rule {rule_code!r}", field="rule")
    year = int(period[:4]) if period[:4].isdigit() else None
    if year is None:
        raise DashboardError("the period is YYYY or YYYY-MM", field="period")
    score = selectors.compliance_scores(regions=JJJ_REGIONS, year=year, org_ids=[enterprise.pk])
    if not score:
        raise DashboardError("findings are recorded against automakers", field="enterprise")
    result = next((r for r in score[0].results if r.code == rule.code), None)
    if result is None or result.passed:
        raise DashboardError("the rule is met for this period: nothing to find", field="rule")
    if (
        Finding.objects.filter(enterprise=enterprise, rule=rule, period=period)
        .exclude(status="dismissed")
        .exists()
    ):
        raise DashboardError("an open finding for this rule and period exists", field="rule")
    finding = Finding.objects.create(
        enterprise=enterprise,
        region=region,
        rule=rule,
        period=period,
        measured=result.measured if result.measured is not None else 0,
        points_lost=result.points - result.earned,
        evidence={
            "measured": result.measured,
            "threshold": rule.threshold,
            "comparison": rule.comparison,
            "rule_version": rule.version,
            "on_time": score[0].on_time,
            "late": score[0].late,
            "service_points": score[0].points,
            "unregistered": score[0].unregistered,
        },
        note=note,
        created_by=actor,
    )
    audit_log(
        actor=actor, action="finding.propose", obj=finding, changes={"rule": rule.code, "period": period}
    )
    return finding


@transaction.atomic
def finding_decide(*, actor: User, finding: Finding, confirm: bool, note: str = "") -> Finding:
    """Confirm or dismiss a proposed finding; only the regulator of the finding's region may."""
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    require_regulator(actor, region=finding.region, write=True)
    if finding.status != Finding.Status.PROPOSED:
        raise DashboardError(f"the finding is already {finding.status}", field="status")
    finding.status = Finding.Status.CONFIRMED if confirm else Finding.Status.DISMISSED
    finding.decided_by, finding.decided_at = actor, timezone.now()
    if note:
        finding.note = note
    finding.save(update_fields=["status", "decided_by", "decided_at", "note"])
    audit_log(actor=actor, action=f"finding.{finding.status}", obj=finding, changes={"note": note})
    return finding


@transaction.atomic
def violations_publish(*, actor: User, region: str) -> ViolationPublication:
    """Publish every confirmed finding of ``region`` in the public list of violations (R-COMPLY: exposure)."""
    require_regulator(actor, region=region, write=True)
    confirmed = Finding.objects.select_for_update().filter(region=region, status=Finding.Status.CONFIRMED)
    ids = list(confirmed.values_list("pk", flat=True))
    if not ids:
        raise DashboardError("no confirmed findings to publish in this region")
    publication = ViolationPublication.objects.create(region=region, published_by=actor)
    Finding.objects.filter(pk__in=ids).update(status=Finding.Status.PUBLISHED, publication=publication)
    audit_log(actor=actor, action="violations.publish", obj=publication, changes={"findings": ids})
    return publication


COHORT_COLUMNS = ("region", "year", "vehicles", "avg_pack_kg", "use")
# More vehicles of one use than a region has people is a typing error; the column itself ends at 2,147,483,647.
MAX_COHORT_VEHICLES = 100_000_000


@transaction.atomic
def cohorts_import(*, actor: User, rows: list[dict[str, str]], source: str = "") -> int:
    """Import cohort rows (region, year, vehicles, avg_pack_kg, use); a row for an existing region, year and
    use replaces it. A regulator imports only its own region's rows. All or nothing: any bad row refuses the
    file, naming the row and the column."""
    uses = {u for u, _ in VehicleUse.choices}
    clean = []
    for number, row in enumerate(rows, start=2):
        missing = [c for c in COHORT_COLUMNS if not row.get(c)]
        if missing:
            raise TabularError(f"row {number}: missing {', '.join(missing)}")
        region = row["region"].upper()
        if region not in JJJ_REGIONS:
            raise TabularError(f"row {number}: region must be one of {', '.join(JJJ_REGIONS)}")
        if row["use"] not in uses:
            raise TabularError(f"row {number}: use must be one of {', '.join(sorted(uses))}")
        try:
            year, vehicles, kg = int(row["year"]), int(row["vehicles"]), float(row["avg_pack_kg"])
        except ValueError as exc:
            raise TabularError(f"row {number}: year and vehicles are integers, avg_pack_kg a number") from exc
        if not (1990 <= year <= 2100) or not (0 <= vehicles <= MAX_COHORT_VEHICLES) or not (0 < kg < 10000):
            raise TabularError(
                f"row {number}: year (1990-2100), vehicles (0-{MAX_COHORT_VEHICLES:,}) or avg_pack_kg "
                "(above 0, below 10,000) out of range"
            )
        require_regulator(actor, region=region, write=True)
        clean.append((region, year, row["use"], vehicles, kg))
    for region, year, use, vehicles, kg in clean:
        CohortRow.objects.update_or_create(
            region=region,
            year=year,
            use=use,
            defaults={"vehicles": vehicles, "avg_pack_kg": kg, "source": source, "imported_by": actor},
        )
    audit_log(
        actor=actor, action="cohorts.import", object_type="dashboards.cohortrow", changes={"rows": len(clean)}
    )
    return len(clean)


def materialised_views_refresh(*, concurrently: bool = True) -> dict[str, float]:
    """Refresh and analyse every dashboard view (CONCURRENTLY keeps the pages readable during the refresh)."""
    timings = {}
    for name in ALL_VIEWS:
        started = time.monotonic()
        with connection.cursor() as cursor:
            mode = "CONCURRENTLY " if concurrently and not connection.in_atomic_block else ""
            cursor.execute(f"REFRESH MATERIALIZED VIEW {mode}{name}")
            # Fresh statistics: the planner otherwise guesses a handful of rows for a view of 100,000s and
            # picks nested loops and sorts that take seconds.
            cursor.execute(f"ANALYZE {name}")
        timings[name] = time.monotonic() - started
        MaterialisedViewRefresh.objects.update_or_create(
            name=name, defaults={"refreshed_at": timezone.now(), "seconds": timings[name]}
        )
    return timings


@transaction.atomic
def forecast_calibration_save(*, fit, band, holdout_mape: float | None, data_version: str):
    """Store a calibration of the Stanford model (R-FORECAST) and carry its lifetimes into the Weibull
    parameters that the platform's own and imported cohorts are forecast with."""
    now = timezone.now()
    keys = sorted(band.central, key=lambda k: (k[0], k[1]))
    calibration = ForecastCalibration.objects.create(
        created_at=now,
        data_version=data_version,
        lifetimes={
            use: {"shape": lt.shape, "mean": lt.mean, "scale": lt.weibull.scale}
            for use, lt in sorted(fit.lifetimes.items())
        },
        rmse=fit.rmse,
        mape=fit.mape,
        holdout_mape=holdout_mape,
        fitted=[
            {"region": r, "year": y, "reference": ref, "fitted": fit.fitted[(r, y)]}
            for (r, y), ref in sorted(fit.reference.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ],
        band=[
            {
                "region": r,
                "year": y,
                "central": band.central[(r, y)],
                "low": band.low[(r, y)],
                "high": band.high[(r, y)],
            }
            for r, y in keys
        ],
        draws=band.draws,
    )
    for use, lt in fit.lifetimes.items():
        WeibullParameter.objects.update_or_create(
            use=use,
            defaults={
                "shape": lt.shape,
                "scale": lt.weibull.scale,
                "fit_error": fit.rmse,
                "source": f"calibrate_forecast {timezone.localdate()} (cohorts {data_version})",
                "updated_at": now,
            },
        )
    return calibration
