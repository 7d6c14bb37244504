"""Fit the Weibull lifetime parameters to the pilot plan's reference series by least squares (R-FORECAST)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from dashboards import forecasting, selectors
from dashboards.models import ForecastReference, WeibullParameter


class Command(BaseCommand):
    help = "Least-squares fit of Weibull shape and scale to the reference series; prints the fit error."

    def add_arguments(self, parser):
        parser.add_argument("--uses", default="private", help="comma-separated vehicle uses to fit")
        parser.add_argument("--source", choices=["cohorts", "platform", "both"], default="cohorts")
        parser.add_argument("--total", action="store_true", help="fit the JJJ total instead of each region")
        parser.add_argument("--save", action="store_true", help="store the fitted parameters")

    def handle(self, *args, **opts):
        cohorts = []
        if opts["source"] in ("cohorts", "both"):
            cohorts += selectors.imported_cohorts(JJJ_REGIONS)
        if opts["source"] in ("platform", "both"):
            cohorts += selectors.platform_cohorts(JJJ_REGIONS)
        if not cohorts:
            raise CommandError("no cohorts: import cohort tables (forecast page) or load the demo world")
        reference: dict = {}
        for ref in ForecastReference.objects.all():
            key = ("ALL", ref.year) if opts["total"] else (ref.region, ref.year)
            reference[key] = reference.get(key, 0.0) + ref.tonnes
        start = selectors.weibull_params()
        uses = [u.strip() for u in opts["uses"].split(",") if u.strip()]
        unknown = [u for u in uses if u not in start]
        if unknown:
            raise CommandError(f"no parameters for use(s) {', '.join(unknown)}")
        fit = forecasting.calibrate(cohorts, reference, start, fit_uses=uses)
        for use in uses:
            before, after = start[use], fit.params[use]
            self.stdout.write(
                f"{use:<10} k {before.shape:6.3f} -> {after.shape:6.3f}   λ {before.scale:6.3f} -> {after.scale:6.3f}"
            )
        for (region, year), diff in sorted(fit.residuals.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            ref = reference[(region, year)]
            self.stdout.write(
                f"  {year} {region:<3} reference {ref:8.0f} t  fitted {ref + diff:8.0f} t  ({diff:+.0f})"
            )
        self.stdout.write(
            f"RMSE {fit.rmse:.1f} t, MAPE {100 * fit.mape:.1f}% ({'converged' if fit.success else fit.message})"
        )
        if opts["save"]:
            for use in uses:
                WeibullParameter.objects.filter(use=use).update(
                    shape=fit.params[use].shape,
                    scale=fit.params[use].scale,
                    fit_error=fit.rmse,
                    source=f"calibrate_forecast {timezone.localdate()} ({opts['source']})",
                    updated_at=timezone.now(),
                )
            self.stdout.write(self.style.SUCCESS("saved"))
