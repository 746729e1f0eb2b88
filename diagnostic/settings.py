"""Django settings for NPS Diagnostic.

Everything that differs between a laptop, CI and production is read from environment
variables here, with defaults that make a fresh clone run on SQLite with no services. The
README lists every variable.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "false")
# Without SECRET_KEY a fixed development key is used; `manage.py check --deploy` fails on it
# (diagnostic.lib.checks), so it cannot reach production unnoticed.
INSECURE_SECRET_KEY = "django-insecure-development-key-never-use-in-production-0123456789"
SECRET_KEY = os.getenv("SECRET_KEY") or INSECURE_SECRET_KEY

SITE_NAME = "NPS Diagnostic"
SITE_ROOT = os.getenv("SITE_ROOT", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "diagnostic.lib",
    "diagnostic.audit",
    "diagnostic.accounts",
    "diagnostic.organisations",
    "diagnostic.frameworks",
    "diagnostic.public",
    "diagnostic.assessments",
    "diagnostic.reports",
    "diagnostic.analytics",
    "diagnostic.plans",
    "diagnostic.consolidation",
    "diagnostic.broker",
    "diagnostic.support",
    "diagnostic.api",
    # issue 14: the second factor (django-otp's authenticator-app devices, our recovery codes)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "diagnostic.twofactor",
    "diagnostic.demo",
    "diagnostic.practice",
    # Background jobs (the broker's plan): Django 6.0's tasks API backported, with the
    # database backend and its `db_worker` command (docs/decisions/0033).
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "diagnostic.lib.middleware.AllowedMethodsMiddleware",
    # Before CommonMiddleware, so a path with a control character is not redirected first.
    "diagnostic.lib.middleware.ControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, taking the person the session engine loaded with the session (decision 0032).
    "diagnostic.accounts.middleware.AuthenticationMiddleware",
    "diagnostic.lib.middleware.NoStoreWhenSignedInMiddleware",
    "diagnostic.analytics.middleware.ChartViewerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the policy built once per process (diagnostic/lib/csp.py).
    "diagnostic.lib.csp.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "diagnostic.accounts.middleware.IdleTimeoutMiddleware",
    "diagnostic.accounts.middleware.ActiveMembershipMiddleware",
    "diagnostic.twofactor.middleware.SecondFactorMiddleware",
    # Last, so a locked-out sign-in is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "diagnostic.urls"
WSGI_APPLICATION = "diagnostic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "diagnostic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "diagnostic.accounts.context_processors.memberships",
                "diagnostic.lib.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default so a fresh clone runs with no services. WAL lets readers work while one
# writer writes; IMMEDIATE transactions take the write lock at BEGIN, so two writers queue on
# busy_timeout instead of failing half-way with "database is locked".
SQLITE_PATH = Path(os.getenv("SQLITE_PATH", str(BASE_DIR / "var" / "diagnostic.sqlite3")))
DATABASE_URL = os.getenv("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=envint("DB_CONN_MAX_AGE", "60"),
            conn_health_checks=True,
        )
    }
    # PostgreSQL: Django's backend, with the health check of a kept connection made without a
    # round trip when its socket shows nothing wrong (lib/postgresql, decision 0037).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "diagnostic.lib.postgresql"
    # PostgreSQL: values sent apart from the SQL, and a statement run 5 times on a connection
    # prepared there, so that PostgreSQL neither parses nor plans it again (about two thirds
    # of its CPU per autosave) and nothing is quoted into SQL in Python. DB_PREPARE_THRESHOLD
    # =off behind a pooler in transaction mode (decision 0036).
    if DATABASES["default"]["ENGINE"] == "diagnostic.lib.postgresql" and envbool(
        "DB_SERVER_SIDE_BINDING", "true"
    ):
        threshold = os.getenv("DB_PREPARE_THRESHOLD", "5").strip().lower()
        if threshold != "off" and not threshold.isdigit():
            raise ImproperlyConfigured(
                f"DB_PREPARE_THRESHOLD must be a whole number or 'off', not {threshold!r}."
            )
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True,
            prepare_threshold=None if threshold == "off" else int(threshold),
        )
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Kept open between requests, as for PostgreSQL: opening the file and running the
            # PRAGMAs below took about 1 ms of every request (docs/decisions/0027).
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "60"),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            # A file, not memory: tests that race threads against each other need real
            # SQLite locking (an in-memory shared cache raises "table is locked" instead).
            # One file per test process, so concurrent runs never share (or delete) a database.
            "TEST": {
                "NAME": os.getenv("SQLITE_TEST_PATH")
                or str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Two caches (docs/decisions/0028-nothing-tied-to-one-process.md):
# - "default" keeps what any process can recompute from the database alone (figures keyed by
#   the round's version, drawn charts keyed by their content): per process without Redis.
# - "shared" keeps what a later request needs from an earlier one, which may be served by
#   another worker or app server (the rounds' versions, chart images behind their URLs, the
#   API's rate counts): Redis when REDIS_URL is set, otherwise a table in the database
#   (created by the lib app's migration), so it is never tied to one process.
REDIS_URL = os.getenv("REDIS_URL", "")
SHARED_CACHE_TABLE = "lib_shared_cache"
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.getenv("CACHE_KEY_PREFIX", "nps"),
    }
    CACHES = {"default": _redis, "shared": {**_redis, "KEY_PREFIX": _redis["KEY_PREFIX"] + "s"}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "diagnostic.lib.shared_cache.SharedDatabaseCache",
            "LOCATION": SHARED_CACHE_TABLE,
            # Expired rows are culled when a write finds more than this many.
            "OPTIONS": {"MAX_ENTRIES": 20000, "CULL_FREQUENCY": 4},
        },
    }

# --- Background jobs ---------------------------------------------------------------------------
# Work too long for a request (the broker's national plan) is queued in the database and run by
# `manage.py db_worker` (bin/demo starts one; deploy/compose.yaml has a worker service). Tests
# use the same backend and run the queue with the worker (docs/decisions/0033).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Accounts and sign-in -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out account is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's, loading the person's memberships with them (one query per request, not two).
    "diagnostic.accounts.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "diagnostic.accounts.validators.MaximumLengthValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "public:home"
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(60 * 60 * 2))
INVITATION_DAYS = envint("INVITATION_DAYS", "14")
# Retention (manage.py apply_retention; the privacy page states these).
RETENTION_INVITATION_DAYS = envint("RETENTION_INVITATION_DAYS", "90")
RETENTION_SIGN_IN_DAYS = envint("RETENTION_SIGN_IN_DAYS", "90")

# django-axes: lock the account-and-address pair after repeated failures (ASVS 6.3.1).
AXES_FAILURE_LIMIT = envint("SIGNIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = envint("SIGNIN_COOLOFF_MINUTES", "15") / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The client's address: the connection's, or behind the proxy the one it saw (client_ip.py).
AXES_CLIENT_IP_CALLABLE = "diagnostic.accounts.client_ip.client_ip"
AXES_ENABLED = envbool("AXES_ENABLED", "true")

# Second factor (diagnostic/twofactor): the name authenticator apps show.
OTP_TOTP_ISSUER = "NPS Diagnostic"

# --- Sessions and cookies -------------------------------------------------------------------
# Sessions in the database (every worker and app server sees them, with or without Redis), in
# our own table: loading one reads the signed-in person and their memberships in the same
# statement (diagnostic/accounts/sessions.py, decision 0032).
SESSION_ENGINE = "diagnostic.accounts.sessions"
SESSION_COOKIE_AGE = envint("SESSION_MAX_AGE_HOURS", "12") * 3600
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_MINUTES", "60") * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE = envbool("SECURE", "false")  # true when served over TLS
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and envbool("SECURE_SSL_REDIRECT", "true")
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
BEHIND_PROXY = envbool("BEHIND_PROXY", "false")
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "1")  # proxies that append X-Forwarded-For
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# django-csp 4: no inline script or style; htmx is served from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- JSON API -------------------------------------------------------------------------------
# Requests per token (django-ratelimit syntax: 120/m, 5000/h). Counted in the shared cache, so
# every worker and app server counts against the same limit.
API_RATE_LIMIT = os.getenv("API_RATE_LIMIT", "120/m")
RATELIMIT_USE_CACHE = "shared"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true")
DEFAULT_FROM_EMAIL = os.getenv(
    "DEFAULT_FROM_EMAIL", "NPS Diagnostic <no-reply@nps-diagnostic.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "diagnostic" / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and envbool("MANIFEST_STATIC", "true")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Uploaded files (case study attachments, guidance) -------------------------------------
# Stored through Django's storage API (STORAGES["default"]), so a deployment can swap the
# file system for object storage; they are never served from MEDIA_URL, only by the views that
# check who may read them (docs/decisions/0016-good-practice-storage-and-sanitising.md).
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

# --- PDF reports ----------------------------------------------------------------------------
# WeasyPrint runs in a short-lived child process per PDF, so the web worker's memory does not
# grow with each report (reports/pdf.py, docs/decisions/0010). The timeout (seconds) stays
# below gunicorn's default --timeout of 30 s, so a stuck PDF fails its request cleanly rather
# than getting the whole worker killed.
PDF_RENDER_IN_SUBPROCESS = envbool("PDF_RENDER_IN_SUBPROCESS", "true")
PDF_RENDER_TIMEOUT = float(os.getenv("PDF_RENDER_TIMEOUT", "25"))

# --- Charts -------------------------------------------------------------------------------
# vl-convert (V8) draws charts in a child process of each web process, kept between charts and
# stopped when idle or grown, so web workers do not carry V8's memory (analytics/chart_process.py,
# docs/decisions/0038). The timeout (seconds) is for one chart, cold start included (~1 s).
CHARTS_DRAW_IN_SUBPROCESS = envbool("CHARTS_DRAW_IN_SUBPROCESS", "true")
CHARTS_DRAW_TIMEOUT = float(os.getenv("CHARTS_DRAW_TIMEOUT", "20"))
CHARTS_PROCESS_IDLE_SECONDS = float(os.getenv("CHARTS_PROCESS_IDLE_SECONDS", "300"))
CHARTS_PROCESS_MAX_MB = int(os.getenv("CHARTS_PROCESS_MAX_MB", "200"))

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
