"""Fit the lifetime per vehicle use to the pilot plan's nine figures on the sourced cohorts (R-FORECAST).

Prints the lifetimes, one line per region and year (reference, fitted, error), the check that was not fitted
(fit on 2018–2019, predict 2020) and ends with ``RMSE <x> t, MAPE <y>%`` and ``holdout 2020 MAPE <z>%``.
``--save`` stores the fit with its bootstrap band for the forecast page and API.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.choices import JJJ_REGIONS
from dashboards import selectors, services
from dashboards import stanford_model as model


class Command(BaseCommand):
    help = "Fit lifetimes per vehicle use (shared by BJ, TJ, HB) to the plan's figures; print the fit error."

    def add_arguments(self, parser):
        parser.add_argument("--save", action="store_true", help="store the fit and its band")
        parser.add_argument(
            "--draws", type=int, default=None, help="bootstrap draws for the band (with --save)"
        )
        parser.add_argument("--check-year", type=int, default=2020, help="year predicted by the earlier fit")

    def handle(self, *args, **opts):
        dataset = model.load()
        reference = selectors.forecast_reference()
        if not reference:
            raise CommandError("no reference figures: migrate the dashboards app")
        cohorts = dataset.model_cohorts()
        bounds = model.bounds_of(dataset)
        fit = model.calibrate(cohorts, reference, dataset.start(), bounds, cascade=dataset.cascade)
        check_year = opts["check_year"]
        fit_years = sorted({y for _, y in reference if y < check_year})
        if not fit_years or check_year not in {y for _, y in reference}:
            raise CommandError(f"no reference figures before and in {check_year}")
        early, predicted, holdout_mape = model.holdout(
            cohorts,
            reference,
            dataset.start(),
            bounds,
            fit_years=fit_years,
            check_year=check_year,
            cascade=dataset.cascade,
        )
        out = self.stdout.write
        out(
            f"cohorts {dataset.version}: {len(dataset.cohorts)} rows; lifetime per use, shared by {', '.join(JJJ_REGIONS)}"
        )
        for use, lt in sorted(fit.lifetimes.items()):
            lo, hi = dataset.mean_bounds(use)
            flags = [b for b in fit.at_bounds if b.startswith(f"{use}.")]
            out(
                f"  {use:<10} k {lt.shape:5.2f}  mean {lt.mean:4.2f} y (bounds {lo:g}-{hi:g})  λ {lt.weibull.scale:5.2f}"
                + (f"  at bound: {', '.join(f.split('.')[1] for f in flags)}" if flags else "")
            )
        for (region, year), ref in sorted(reference.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            got = fit.fitted[(region, year)]
            out(
                f"{year} {region:<3} reference {ref:6.0f} t  fitted {got:6.0f} t  ({100 * (got / ref - 1):+6.1f}%)"
            )
        for (region, year), got in sorted(predicted.items()):
            ref = reference[(region, year)]
            out(
                f"holdout {year} {region:<3} reference {ref:6.0f} t  predicted {got:6.0f} t"
                f"  ({100 * (got / ref - 1):+6.1f}%) from the fit on {fit_years[0]}-{fit_years[-1]}"
            )
        if opts["save"]:
            years = list(range(min(c.year for c in dataset.cohorts), selectors.FORECAST_LAST_YEAR + 1))
            band = model.bootstrap(dataset, reference, fit, years, list(JJJ_REGIONS), draws=opts["draws"])
            calibration = services.forecast_calibration_save(
                fit=fit, band=band, holdout_mape=holdout_mape, data_version=dataset.version
            )
            out(self.style.SUCCESS(f"saved calibration {calibration.pk} with a band of {band.draws} draws"))
        out(f"RMSE {fit.rmse:.1f} t, MAPE {100 * fit.mape:.1f}%")
        out(f"holdout {check_year} MAPE {100 * holdout_mape:.1f}%")
