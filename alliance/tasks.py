from celery import shared_task

from . import services


@shared_task(time_limit=300, soft_time_limit=240, acks_late=True)
def close_expired_lots() -> int:
    """Close lots whose deadline passed without bids (lots with bids wait for the seller to accept)."""
    return services.lots_close_expired()
