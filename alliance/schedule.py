from celery.schedules import crontab

BEAT_SCHEDULE = {
    "alliance-close-expired-lots": {
        "task": "alliance.tasks.close_expired_lots",
        "schedule": crontab(minute="*/15"),
    },
}
