"""Liaison settings, all from environment variables (see docs/configuration.md).

Every variable has a safe default for a laptop demo; production sets SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and
DATABASE_URL. A docs test fails when a variable read here is missing from docs/configuration.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("LIAISON_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
_DEV_KEY = "insecure-dev-key-only-for-local-demo-and-tests-change-me-please-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Production hardening. HTTPS (default: on unless DEBUG) turns on the TLS-only cookies, the redirect to https
# and HSTS, so `manage.py check --deploy` is clean with production settings. A local demo over plain http sets
# HTTPS=0 (`make demo` and `make serve` do).
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: scripts, styles, images, fonts and requests from this
# site only, no inline script or style, no eval, no plugins, never framed, forms post only here (docs/operations.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "liaison.core",
    "liaison.accounts",
    "liaison.people",
    "liaison.engagement",
    "liaison.insights",
    "liaison.medinfo",
    "liaison.safety",
    "liaison.compliance",
    "liaison.kol",
    "liaison.intel",
    "liaison.metrics",
    "liaison.stakeholders",
    "liaison.planning",
    "liaison.loop",
    "liaison.programs",
    "liaison.transparency",
    "liaison.briefs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "liaison.accounts.mfa.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "liaison.accounts.middleware.BearerTokenMiddleware",
    "liaison.programs.portal_gate.AdvisorGateMiddleware",
    "liaison.core.middleware.AuditContextMiddleware",
    "liaison.core.exceptions.PermissionDeniedMiddleware",
]

ROOT_URLCONF = "liaison.web.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

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
                "liaison.core.context_processors.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'liaison.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL for concurrent readers; IMMEDIATE so that a write transaction takes the lock up front, which keeps
    # the audit hash chain strictly sequential.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in attempts per account, and (higher: an office shares one address) per client address, before a
# temporary lock-out that lasts LOGIN_THROTTLE_SECONDS after the last failure (accounts/throttle.py).
LOGIN_THROTTLE_ATTEMPTS = int(os.environ.get("LOGIN_THROTTLE_ATTEMPTS", "5"))
LOGIN_THROTTLE_ADDRESS_ATTEMPTS = int(os.environ.get("LOGIN_THROTTLE_ADDRESS_ATTEMPTS", "50"))
LOGIN_THROTTLE_SECONDS = int(os.environ.get("LOGIN_THROTTLE_SECONDS", "900"))
# Proxies (IPs or CIDRs) whose X-Forwarded-For names the client; empty: the direct peer is the client.
LIAISON_TRUSTED_PROXIES = env_list("LIAISON_TRUSTED_PROXIES", "")
# Roles that must sign in with a second factor (TOTP): they enrol right after their first sign-in.
LIAISON_MFA_REQUIRED_ROLES = env_list("LIAISON_MFA_REQUIRED_ROLES", "admin,compliance,drug_safety")
OTP_TOTP_ISSUER = "Liaison"  # the name authenticator apps show next to the account

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "liaison_cache",
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Jobs are leased: a worker renews its heartbeat every few seconds, and the RUNNING jobs of a worker silent for
# longer than this are handed back to the queue by any other worker (core/worker.py, docs/operations.md).
LIAISON_WORKER_LEASE_SECONDS = int(os.environ.get("LIAISON_WORKER_LEASE_SECONDS", "30"))

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The app's own assets (CSS, vendored htmx) live in src/liaison/static, outside any app directory.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# The audit key (core/audit_keys.py, docs/operations.md): never in the database. LIAISON_AUDIT_KEYS ("id:secret,...",
# from a secret store) wins over the key file, which is created with a random key when it does not exist.
LIAISON_AUDIT_KEY_FILE = Path(
    os.environ.get("LIAISON_AUDIT_KEY_FILE", Path.home() / ".config" / "liaison" / "audit-keys")
).expanduser()
# Signed checkpoints of the audit chain head, appended outside the database on a schedule and on every backup;
# LIAISON_AUDIT_ANCHOR_SYSLOG=1 also sends each one to the local syslog.
LIAISON_AUDIT_ANCHOR_FILE = Path(
    os.environ.get(
        "LIAISON_AUDIT_ANCHOR_FILE", Path.home() / ".local" / "state" / "liaison" / "audit-anchors.jsonl"
    )
).expanduser()
LIAISON_AUDIT_ANCHOR_SYSLOG = env_bool("LIAISON_AUDIT_ANCHOR_SYSLOG", False)
LIAISON_AUDIT_ANCHOR_SECONDS = int(os.environ.get("LIAISON_AUDIT_ANCHOR_SECONDS", "300"))

# Safety: hours within which drug safety must acknowledge a forwarded report.
SAFETY_SLA_HOURS = int(os.environ.get("SAFETY_SLA_HOURS", "24"))
# Safety: how forwarded reports reach the safety database (docs/safety.md): "file" drops JSON files into
# SAFETY_FORWARD_DIR and reads acknowledgement files back; "webhook" POSTs to SAFETY_WEBHOOK_URL, signed with
# HMAC-SHA256 of SAFETY_WEBHOOK_SECRET.
SAFETY_FORWARD_CHANNEL = os.environ.get("SAFETY_FORWARD_CHANNEL", "file")
SAFETY_FORWARD_DIR = Path(os.environ.get("SAFETY_FORWARD_DIR", DATA_DIR / "safety-outbox")).resolve()
SAFETY_WEBHOOK_URL = os.environ.get("SAFETY_WEBHOOK_URL", "")
SAFETY_WEBHOOK_SECRET = os.environ.get("SAFETY_WEBHOOK_SECRET", "")
SAFETY_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("SAFETY_WEBHOOK_TIMEOUT_SECONDS", "10"))
# Delivery retries: the n-th failed attempt waits SAFETY_RETRY_SECONDS * 2**(n-1) (at most an hour); after
# SAFETY_MAX_ATTEMPTS the row is marked failed and `liaison safety reconcile` lists it.
SAFETY_RETRY_SECONDS = int(os.environ.get("SAFETY_RETRY_SECONDS", "30"))
SAFETY_MAX_ATTEMPTS = int(os.environ.get("SAFETY_MAX_ATTEMPTS", "10"))
# How often the delivery job looks for acknowledgement files of the file channel.
SAFETY_ACK_POLL_SECONDS = int(os.environ.get("SAFETY_ACK_POLL_SECONDS", "60"))
# The AE detector on every save: its time limit (a failure or time-out routes the record to triage) and where a
# trained model lives (`liaison text train-ae` writes it; without one the lexicon layer runs).
LIAISON_AE_TIMEOUT_SECONDS = float(os.environ.get("LIAISON_AE_TIMEOUT_SECONDS", "5"))
LIAISON_AE_MODEL_DIR = Path(os.environ.get("LIAISON_AE_MODEL_DIR", DATA_DIR / "models" / "ae")).resolve()
# Medical information: hours within which an unsolicited inquiry should be answered (shown on the queue).
INQUIRY_SLA_HOURS = int(os.environ.get("INQUIRY_SLA_HOURS", "48"))

# E-mail (stakeholder digests): Django's SMTP backend by default; the console or locmem backend for trials and tests.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "false").lower() in ("1", "true", "yes")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "medical-affairs@localhost")

# Largest free-text field accepted anywhere (notes, insights, questions), in characters.
MAX_TEXT_LENGTH = int(os.environ.get("MAX_TEXT_LENGTH", "20000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# KOL scoring: how many of each area's top-ranked persons a snapshot keeps in the app (plus every person linked
# to an HCP); the full ranking stays in the snapshot's Parquet files.
LIAISON_KOL_TOP = int(os.environ.get("LIAISON_KOL_TOP", "1000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
