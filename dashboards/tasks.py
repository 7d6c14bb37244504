from celery import shared_task

from .services import materialised_views_refresh


@shared_task(soft_time_limit=600, time_limit=900, autoretry_for=(OSError,), max_retries=2)
def refresh_materialised_views() -> dict[str, float]:
    """Beat task: recompute the dashboards' aggregates (see ``dashboards.views_sql``)."""
    return materialised_views_refresh()
