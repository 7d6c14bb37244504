"""Packs in state ``lost`` count among the missing (``dashboards_alert_candidate``); the daily counts built on it
are rebuilt with it (see ``dashboards/views_sql.py``)."""

from django.db import migrations

from dashboards.views_sql import ALERT_CANDIDATE, ALERT_CANDIDATE_ORDER, ALERT_CANDIDATE_WITH_LOST, ALERT_DAILY


def _rebuild(candidate: str) -> str:
    drop = "DROP MATERIALIZED VIEW IF EXISTS dashboards_alert_candidate CASCADE;"
    return "\n".join([drop, candidate, ALERT_CANDIDATE_ORDER, ALERT_DAILY])


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0006_attributed_compliance")]

    operations = [migrations.RunSQL(_rebuild(ALERT_CANDIDATE_WITH_LOST), reverse_sql=_rebuild(ALERT_CANDIDATE))]
