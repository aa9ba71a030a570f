"""The audit key: a secret kept outside the database that keys the audit chain, its anchors and backups.

Without a secret, anyone who can write to the database can recompute every hash the application's way and
re-chain edited events. With an HMAC key that lives only in the environment or in a file outside the data
directory, a database administrator can still change rows, but not produce links that `liaison audit verify`
accepts.

The keyring holds one or more keys, each with an id. The last one signs new events; older ones stay to verify
the events they signed (rotation: docs/operations.md). Where the keys come from, first match wins:

1. `LIAISON_AUDIT_KEYS`: `id:secret` entries separated by commas (for a secret store that fills the environment);
2. `LIAISON_AUDIT_KEY_FILE`: one `id secret` line per key (default `~/.config/liaison/audit-keys`); when the file
   does not exist it is created with one new random key, readable by its owner only.

Secrets are URL-safe base64 of at least 32 random bytes. Each use gets its own derived key (chain, anchors,
backups), so a value signed for one purpose can never be replayed as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PURPOSES = ("chain", "anchor", "backup")
_MIN_SECRET_BYTES = 32


class AuditKeyError(ImproperlyConfigured):
    """The audit keyring is missing, unreadable or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class AuditKey:
    """One key of the keyring: its public id (stored with what it signed) and its secret."""

    key_id: str
    secret: bytes

    def derived(self, purpose: str) -> bytes:
        """The sub-key for one purpose (HMAC of the purpose under the secret), computed once per key."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown audit key purpose {purpose!r}")
        return _derive(self.secret, purpose)

    def sign(self, purpose: str, message: str | bytes) -> str:
        """Hex HMAC-SHA256 of `message` under this key's sub-key for `purpose`."""
        data = message.encode("utf-8") if isinstance(message, str) else message
        return hmac.new(self.derived(purpose), data, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """Every audit key, in the order they were introduced; the last one signs."""

    keys: tuple[AuditKey, ...]
    source: str

    @property
    def current(self) -> AuditKey:
        return self.keys[-1]

    def get(self, key_id: str) -> AuditKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    def ids(self) -> list[str]:
        return [k.key_id for k in self.keys]


@cache
def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"liaison-audit/{purpose}".encode(), hashlib.sha256).digest()


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(_MIN_SECRET_BYTES)).decode("ascii").rstrip("=")


def new_key_id() -> str:
    return secrets.token_hex(4)


def _decode(key_id: str, text: str, where: str) -> AuditKey:
    key_id, text = key_id.strip(), text.strip()
    if not key_id or not key_id.replace("-", "").replace("_", "").isalnum() or len(key_id) > 32:
        raise AuditKeyError(f"{where}: audit key id {key_id!r} must be 1-32 letters, digits, '-' or '_'")
    try:
        secret = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise AuditKeyError(f"{where}: the secret of audit key {key_id!r} is not base64") from exc
    if len(secret) < _MIN_SECRET_BYTES:
        raise AuditKeyError(
            f"{where}: the secret of audit key {key_id!r} has {len(secret)} bytes; at least "
            f"{_MIN_SECRET_BYTES} are needed (generate one with `liaison audit rotate-key --print`)"
        )
    return AuditKey(key_id, secret)


def parse_env(value: str) -> tuple[AuditKey, ...]:
    """Keys from `id:secret,id:secret` (LIAISON_AUDIT_KEYS)."""
    keys = []
    for entry in (e for e in value.split(",") if e.strip()):
        key_id, sep, text = entry.partition(":")
        if not sep:
            raise AuditKeyError("LIAISON_AUDIT_KEYS: each entry is id:secret")
        keys.append(_decode(key_id, text, "LIAISON_AUDIT_KEYS"))
    return tuple(keys)


def parse_file(path: Path) -> tuple[AuditKey, ...]:
    """Keys from a key file: one `id secret` line each, `#` comments allowed."""
    keys = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise AuditKeyError(f"{path}, line {number}: expected `id secret`")
        keys.append(_decode(parts[0], parts[1], f"{path}, line {number}"))
    return tuple(keys)


def key_file() -> Path:
    return Path(settings.LIAISON_AUDIT_KEY_FILE).expanduser()


def append_key_line(path: Path, key_id: str, secret: str, *, comment: str) -> None:
    """Append one key to a key file, creating it (and its folder) readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with looser rights
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(f"# {comment}\n{key_id} {secret}\n")
        handle.flush()
        os.fsync(handle.fileno())


@cache
def keyring() -> Keyring:
    """The configured keyring (read once per process; `reset()` after changing it)."""
    env = os.environ.get("LIAISON_AUDIT_KEYS", "").strip()
    if env:
        keys = parse_env(env)
        if keys:
            return Keyring(keys, "LIAISON_AUDIT_KEYS")
    path = key_file()
    if not path.exists():
        append_key_line(path, new_key_id(), new_secret(), comment="created by Liaison on first use")
        logger.warning(
            "No audit key was configured: created %s with a new random key. Keep a copy of it with your "
            "backups: events and backups signed with it cannot be verified without it.",
            path,
        )
    if path.stat().st_mode & 0o077:
        logger.warning("the audit key file %s is readable by others than its owner: chmod 600 it", path)
    try:
        keys = parse_file(path)
    except OSError as exc:
        raise AuditKeyError(f"cannot read the audit key file {path}: {exc}") from exc
    if not keys:
        raise AuditKeyError(f"the audit key file {path} holds no key")
    return Keyring(keys, str(path))


def reset() -> None:
    """Forget the cached keyring (after a rotation, or when a test changes the settings)."""
    keyring.cache_clear()
