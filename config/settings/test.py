"""Tests: real PostgreSQL (DATABASE_URL or embedded), eager Celery for unit tests."""

from core.embedded import bootstrap

bootstrap()

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
