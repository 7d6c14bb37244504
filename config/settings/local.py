"""Development: embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset."""

import os

from core.embedded import bootstrap

bootstrap()
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F403
from .base import env_bool  # noqa: E402

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-not-for-production"  # noqa: F405
