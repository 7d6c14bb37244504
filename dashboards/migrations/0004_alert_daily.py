"""Lost-and-stuck counts per day (``dashboards_alert_daily``) and an index that pages a category's packs oldest
first across regions (see ``dashboards/views_sql.py``)."""

from django.db import migrations

from dashboards.views_sql import ALERT_CANDIDATE_ORDER, VIEWS_0004


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0003_scale_views")]

    operations = [
        migrations.RunSQL(
            ALERT_CANDIDATE_ORDER, reverse_sql="DROP INDEX IF EXISTS dashboards_alert_candidate_order"
        ),
        *[
            migrations.RunSQL(sql, reverse_sql=f"DROP MATERIALIZED VIEW IF EXISTS {name}")
            for name, sql in VIEWS_0004.items()
        ],
    ]
