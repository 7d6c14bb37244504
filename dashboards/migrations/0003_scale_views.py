"""Materialised views that replace per-request scans at scale: vehicle cohorts for the forecast, lost-and-stuck
candidates, flows per day of retirement, unregistered receipts per actor and month (see
``dashboards/views_sql.py``)."""

from django.db import migrations

from dashboards.views_sql import VIEWS_0003


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_materialised_views_and_data"),
        ("traceability", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(sql, reverse_sql=f"DROP MATERIALIZED VIEW IF EXISTS {name}")
        for name, sql in VIEWS_0003.items()
    ]
