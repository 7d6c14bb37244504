"""Materialised views for the dashboards, and the versioned data files (Weibull parameters, the plan's
reference series, compliance rules and credit bands) loaded into their tables."""

import csv
import json
from pathlib import Path

from django.db import migrations

from dashboards.views_sql import VIEWS

DATA = Path(__file__).resolve().parent.parent / "data"


def load_data(apps, schema_editor):
    weibull = json.loads((DATA / "weibull_v1.json").read_text(encoding="utf-8"))
    Weibull = apps.get_model("dashboards", "WeibullParameter")
    for row in weibull["parameters"]:
        Weibull.objects.update_or_create(
            use=row["use"],
            defaults={"shape": row["shape"], "scale": row["scale"], "source": f"weibull_v1.json {weibull['version']}"},
        )
    Reference = apps.get_model("dashboards", "ForecastReference")
    with (DATA / "reference_forecast_v1.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            Reference.objects.update_or_create(
                year=int(row["year"]),
                region=row["region"],
                defaults={"tonnes": float(row["tonnes"]), "source": row["source"]},
            )
    rules = json.loads((DATA / "compliance_rules_v1.json").read_text(encoding="utf-8"))
    Rule = apps.get_model("dashboards", "ComplianceRule")
    for row in rules["rules"]:
        Rule.objects.update_or_create(
            code=row["code"],
            defaults={
                "label_en": row["label_en"],
                "label_zh": row["label_zh"],
                "points": row["points"],
                "threshold": row["threshold"],
                "comparison": row["comparison"],
                "measure": row["measure"],
                "version": rules["version"],
            },
        )
    Band = apps.get_model("dashboards", "CreditBand")
    for row in rules["bands"]:
        Band.objects.update_or_create(
            status=row["status"], defaults={"min_score": row["min_score"], "version": rules["version"]}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("traceability", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        *[
            migrations.RunSQL(sql, reverse_sql=f"DROP MATERIALIZED VIEW IF EXISTS {name}")
            for name, sql in VIEWS.items()
        ],
        migrations.RunPython(load_data, migrations.RunPython.noop),
    ]
