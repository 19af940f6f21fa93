"""Settings of the seed stack: Django + Django REST Framework + simplejwt,
configured as drover's built-in API claims to behave, DEBUG off. Run under
gunicorn next to drover by internal/e2e/drf_test.go (the conformance test)
and by bench/ (make bench).

Environment: DRF_DB (SQLite file), DRF_SECRET_KEY (the JWT signing key),
DRF_FAST_HASHER and DRF_ACCESS_MINUTES (below).
"""
import os
from datetime import timedelta

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = os.environ["DRF_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
]

# startproject's middleware, less sessions and messages (no such apps here).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "urls"
WSGI_APPLICATION = "wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["DRF_DB"],
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# DRF_FAST_HASHER=1 (the conformance test) puts MD5 first only so that
# creating users and logging in are fast; it changes timing, never a
# response. Without it (the benchmark) Django's default PBKDF2 is used, the
# cost the login rows measure.
if os.environ.get("DRF_FAST_HASHER"):
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

USE_TZ = True
LANGUAGE_CODE = "en-us"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ),
    # drover has no browsable API: with DRF's default BrowsableAPIRenderer
    # kept, OPTIONS would list "text/html" in "renders" (and responses
    # would carry "Vary: Accept"). That is the one deliberate difference;
    # configuring JSON only here keeps everything else compared.
    "DEFAULT_RENDERER_CLASSES": ("rest_framework.renderers.JSONRenderer",),
}

SIMPLE_JWT = {
    # DRF_ACCESS_MINUTES: the benchmark runs a whole run on one token.
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("DRF_ACCESS_MINUTES", "5"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "SIGNING_KEY": os.environ["DRF_SECRET_KEY"],
}
