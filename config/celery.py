import importlib
import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("jjj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _merge_beat_schedules(sender, **kwargs):
    """Each app may declare ``BEAT_SCHEDULE`` in ``<app>/schedule.py``; beat runs them all."""
    for app_name in settings.LOCAL_APPS:
        try:
            module = importlib.import_module(f"{app_name}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_name}.schedule":
                raise
            continue
        sender.conf.beat_schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
