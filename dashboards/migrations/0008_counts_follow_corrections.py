"""The dashboards' aggregates leave out events declared erroneous (error declarations in force) and the
``corrected`` records themselves; see ``dashboards/views_sql.py``."""

from django.db import migrations

from dashboards.views_sql import VIEWS_0008, VIEWS_0008_PREVIOUS


def _drop(name: str) -> str:
    return f"DROP MATERIALIZED VIEW IF EXISTS {name} CASCADE;"


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0007_lost_packs_missing"),
        ("traceability", "0009_error_declarations"),
    ]

    operations = [
        migrations.RunSQL(f"{_drop(name)}\n{sql}", reverse_sql=f"{_drop(name)}\n{VIEWS_0008_PREVIOUS[name]}")
        for name, sql in VIEWS_0008.items()
    ]
