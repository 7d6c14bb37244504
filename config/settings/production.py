"""Production: everything from the environment; fails loudly when a secret is missing."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production")
SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STATIC_ROOT = os.environ.get("STATIC_ROOT", "/app/staticfiles")

# The ledger's tree heads must be signed with the operator's own key, never one derived from SECRET_KEY.
LEDGER_SIGNING_KEY = os.environ.get("LEDGER_SIGNING_KEY", "").strip()
if len(LEDGER_SIGNING_KEY) < 64:
    raise ImproperlyConfigured(
        "LEDGER_SIGNING_KEY must be set in production: 64 hex digits (an Ed25519 seed), e.g. `openssl rand -hex 32`"
    )
try:
    bytes.fromhex(LEDGER_SIGNING_KEY)
except ValueError:
    raise ImproperlyConfigured("LEDGER_SIGNING_KEY must be hexadecimal") from None
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
