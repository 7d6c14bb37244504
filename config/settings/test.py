"""Tests: real PostgreSQL (DATABASE_URL or embedded), eager Celery for unit tests."""

import os

from core.embedded import bootstrap

bootstrap()


def _own_redis_database(url: str, worker: str) -> str:
    """Tests run in parallel processes (pytest-xdist): each gets its own Redis database, as pytest-django gives
    each its own PostgreSQL database, so one process's Celery queue or rate counters never reach another's."""
    base, _, number = url.rpartition("/")
    if not worker.startswith("gw") or not number.isdigit():
        return url
    return f"{base}/{(int(number) + 1 + int(worker[2:])) % 16}"


# From the address the run was given, kept for the processes a test starts (they read these settings too).
os.environ.setdefault("TEST_REDIS_GIVEN_URL", os.environ["REDIS_URL"])
os.environ["REDIS_URL"] = _own_redis_database(
    os.environ["TEST_REDIS_GIVEN_URL"], os.environ.get("PYTEST_XDIST_WORKER", "")
)

from .base import *  # noqa: E402,F403

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "en"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LEDGER_SIGNING_KEY = "11" * 32
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "auth": None}}  # noqa: F405
# Lockout and rates are switched on by the tests that exercise them (tests/core/test_security_rates.py).
AXES_ENABLED = False
