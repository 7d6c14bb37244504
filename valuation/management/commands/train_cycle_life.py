"""Retrain the cycle-life model on the early-cycle feature table and print its grouped cross-validation."""

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from valuation import datafiles
from valuation.core import training


class Command(BaseCommand):
    help = (
        "Evaluate the cycle-life candidates (Severson's variance, discharge and full models, regularised linear "
        "models, trees, ensembles) by repeated cross-validation grouped by cell, print RMSE, MAPE, worst-cell "
        "APE and 80% interval coverage per candidate (with the fade bound, and MAPE and worst cell without it), "
        "fit the one with the lowest CV MAPE and write the artefact."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", default=str(datafiles.CELLS_CSV), help="feature table (CSV)")
        parser.add_argument(
            "--output", default=str(datafiles.CYCLE_LIFE_FILE), help="artefact to write (JSON)"
        )
        parser.add_argument(
            "--repeats", type=int, default=training.REPEATS, help="CV repeats (shuffled groups)"
        )
        parser.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")

    def handle(self, *args, data, output, repeats, dry_run, **options):
        path = Path(data)
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        if repeats < 1:
            raise CommandError("--repeats must be at least 1")
        artefact = training.train(path, repeats=repeats)
        self.stdout.write(training.format_report(artefact))
        if dry_run:
            return
        Path(output).write_text(json.dumps(artefact, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if Path(output).resolve() == datafiles.CYCLE_LIFE_FILE.resolve():
            datafiles.cycle_life_reload()
        shown = os.path.relpath(Path(output).resolve(), Path(settings.BASE_DIR).resolve())
        self.stdout.write(self.style.SUCCESS(f"wrote {shown} ({artefact['version']})"))
