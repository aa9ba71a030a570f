"""Settings for the test suite: the production settings, minus what needs TLS or slows tests down.

Tests talk plain http to the test client and to a live server on 127.0.0.1, and hash passwords cheaply.
"""

import os
import tempfile

os.environ.setdefault("LIAISON_DATA_DIR", tempfile.mkdtemp(prefix="liaison-test-"))
os.environ.setdefault("HTTPS", "0")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns when it is missing
