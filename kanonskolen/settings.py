"""Settings for Skoleplan, read from the environment.

DATABASE_URL selects the database (a SQLite file when unset, for a quick start;
PostgreSQL in production and in the tests). SECRET_KEY is required unless DEBUG
is on. REDIS_URL, when set, puts the page cache in a Redis shared by the app
server's workers (see cache_settings). Any variable may instead be given as
NAME_FILE, a path to a file holding the value, so secrets can come from a
container's secret mount.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {path!r}, which cannot be read: {error}"
            ) from error

    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default

    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False

    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of 1, 0, true, false, yes, no."
    )


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None or value == "":
        return default

    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None:
        return default

    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is missing. Set SECRET_KEY (or SECRET_KEY_FILE), "
            "or set DEBUG=1 for a local development server."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "schoolplan",
    "intake",
    "absence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "schoolplan.two_factor.TwoFactorMiddleware",
    "absence.middleware.FiguresNeedPostgreSQLMiddleware",
    "csp.middleware.CSPMiddleware",
    # django-axes wants to be last, so it sees the outcome of every login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kanonskolen.urls"

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
                "schoolplan.context_processors.staff_role",
            ],
        },
    },
]

WSGI_APPLICATION = "kanonskolen.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so two users saving at
    # once wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": (
            "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
        )
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses locked accounts and addresses.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# After AXES_FAILURE_LIMIT failed logins the username is locked, and so is the
# pair of client address and browser (user agent) the failures came from, for
# AXES_COOLOFF_TIME. The address alone is not locked: a school's staff often
# share one public address, and one person's typos must not lock out everyone.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "user_agent"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind the reverse proxy the client address is in X-Forwarded-For; set
# AXES_BEHIND_PROXY=1 only where the proxy overwrites that header.
if env_bool("AXES_BEHIND_PROXY", False):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

OTP_TOTP_ISSUER = "Skoleplan"

# `manage.py apply_retention` acts on pupils who left more than this many years ago.
PUPIL_RETENTION_YEARS = env_int("PUPIL_RETENTION_YEARS", 5)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "schoolplan:pupil_list"
LOGOUT_REDIRECT_URL = "login"

# A session lasts at most a working day and ends when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 10 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The preload flag only marks the header as eligible; nothing happens unless
# someone submits the domain to the browsers' preload list.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)

# No inline script anywhere: scripts and styles come from our own static files.
# Inline style attributes stay allowed, since Bootstrap's components and the
# server-rendered SVG charts set a few.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap and the typeface come from npm packages installed by `make install`;
# they are served from this server, never from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    (
        "vendor/source-sans-3",
        BASE_DIR / "node_modules" / "@fontsource" / "source-sans-3",
    ),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Files that no URL may serve, such as the plan PDFs sent to stakeholders:
    # they live outside MEDIA_ROOT and only views that check access read them.
    "private": {
        "BACKEND": "schoolplan.storage.PrivateStorage",
        "OPTIONS": {
            "location": Path(env("PRIVATE_FILES_ROOT") or BASE_DIR / "private")
        },
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "media/"

# WeasyPrint runs in a child process that is killed after this many seconds.
# Keep it below the app server's request timeout (gunicorn's default is 30 s),
# so the user gets the export's own error message rather than a dropped request.
PDF_RENDER_TIMEOUT_SECONDS = env_int("PDF_RENDER_TIMEOUT_SECONDS", 25)
# How much lower than the app server's the render process's CPU priority is
# (Linux nice values, 0 to 19). When the server is busy the render takes
# longer, and the time limit above still applies.
PDF_RENDER_NICENESS = env_int("PDF_RENDER_NICENESS", 10)


def cache_settings(redis_url: str | None, max_entries: int) -> dict:
    """Return CACHES: each worker's memory, or the Redis at `redis_url`.

    The dashboard and the plan page cache rendered pupil data for ten minutes,
    and the dashboard's table rows for an hour. Every key contains a version
    that the database raises on each change, or the content itself, so a page
    cached before a change is not shown after it. With a cache in each worker's
    memory, every worker renders each page once for itself. A Redis shared by
    the workers renders it once for all, and must keep nothing on disk and be
    reachable by this application alone (README, "Page cache"). If it cannot
    be reached, every lookup misses and pages are rendered afresh.
    """
    if not redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": max_entries},
            }
        }
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "skoleplan",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }


CACHES = cache_settings(env("REDIS_URL"), env_int("CACHE_MAX_ENTRIES", 3000))
# Log each failed lookup in Redis. A filter in LOGGING lets the same message
# through once a minute per worker, with the count of repeats.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

FORM_RENDERER = "kanonskolen.forms.BootstrapFormRenderer"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {
        "once_a_minute": {"()": "kanonskolen.log_filters.RepeatFilter", "seconds": 60},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
    # Django's own console handler would print each request warning twice.
    # WeasyPrint reports every layout step and fontTools every font it decodes
    # at INFO; only their warnings and errors belong in the server's log.
    "loggers": {
        "django": {"handlers": ["console"], "propagate": False},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # With Redis unreachable, every cache lookup fails in the same way.
        "django_redis.cache": {"filters": ["once_a_minute"]},
    },
}
