from celery.schedules import crontab

BEAT_SCHEDULE = {
    "recycling-network-missing-in-transit": {
        "task": "recycling_network.flag_missing_in_transit",
        "schedule": crontab(minute=17),
    },
}
