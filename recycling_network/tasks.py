from celery import shared_task

from .services import transit_missing_flag


@shared_task(name="recycling_network.flag_missing_in_transit", soft_time_limit=300, time_limit=360)
def flag_missing_in_transit() -> int:
    """Hourly: packs not arrived within ``transit_missing_hours`` of departure are reported missing."""
    return transit_missing_flag()
