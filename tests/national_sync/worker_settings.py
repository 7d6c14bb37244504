"""Settings of the Celery worker that the reliability test starts: the test settings, but tasks really go
through Redis (DATABASE_URL points the worker at pytest's test database)."""

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
