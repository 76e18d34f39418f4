"""Settings for the test suite: the real settings with a fast hasher and no HTTPS."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
# The suite runs on PostgreSQL only: figures, locks and constraints behave
# differently on SQLite, so a pass there would prove little.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/skoleplan")

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from kanonskolen.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = BASE_DIR / "test-artifacts" / "media"  # noqa: F405
STORAGES["private"]["OPTIONS"]["location"] = (  # noqa: F405
    BASE_DIR / "test-artifacts" / "private"  # noqa: F405
)

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise ImproperlyConfigured(  # noqa: F405
        "The tests need PostgreSQL; set DATABASE_URL=postgres://USER@HOST:PORT/NAME."
    )
