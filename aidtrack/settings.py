"""AidTrack settings: one file, driven by the environment.

Development defaults work out of the box against the local PostgreSQL and Redis.
With DEBUG off the settings refuse to start without a real SECRET_KEY, and a
malformed value always names the variable that holds it.
"""

import os
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import dj_email_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "aidtrack-development-key-not-for-production"  # noqa: S105 (refused when DEBUG is off)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envurl(name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be a {'/'.join(schemes)} URL, got {raw!r}")
    return raw


def redis_db_url(base: str, db: int) -> str:
    """The same Redis server as `base`, on logical database `db`."""
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


# Off unless set: `make run` and the tests turn it on for local use.
DEBUG = envbool("DEBUG", False)

# Keys no production may run with: the development key, the examples (.env.example's among them)
# and anything Django's deployment check would call weak.
PLACEHOLDER_SECRET_KEY_WORDS = (
    "change-me",
    "changeme",
    "change_me",
    "replace-me",
    "your-secret",
    "example",
    "insecure",
)
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY is the development key; set a real one when DEBUG is off")
    if any(word in SECRET_KEY.lower() for word in PLACEHOLDER_SECRET_KEY_WORDS):
        raise ImproperlyConfigured("SECRET_KEY is a placeholder; set a random one when DEBUG is off")
    if len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak: use at least {SECRET_KEY_MIN_LENGTH} random characters, for example "
            "from python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
elif not SECRET_KEY:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

# Rotating the key: the old one here keeps sessions and signed links valid until they expire.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlsplit(_origin).scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS entries must start with http:// or https://, got {_origin!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django_celery_beat",
    "axes",
    "csp",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI from our own static files, never a CDN
    "leaflet",
    "simple_history",
    "settlements",
]

MIDDLEWARE = [
    "aidtrack.logs.RequestLogMiddleware",  # first, so its line covers the whole request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aidtrack.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "aidtrack.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# Debian 12 ships GDAL 3.6, which cannot sandbox spatial reference lookups (GDAL >= 3.9 can).
# AidTrack never hands GDAL a spatial reference from user input: imports read plain
# latitude/longitude numbers into SRID 4326, so the warning does not apply.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

ROOT_URLCONF = "aidtrack.urls"
WSGI_APPLICATION = "aidtrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "settlements.alerts.context.unread_notices",
            ],
        },
    },
]

# Database: PostGIS only. postgres:// and postgresql:// URLs are accepted and run on PostGIS too.
DATABASE_URL = envurl(
    "DATABASE_URL",
    "postgis://postgres@127.0.0.1:5432/aidtrack",
    ("postgis", "postgres", "postgresql"),
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = envint("DB_CONNECT_TIMEOUT", 5)
# Bounds on the work one connection may do, in seconds (0: none). Workers, imports and commands get
# these long defaults; gunicorn.conf.py gives the web its short ones (WEB_STATEMENT_TIMEOUT, ...).
DB_STATEMENT_TIMEOUT = envint("DB_STATEMENT_TIMEOUT", 1800)
DB_LOCK_TIMEOUT = envint("DB_LOCK_TIMEOUT", 300)
DB_IDLE_IN_TRANSACTION_TIMEOUT = envint("DB_IDLE_IN_TRANSACTION_TIMEOUT", 600)
# PostgreSQL's JIT compiler, off unless DB_JIT is set: AidTrack's queries are index lookups and
# aggregates that end before compiling pays back (the 100,000-settlement map layer spent half of
# its second compiling; docs/PERFORMANCE.md).
DB_JIT = envbool("DB_JIT", False)
DATABASES["default"]["OPTIONS"]["options"] = " ".join(
    [
        *(
            f"-c {name}={seconds * 1000}"
            for name, seconds in (
                ("statement_timeout", DB_STATEMENT_TIMEOUT),
                ("lock_timeout", DB_LOCK_TIMEOUT),
                ("idle_in_transaction_session_timeout", DB_IDLE_IN_TRANSACTION_TIMEOUT),
            )
        ),
        f"-c jit={'on' if DB_JIT else 'off'}",
    ]
)
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the broker on the database REDIS_URL names, Celery results on the next one and the
# cache on the one after. The cache sets an expiry on every key, so a Redis running with
# maxmemory-policy volatile-lru (docker-compose.yml) evicts cache entries and never the
# broker's queues, which have none.
REDIS_URL = envurl("REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss"))
_redis_path = urlsplit(REDIS_URL).path.strip("/") or "0"
if not _redis_path.isdigit():
    raise ImproperlyConfigured(f"REDIS_URL must end in a database number such as /0, got {REDIS_URL!r}")
