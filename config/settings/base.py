"""Settings shared by every environment; each value comes from the environment (cookiecutter-django style)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = ["rest_framework", "django_filters", "drf_spectacular"]
LOCAL_APPS = [
    "core",
    "accounts",
    "traceability",
    "recycling_network",
    "cascade_use",
    "regeneration",
    "valuation",
    "alliance",
    "dashboards",
    "national_sync",
    "passport",
    "telemetry",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.UnstorableInputMiddleware",
    "core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.pages.RefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    }
]

# PostgreSQL only: DATABASE_URL, or the embedded server that local/test settings start when it is unset.
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The language switch's choice is kept for a year (not only for the browser session).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# django-filter's empty choice reads "All" rather than "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("All")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.BoundedFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.PlatformAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "6000/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jingjinji Battery Trace API",
    "DESCRIPTION": (
        "Traceability of new-energy-vehicle power batteries in Beijing, Tianjin and Hebei. "
        "Authenticate with `Authorization: Token <token>` (issue tokens with `manage.py issue_api_token`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Schema warnings are checked by the test suite, not by `check --deploy`.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # Swagger UI keeps the token given under "Authorize" (`Token <token>`) across reloads.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # One component name per choice set where several fields share a name ("region", "kind", "form").
    "ENUM_NAME_OVERRIDES": {
        "RegionEnum": "accounts.choices.Region",
        "JjjRegionEnum": "accounts.choices.JJJ_REGIONS",
        "LevelEnum": "traceability.choices.Level",
        "PriceFormEnum": "alliance.models.PriceForm",
        "TradedFormEnum": ["pack", "module"],
        "PointKindEnum": "recycling_network.choices.PointKind",
        "AuthorisationKindEnum": "cascade_use.models.AuthorisationKind",
        "ChangeRequestKindEnum": "recycling_network.choices.ChangeRequestKind",
    },
}

# Bulk endpoints (R-BIND): the largest envelope accepted in one request.
BULK_MAX_ITEMS = int(os.environ.get("BULK_MAX_ITEMS", "10000"))

# Ledger signing key (Ed25519 seed or HMAC secret, hex); development gets a derived default.
LEDGER_SIGNING_KEY = os.environ.get("LEDGER_SIGNING_KEY", "")

# National-platform endpoint (national_sync); empty means the bundled simulator.
NATIONAL_PLATFORM_URL = os.environ.get("NATIONAL_PLATFORM_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())

# Content-Security-Policy (django-csp 4): scripts only from the platform's own static files, or an inline
# bootstrap carrying the response's nonce (``{{ request.csp_nonce }}``); pages pass data to scripts through
# ``json_script`` and data attributes. Inline style attributes stay allowed: templates and the charts' tooltips
# use them, and styles cannot run code.
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}

# Upload bounds (bytes): the largest upload stored at all (larger ones are cut off while they stream in), and
# the explicit limits that a CSV/XLSX file and an intake photo are checked against, naming the field.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "core.tabular.UploadCeilingHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
UPLOAD_CEILING_BYTES = int(os.environ.get("UPLOAD_CEILING_BYTES", str(32 * 1024 * 1024)))
TABULAR_UPLOAD_MAX_BYTES = int(os.environ.get("TABULAR_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
PHOTO_UPLOAD_MAX_BYTES = int(os.environ.get("PHOTO_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
XLSX_EXPORT_MAX_ROWS = int(os.environ.get("XLSX_EXPORT_MAX_ROWS", "100000"))

# The API docs under the same policy: Swagger UI from the bundled distribution (no CDN) with its settings
# script served as a separate file (drf-spectacular's split view).
INSTALLED_APPS += ["drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)
# --- Security: login lockout, API rates, token lifetime, trusted proxies, metrics scraper ----------------------
# Every setting here is listed in the README's production section.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as django-axes requires
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.audit.client_ip"

REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "core.api.throttling.AnonThrottle",
    "core.api.throttling.UserThrottle",
    "core.api.throttling.AuthScopeThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
    "user": os.environ.get("API_THROTTLE_USER", "6000/min"),
    "auth": os.environ.get("API_THROTTLE_AUTH", "20/min"),
}

# API tokens expire this many days after issue; `manage.py rotate_api_tokens` replaces those due.
API_TOKEN_MAX_AGE = timedelta(days=int(os.environ.get("API_TOKEN_MAX_AGE_DAYS", "90")))

# Our reverse proxies (addresses or CIDR networks): only from them is X-Forwarded-For believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# /metrics answers only a configured scraper: the bearer token NATIONAL_SYNC_METRICS_TOKEN when it is set,
# otherwise an address in these networks.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
