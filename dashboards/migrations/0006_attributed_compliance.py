"""Upload timeliness and unregistered receipts count against the automaker whose service point made them as well
as against the uploading actor (``via_point``; see ``dashboards/views_sql.py``)."""

from django.db import migrations

from dashboards.views_sql import VIEWS_0006, VIEWS_0006_PREVIOUS


def _drop(name: str) -> str:
    return f"DROP MATERIALIZED VIEW IF EXISTS {name}"


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0005_forecast_calibration"),
        ("recycling_network", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(f"{_drop(name)};\n{sql}", reverse_sql=f"{_drop(name)};\n{VIEWS_0006_PREVIOUS[name]}")
        for name, sql in VIEWS_0006.items()
    ]