REDIS_BROKER_DB = int(_redis_path)
REDIS_RESULT_DB = REDIS_BROKER_DB + 1
REDIS_CACHE_DB = REDIS_BROKER_DB + 2

CACHE_MAX_TIMEOUT = 7 * 24 * 3600
CACHES = {
    "default": {
        "BACKEND": "aidtrack.cache.ExpiringRedisCache",
        "LOCATION": redis_db_url(REDIS_URL, REDIS_CACHE_DB),
        "TIMEOUT": 300,
        "KEY_PREFIX": "aidtrack",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

# Logins: django-axes locks a username from an address after AXES_FAILURE_LIMIT failures for
# AXES_COOLOFF_HOURS (429, even with the right password); staff unlock in the admin (Access attempts).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = envint("AXES_PROXY_COUNT", 0)  # reverse proxies in front of gunicorn

# Sessions end after a working day, and scripts cannot read session or CSRF cookies.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    # Production is served over HTTPS only (behind a proxy that sets X-Forwarded-Proto).
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check calls it over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface speaks English, Arabic (right to left) and Russian. A user's choice is kept on
# their account (UserPreference) and in the language cookie; otherwise the browser's
# Accept-Language decides. Catalogues live in locale/ and are compiled by `make setup`.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["aidtrack.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Damascus")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA time zone such as Asia/Damascus, got {TIME_ZONE!r}"
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Gunicorn serves static files itself through WhiteNoise: compressed, with far-future caching.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"

# Table exports: CSV, HXL and GeoJSON stream; a spreadsheet of more rows than this is built by a
# worker and kept in EXPORT_DIR for EXPORT_LIFETIME_HOURS, for the user who asked.
EXPORT_BACKGROUND_ROWS = envint("EXPORT_BACKGROUND_ROWS", 20_000)
EXPORT_LIFETIME_HOURS = envint("EXPORT_LIFETIME_HOURS", 24)
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", BASE_DIR / "var" / "exports"))
EXPORT_QUEUE = os.environ.get("EXPORT_QUEUE", "celery")  # a queue of their own keeps them from delaying imports
# Streamed exports (CSV, HXL, GeoJSON) running at once in one web process; more wait their turn.
EXPORT_STREAMS_PER_PROCESS = envint("EXPORT_STREAMS_PER_PROCESS", 1)
# A CSV or HXL export is one COPY statement: it may run longer than a page's WEB_STATEMENT_TIMEOUT.
EXPORT_STATEMENT_TIMEOUT = envint("EXPORT_STATEMENT_TIMEOUT", 600)

# `make backup` (manage.py backup_database) writes pg_dump files here; docs/OPERATIONS.md.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "var" / "backups"))
BACKUP_COMPRESSION = envint("BACKUP_COMPRESSION", 6)  # pg_dump's zlib level, 0-9

# The published daily settlement list that the scheduled import fetches. Imports by URL are
# allowed only from this list's origin.
SETTLEMENT_LIST_URL = envurl("SETTLEMENT_LIST_URL", "", ("http", "https"))
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 50_000_000)
IMPORT_FETCH_TIMEOUT = envint("IMPORT_FETCH_TIMEOUT", 30)
IMPORT_FETCH_RETRIES = envint("IMPORT_FETCH_RETRIES", 3)
# The whole download, retries and redirects included; IMPORT_FETCH_TIMEOUT bounds each read.
IMPORT_FETCH_DEADLINE = envint("IMPORT_FETCH_DEADLINE", 300)
# Lists staff upload are kept here; a queued import reads files from this folder only.
IMPORT_UPLOAD_DIR = Path(os.environ.get("IMPORT_UPLOAD_DIR", BASE_DIR / "var" / "uploads"))
IMPORT_FETCH_BACKOFF = 1.0
# What one list may hold, checked before the work it would cause: rows, columns (headers, JSON
# keys, Word grid columns) and characters in one physical line.
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 1_000_000)
IMPORT_MAX_COLUMNS = envint("IMPORT_MAX_COLUMNS", 500)
IMPORT_MAX_LINE_CHARS = envint("IMPORT_MAX_LINE_CHARS", 100_000)
# Row messages kept on the run itself; all of them stay on the list's entries and its report.
IMPORT_MAX_ROW_MESSAGES = envint("IMPORT_MAX_ROW_MESSAGES", 200)
# A list import redelivered this many times after its worker died is given up as failed.
IMPORT_MAX_ATTEMPTS = envint("IMPORT_MAX_ATTEMPTS", 3)
# Fuzzy name matches below this score (0-100) go to review instead.
IMPORT_FUZZY_THRESHOLD = envint("IMPORT_FUZZY_THRESHOLD", 88)
# A near miss: within the district or sub-district a row names, the only place scoring at least
# IMPORT_FUZZY_NEAR is taken when the next is IMPORT_FUZZY_NEAR_MARGIN points or more behind.
IMPORT_FUZZY_NEAR = envint("IMPORT_FUZZY_NEAR", 75)
IMPORT_FUZZY_NEAR_MARGIN = envint("IMPORT_FUZZY_NEAR_MARGIN", 12)
# The dashboard warns when the last successful import is older than this.
IMPORT_STALE_HOURS = envint("IMPORT_STALE_HOURS", 36)
# A scheduled import finding one that succeeded this many minutes ago or less is the same slot sent
# twice (two beats): it is recorded as skipped.
IMPORT_SLOT_MINUTES = envint("IMPORT_SLOT_MINUTES", 60)
# Two sources' lists this many days apart or closer that give a settlement different figures disagree.
SOURCE_DISAGREEMENT_DAYS = envint("SOURCE_DISAGREEMENT_DAYS", 7)
# Rows the upload page shows before staff map the columns; how long an uploaded list waits for them.
IMPORT_PREVIEW_ROWS = envint("IMPORT_PREVIEW_ROWS", 10)
IMPORT_PREVIEW_MINUTES = envint("IMPORT_PREVIEW_MINUTES", 120)
# A settlement whose figures no list has confirmed for longer than this is drawn as stale.
STALE_AFTER_DAYS = envint("STALE_AFTER_DAYS", 7)
# Mail, for the alert digests: EMAIL_URL (smtp://user:password@host:587/?tls=True, smtp+ssl://...,
# console://) or the usual EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS,
# EMAIL_USE_SSL. With neither and DEBUG on, mail is printed to the console.
EMAIL_URL = os.environ.get("EMAIL_URL", "").strip()
if EMAIL_URL:
    _where = EMAIL_URL.split("@")[-1]  # never the password in a message
    try:
        _mail = dj_email_url.parse(EMAIL_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a mail URL ({exc}): ...@{_where}") from None
    if "EMAIL_BACKEND" not in _mail:
        raise ImproperlyConfigured(
            f"EMAIL_URL must be an smtp://, smtp+tls://, smtp+ssl:// or console:// URL: {_where}"
        )
    globals().update({key: value for key, value in _mail.items() if value is not None})
else:
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = envint("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
    EMAIL_BACKEND = (
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG and "EMAIL_HOST" not in os.environ
        else "django.core.mail.backends.smtp.EmailBackend"
    )
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AidTrack <aidtrack@localhost>")
# Links in e-mails point here (the address coordinators open AidTrack at).
SITE_URL = envurl("SITE_URL", "http://127.0.0.1:8000", ("http", "https")).rstrip("/")
# Alerts: a figure "jumped" when a list changes it by ALERT_JUMP_PERCENT or more (each subscriber may
# choose their own) and by at least ALERT_JUMP_MINIMUM (so 2 -> 4 people is no jump); each digest
# lists at most ALERT_DIGEST_ITEMS notices of each kind, the rest counted and in the app.
ALERT_JUMP_PERCENT = envint("ALERT_JUMP_PERCENT", 50)
ALERT_JUMP_MINIMUM = envint("ALERT_JUMP_MINIMUM", 10)
ALERT_DIGEST_ITEMS = envint("ALERT_DIGEST_ITEMS", 20)
# The Celery queue the digest e-mails go to (empty: the default queue).
ALERTS_QUEUE = os.environ.get("ALERTS_QUEUE", "")
# After each write a worker rebuilds the dashboard's figures (on this queue, empty: the default one),
# CACHE_WARMING_DELAY seconds later, so a burst of edits is built for once.
CACHE_WARMING_QUEUE = os.environ.get("CACHE_WARMING_QUEUE", "")
CACHE_WARMING_DELAY = envint("CACHE_WARMING_DELAY", 2)
# Who does what where: deliveries of one category to one place by two organisations less than
# PRESENCE_OVERLAP_DAYS apart overlap; open needs of priority PRESENCE_PRIORITY (3, high) or above in
# an area where no organisation pledged or delivered make it an uncovered area.
PRESENCE_OVERLAP_DAYS = envint("PRESENCE_OVERLAP_DAYS", 14)
PRESENCE_PRIORITY = envint("PRESENCE_PRIORITY", 3)
# Bulk entry of deliveries and pledges (CSV/XLSX in the admin): the largest file and row count
# taken, and how long a previewed file waits in the cache for staff to confirm it.
BULK_MAX_BYTES = envint("BULK_MAX_BYTES", 5_000_000)
BULK_MAX_ROWS = envint("BULK_MAX_ROWS", 10_000)
BULK_PREVIEW_MINUTES = envint("BULK_PREVIEW_MINUTES", 60)

# Celery: JSON only, one task at a time per worker process, and time limits well inside the
# broker's visibility timeout so a slow task is killed before Redis hands it to another worker.
CELERY_BROKER_URL = redis_db_url(REDIS_URL, REDIS_BROKER_DB)
CELERY_RESULT_BACKEND = redis_db_url(REDIS_URL, REDIS_RESULT_DB)
CELERY_RESULT_EXPIRES = 24 * 3600
# A task a worker took but never acknowledged (the worker died) goes back to the queue after this.
CELERY_VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = min(30 * 60, CELERY_VISIBILITY_TIMEOUT * 5 // 6)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT * 5 // 6
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_IMPORTS = ["aidtrack.health", "aidtrack.logs", "settlements.exports.tasks", "settlements.alerts.tasks"]
CELERY_HEARTBEAT_INTERVAL = 30
CELERY_BEAT_SCHEDULE = {
    "celery-heartbeat": {
        "task": "aidtrack.heartbeat",
        "schedule": CELERY_HEARTBEAT_INTERVAL,
        "options": {"expires": CELERY_HEARTBEAT_INTERVAL},
    },
    "delete-expired-exports": {"task": "settlements.delete_expired_exports", "schedule": 3600},
}
# /healthz calls Celery unhealthy when no worker has recorded a heartbeat for this long.
CELERY_HEARTBEAT_MAX_AGE = envint("CELERY_HEARTBEAT_MAX_AGE", 4 * CELERY_HEARTBEAT_INTERVAL)
# Anonymous /healthz says ok or not ok; staff, or a monitor sending this token, get which check failed.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")

# Maps: the basemap (an empty MAP_TILES_URL switches it off; governorate outlines from our own
# data still draw) and the cached, compressed map data.
MAP_TILES_URL = envurl("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", ("http", "https"))
MAP_TILES_ATTRIBUTION = os.environ.get(
    "MAP_TILES_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
MAP_DATA_CACHE_SECONDS = envint("MAP_DATA_CACHE_SECONDS", 24 * 3600)
MAP_DATA_GZIP_LEVEL = 5

# Content-Security-Policy: AidTrack's pages run only scripts and styles from its own static files,
# with data handed over in json_script blocks. The admin too: the only inline scripts there are
# django-leaflet's map widget, which carries the request's nonce, and that nonce appears in the
# header only on pages that used it.
_tiles_origin = "{0.scheme}://{0.netloc}".format(urlsplit(MAP_TILES_URL)) if MAP_TILES_URL else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": [
            "'self'",
            "data:",
            *([_tiles_origin.replace("://", "://*.", 1), _tiles_origin] if _tiles_origin else []),
        ],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The REST API: session login or a per-user token ("Authorization: Token ..."), model permissions
# as in the admin, per-user throttling in the Redis cache, cursor pages, an OpenAPI 3 schema.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a caller without credentials is told so (401 with WWW-Authenticate: Token).
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["settlements.api.permissions.ModelPermissions"],
    "DEFAULT_THROTTLE_CLASSES": ["settlements.api.permissions.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("API_USER_RATE", "5000/hour")},
    "DEFAULT_PAGINATION_CLASS": "settlements.api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AidTrack API",
    "DESCRIPTION": "Settlements, camps, aid requests, deliveries and the daily lists of Syrian settlements in need.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (35.0, 38.5),
    "DEFAULT_ZOOM": 6,
    "MIN_ZOOM": 5,
    "MAX_ZOOM": 18,
    "SPATIAL_EXTENT": (35.5, 32.2, 42.5, 37.5),
    "RESET_VIEW": False,
    # The admin's map widgets use the same basemap as the coordinators' maps (and the CSP allows it).
    "TILES": [("OpenStreetMap", MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION, "maxZoom": 18})]
    if MAP_TILES_URL
    else [],
}

# Logs on stdout: one line per request and per task (aidtrack/logs.py), as text or, with
# LOG_FORMAT=json, one JSON object per line; import lines carry their run's id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"import_run": {"()": "aidtrack.logs.ImportRunFilter"}},
    "formatters": {
        "text": {"()": "aidtrack.logs.TextFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "aidtrack.logs.json_formatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["import_run"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler goes: its lines reach the one above, in the same format.
        "django": {"handlers": [], "level": "INFO"},
        # The request and task lines above say what these would repeat; their errors still show.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every report they print; their warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# Celery workers log through the configuration above, not a root logger of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
