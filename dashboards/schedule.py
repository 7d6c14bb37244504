BEAT_SCHEDULE = {
    "dashboards-refresh-materialised-views": {
        "task": "dashboards.tasks.refresh_materialised_views",
        "schedule": 600.0,  # seconds; the pages show "figures as of" the last refresh
    },
}
