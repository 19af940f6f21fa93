"""The benchmark's Gunicorn + Django REST Framework + simplejwt project: the
stack drover replaces, configured as a production deployment would be
(DEBUG off, Django's default PBKDF2 password hasher) with the same /hello/
view and token format as drover. Run by bench/main.go under
/usr/bin/gunicorn; not used by the tests.

Environment: BENCH_DRF_DB (SQLite file), BENCH_SECRET_KEY (the JWT signing
key, also Django's SECRET_KEY).
"""
import os
from datetime import timedelta

SECRET_KEY = os.environ["BENCH_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
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
        "NAME": os.environ["BENCH_DRF_DB"],
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# PASSWORD_HASHERS is left at Django's default: PBKDF2-SHA256 (260000
# iterations in Django 3.2), the cost the login rows measure.

USE_TZ = True
LANGUAGE_CODE = "en-us"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ),
    "DEFAULT_RENDERER_CLASSES": ("rest_framework.renderers.JSONRenderer",),
}

SIMPLE_JWT = {
    # Long enough for a whole benchmark run on one token.
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=1),
    "SIGNING_KEY": os.environ["BENCH_SECRET_KEY"],
}
