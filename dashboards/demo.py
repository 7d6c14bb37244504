"""Demo data for the dashboards: cohort tables (NEV sales per region, year and use), findings proposed from the
rules, and fresh materialised views."""

from __future__ import annotations

from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from core.demo import DemoWorld

from . import selectors, services
from .models import CohortRow

# Illustrative NEV sales (vehicles) in the three regions, growing as in the pilot years; not official statistics.
BASE_SALES = {"BJ": 9000, "TJ": 4500, "HB": 3000}
USE_SHARE = {"private": 0.7, "taxi": 0.15, "bus": 0.05, "logistics": 0.1}
PACK_KG = {"private": 350, "taxi": 380, "bus": 1800, "logistics": 600}


def seed(world: DemoWorld) -> None:
    rng = world.rng
    rows = []
    for region, base in BASE_SALES.items():
        for year in range(2012, 2021):
            growth = 1.45 ** (year - 2012)
            for use, share in USE_SHARE.items():
                vehicles = int(base * growth * share * rng.uniform(0.9, 1.1))
                rows.append(
                    CohortRow(
                        region=region,
                        year=year,
                        use=use,
                        vehicles=vehicles,
                        avg_pack_kg=PACK_KG[use] * rng.uniform(0.95, 1.05),
                        source="demo",
                    )  # fmt: skip
                )
    CohortRow.objects.bulk_create(rows, ignore_conflicts=True)
    services.materialised_views_refresh(concurrently=False)
    _findings(world)


def _findings(world: DemoWorld) -> None:
    """The industry-and-IT regulator of each region proposes findings for its automakers' failed rules and
    confirms the first one, so the compliance pages and the publication step have something to show."""
    year = timezone.localdate().year
    for region in JJJ_REGIONS:
        regulator = world.users.get(f"{region.lower()}-industry-it")
        if regulator is None:
            continue
        automakers = [o.pk for o in world.of_kind("automaker") if o.region == region]
        confirmed = False
        for score in selectors.compliance_scores(regions=JJJ_REGIONS, year=year, org_ids=automakers):
            for result in score.results:
                if result.passed:
                    continue
                try:
                    finding = services.finding_propose(
                        actor=regulator, enterprise=score.org, rule_code=result.code, period=str(year)
                    )
                except services.DashboardError:
                    continue
                if not confirmed:
                    services.finding_decide(actor=regulator, finding=finding, confirm=True, note="demo")
                    confirmed = True
