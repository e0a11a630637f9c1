"""Kunde settings, configured entirely by environment variables (see README)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "production" turns on every deploy hardening; "development" is the embedded default.
KUNDE_ENV = os.environ.get("KUNDE_ENV", "development")
PRODUCTION = KUNDE_ENV == "production"
DATA_DIR = Path(os.environ.get("KUNDE_DATA_DIR", Path.cwd() / "data")).resolve()


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or a key persisted in the data directory.

    Production must set SECRET_KEY explicitly; the embedded default keeps one per data
    directory so sessions survive a restart without any configuration.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when KUNDE_ENV=production")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Trusted reverse proxies in front of Kunde: the client address is then the N-th from the right
# of X-Forwarded-For (rate limits of public forms). 0: use the connection's address.
KUNDE_PROXY_HOPS = int(os.environ.get("KUNDE_PROXY_HOPS", "0") or 0)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "django_htmx",
    "ninja",  # serves Swagger UI from its own static files (no CDN)
    "kunde.core",
    "kunde.accounts",
    "kunde.contacts",
    "kunde.activities",
    "kunde.mail",
    "kunde.sales",
    "kunde.commerce",
    "kunde.service",
    "kunde.knowledge",
    "kunde.audience",
    "kunde.campaigns",
    "kunde.webhooks",
    "kunde.interop",
    "kunde.imports",
    "kunde.analytics",
    "kunde.dedupe",
    "kunde.contracts",
    "kunde.loyalty",
    "kunde.customer_events",
    "kunde.partners",
    "kunde.ideas",
    "kunde.retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kunde.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kunde.urls"
WSGI_APPLICATION = "kunde.wsgi.application"

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
                "kunde.core.extensions.navigation",
            ],
        },
    },
]

# --- Database: SQLite (WAL) in the data directory unless DATABASE_URL says otherwise.
SQLITE_OPTIONS = {
    # IMMEDIATE takes the writer lock at BEGIN, so two writers queue instead of one
    # failing with "database is locked" halfway through a transaction.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA cache_size=-16000;"
        "PRAGMA mmap_size=134217728;"
        "PRAGMA temp_store=MEMORY;"
    ),
}
_database_url = os.environ.get("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "kunde.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work: Django's Tasks API through the database backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KUNDE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Authentication and sessions.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free hx-headers attribute

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Internationalisation.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True
KUNDE_DEFAULT_REGION = os.environ.get("KUNDE_DEFAULT_REGION", "DE")  # for phone numbers
KUNDE_DEFAULT_CURRENCY = os.environ.get("KUNDE_DEFAULT_CURRENCY", "EUR")
# The letterhead of quotes, and the address customers' links point to.
KUNDE_BASE_URL = os.environ.get("KUNDE_BASE_URL", "http://localhost:8000")
KUNDE_COMPANY_NAME = os.environ.get("KUNDE_COMPANY_NAME", "")
KUNDE_COMPANY_ADDRESS = os.environ.get("KUNDE_COMPANY_ADDRESS", "")  # lines separated by "|"
KUNDE_COMPANY_VAT_ID = os.environ.get("KUNDE_COMPANY_VAT_ID", "")
KUNDE_COMPANY_BANK = os.environ.get("KUNDE_COMPANY_BANK", "")
KUNDE_COMPANY_IBAN = os.environ.get("KUNDE_COMPANY_IBAN", "")
KUNDE_COMPANY_BIC = os.environ.get("KUNDE_COMPANY_BIC", "")
KUNDE_CAMPAIGN_RATE = float(os.environ.get("KUNDE_CAMPAIGN_RATE", "0") or 0)  # campaign e-mails per second; 0: no limit
KUNDE_VAT_RATES = os.environ.get("KUNDE_VAT_RATES", "19,7,0")  # percent, comma-separated
KUNDE_MAIL_DOMAIN = os.environ.get("KUNDE_MAIL_DOMAIN", "")  # Message-ID domain; default: DEFAULT_FROM_EMAIL's
# Larger attachments of incoming e-mail are refused (name and size kept, content dropped).
KUNDE_MAIL_MAX_ATTACHMENT_BYTES = int(os.environ.get("KUNDE_MAIL_MAX_ATTACHMENT_BYTES", str(20 * 1024 * 1024)))
# Webhooks go only to public addresses; these networks (CIDR, comma-separated) are let through too.
KUNDE_WEBHOOK_ALLOWED_NETWORKS = env_list("KUNDE_WEBHOOK_ALLOWED_NETWORKS", "")

# --- Static files, shipped with the package and served by WhiteNoise (no CDN).
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"

# --- Mail.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kunde@localhost")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)

# Bodies above this size are refused with 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("KUNDE_MAX_BODY_BYTES", str(2 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
