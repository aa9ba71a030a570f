"""Settings for the test suite: the production settings, minus what needs TLS or slows tests down.

Tests talk plain http to the test client and to a live server on 127.0.0.1, and hash passwords cheaply.
"""

import os
import tempfile

os.environ.setdefault("LIAISON_DATA_DIR", tempfile.mkdtemp(prefix="liaison-test-"))
os.environ.setdefault("HTTPS", "0")
# The audit key and anchors live outside the data directory, as in production, in a folder of the test run's own.
_SECRETS = tempfile.mkdtemp(prefix="liaison-test-secrets-")
os.environ.setdefault("LIAISON_AUDIT_KEY_FILE", os.path.join(_SECRETS, "audit-keys"))
os.environ.setdefault("LIAISON_AUDIT_ANCHOR_FILE", os.path.join(_SECRETS, "audit-anchors.jsonl"))

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Personas sign in with force_login all over the suite; tests/accounts/test_mfa.py turns the per-role second factor on
# with override_settings (production default: admin, compliance, drug safety).
LIAISON_MFA_REQUIRED_ROLES = []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns when it is missing
