"""Settings for the test suite: the production settings, minus what needs TLS or slows tests down.

Tests talk plain http to the test client and to a live server on 127.0.0.1, and hash passwords cheaply.
"""

import os
import tempfile

os.environ.setdefault("LIAISON_DATA_DIR", tempfile.mkdtemp(prefix="liaison-test-"))
# Under pytest-xdist each worker gets a data directory of its own (search index, safety outbox, models), so that
# two workers never write the same file. Subprocesses the tests start inherit the marker and keep the directory
# they are given.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SPLIT = bool(_WORKER and not os.environ.get("LIAISON_TEST_WORKER_DIR"))
if _SPLIT:
    os.environ["LIAISON_DATA_DIR"] = os.path.join(os.environ["LIAISON_DATA_DIR"], _WORKER)
    os.environ["LIAISON_TEST_WORKER_DIR"] = "1"
    os.makedirs(os.environ["LIAISON_DATA_DIR"], exist_ok=True)
os.environ.setdefault("HTTPS", "0")
# The audit key and anchors live outside the data directory, as in production, in a folder of the test run's own
# (of each worker's own: a worker inherits the controller's environment, and two workers appending anchors to one
# file would each see the other's as forged).
_SECRETS = tempfile.mkdtemp(prefix="liaison-test-secrets-")
for _name, _file in (
    ("LIAISON_AUDIT_KEY_FILE", "audit-keys"),
    ("LIAISON_AUDIT_ANCHOR_FILE", "audit-anchors.jsonl"),
):
    if _SPLIT:
        os.environ[_name] = os.path.join(_SECRETS, _file)
    else:
        os.environ.setdefault(_name, os.path.join(_SECRETS, _file))

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
