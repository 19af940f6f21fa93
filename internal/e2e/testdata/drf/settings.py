"""Settings of the seed stack: Django + Django REST Framework + simplejwt,
configured as drover's built-in API claims to behave. Used only by
internal/e2e/drf_test.go, which runs it under gunicorn next to drover.

The test sets DRF_DB (SQLite file) and DRF_SECRET_KEY (the JWT signing key).
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

# MD5 first only so that creating users and logging in are fast in the
# test; it changes timing, never a response.
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
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "SIGNING_KEY": os.environ["DRF_SECRET_KEY"],
}
